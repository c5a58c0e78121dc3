/**
 * The operator's tracing switch in `<dataDir>/config.yaml` (observe/tracing-config.ts), on a real
 * boot of the default stack, exporting to a real OTLP/HTTP receiver on loopback that decodes the
 * OTLP/JSON it is sent: `tracing: { enabled: true, otlpEndpoint }` exports the spans of a tool call
 * (the run span as the tool span's parent, under the configured service name); no section,
 * `enabled: false` or `sampleRatio: 0` export none; a bad endpoint is an E_CONFIG naming the field.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/core/index.js";
import { boot } from "../../src/sdk/index.js";
import { otlpTracesUrl, tracingFromConfig } from "../../src/observe/index.js";
import { addTool, OtlpReceiver } from "./trace-helpers.js";

let dir: string;
let receiver: OtlpReceiver;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aios-trace-switch-"));
  receiver = await new OtlpReceiver().start();
});
afterAll(async () => {
  await receiver.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Boots on a data dir whose config.yaml holds `config` (none when undefined), makes one tool call as an agent, shuts down (which flushes). */
async function oneToolCall(name: string, config: string | undefined): Promise<void> {
  const dataDir = join(dir, name);
  mkdirSync(dataDir, { recursive: true });
  if (config !== undefined) writeFileSync(join(dataDir, "config.yaml"), config);
  const os = await boot({ dataDir, logger: silentLogger, subsystems: { embedder: false } });
  try {
    os.tools.register(addTool);
    const agent = await os.spawn({ name: `caller-${name}`, kind: "code", logic: { receive: (s: unknown) => s }, capabilities: ["tool:add#call"] });
    expect(await os.syscall(agent, "ToolCall", { tool: "add", args: { a: 2, b: 3 } })).toBe(5);
    await os.kill(agent); // ends its run span
  } finally {
    await os.shutdown();
  }
}

describe("tracing switch in config.yaml", () => {
  it("exports a tool call's spans by OTLP/HTTP when enabled, to the base URL's /v1/traces", async () => {
    await oneToolCall("on", `tracing:\n  enabled: true\n  otlpEndpoint: ${receiver.url}\n  serviceName: aios-switch-test\n`);
    expect(receiver.rejected).toEqual([]);
    const run = receiver.spans.find((s) => s.name === "invoke_agent caller-on");
    const tool = receiver.spans.find((s) => s.name === "execute_tool add");
    expect(run).toMatchObject({ service: "aios-switch-test", attributes: { "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "caller-on" } });
    expect(tool).toMatchObject({ traceId: run?.traceId, parentSpanId: run?.spanId, attributes: { "gen_ai.tool.name": "add", "gen_ai.operation.name": "execute_tool" } });
  });

  it("exports nothing with no tracing section, with enabled: false, or with sampleRatio 0", async () => {
    const before = receiver.spans.length;
    await oneToolCall("none", undefined);
    await oneToolCall("disabled", `tracing:\n  enabled: false\n  otlpEndpoint: ${receiver.url}/v1/traces\n`);
    await oneToolCall("sampled-out", `tracing:\n  otlpEndpoint: ${receiver.url}\n  sampleRatio: 0\n`);
    expect(receiver.spans.slice(before)).toEqual([]);
    expect(receiver.rejected).toEqual([]);
  });

  it("refuses a bad endpoint or ratio naming the field", async () => {
    const dataDir = join(dir, "bad");
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, "config.yaml"), "tracing:\n  otlpEndpoint: ftp://collector\n");
    await expect(boot({ dataDir, logger: silentLogger, subsystems: { embedder: false } })).rejects.toMatchObject({ code: "E_CONFIG", message: expect.stringMatching(/config\.yaml: tracing\.otlpEndpoint: OTLP\/HTTP needs an http or https URL/) });
    writeFileSync(join(dataDir, "config.yaml"), "tracing:\n  sampleRatio: 2\n");
    await expect(boot({ dataDir, logger: silentLogger, subsystems: { embedder: false } })).rejects.toMatchObject({ code: "E_CONFIG", message: expect.stringMatching(/tracing\.sampleRatio/) });
    expect(() => otlpTracesUrl("not a url", "--otlp")).toThrow(/--otlp: not a URL/);
    expect(otlpTracesUrl("http://c:4318", "x")).toBe("http://c:4318/v1/traces");
    expect(otlpTracesUrl("https://c/otlp/v1/traces", "x")).toBe("https://c/otlp/v1/traces");
    expect(tracingFromConfig({ enabled: true })).toEqual({});
    expect(tracingFromConfig(undefined)).toBeUndefined();
  });
});
