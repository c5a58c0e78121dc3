/**
 * `aios up --otlp <url>` against a real OTLP/HTTP receiver on loopback (it decodes the OTLP/JSON the
 * daemon posts): a daemon started with the switch exports the span of an operator's tool call made
 * through the HTTP API (a root span: the operator has no run), flushed by the SIGTERM drain at the
 * latest; a daemon started without it
 * exports nothing, even with the OpenTelemetry environment variables pointing at a receiver.
 * Both daemons run at once.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OtlpReceiver } from "../observe/trace-helpers.js";
import { cli, startDaemon, type Daemon } from "./helpers.js";

let dir: string;
const on = new OtlpReceiver();
const off = new OtlpReceiver();
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aios-up-otlp-"));
  writeFileSync(join(dir, "note.txt"), "traced");
  await Promise.all([on.start(), off.start()]);
});
afterAll(async () => {
  await Promise.all([on.stop(), off.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

/** A file.read through the door as the operator, over the daemon's HTTP API; then SIGTERM and the exit. */
async function readThenStop(d: Daemon, data: string): Promise<void> {
  const token = readFileSync(join(data, "api-token"), "utf8").trim();
  const res = await fetch(`http://127.0.0.1:${d.port}/v1/tools/file.read/call`, {
    method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ args: { path: join(dir, "note.txt") } }),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  d.proc.kill("SIGTERM");
  expect((await d.exited).code).toBe(0);
}

describe("aios up --otlp", () => {
  it("exports spans with the switch and none without it", async () => {
    const [dOn, dOff] = await Promise.all([
      startDaemon(join(dir, "on"), ["--otlp", on.url]),
      startDaemon(join(dir, "off"), [], { OTEL_EXPORTER_OTLP_ENDPOINT: off.url, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${off.url}/v1/traces`, OTEL_TRACES_EXPORTER: "otlp" }),
    ]);
    await Promise.all([readThenStop(dOn, join(dir, "on")), readThenStop(dOff, join(dir, "off"))]);
    expect(on.rejected).toEqual([]);
    const tool = on.spans.find((s) => s.name === "execute_tool file.read");
    expect(tool).toMatchObject({ service: "aios", attributes: { "gen_ai.tool.name": "file.read" } });
    // The operator is no agent with a run: each of its calls is the root of its own trace.
    expect(tool?.parentSpanId).toBeUndefined();
    expect(off.spans).toEqual([]);
    expect(off.rejected).toEqual([]);
  }, 60_000);

  it("refuses a bad --otlp, --trace-sample or --public-url before booting", async () => {
    const [bad, ratio, alone, pub] = await Promise.all([
      cli(["--data-dir", join(dir, "bad"), "up", "--port", "0", "--otlp", "collector:4318"]),
      cli(["--data-dir", join(dir, "bad"), "up", "--port", "0", "--otlp", on.url, "--trace-sample", "1.5"]),
      cli(["--data-dir", join(dir, "bad"), "up", "--port", "0", "--trace-sample", "0.5"]),
      cli(["--data-dir", join(dir, "bad"), "up", "--port", "0", "--public-url", "https://aios.example.test/ui"]),
    ]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/E_CONFIG: --otlp: OTLP\/HTTP needs an http or https URL/);
    expect(ratio.code).toBe(2);
    expect(ratio.stderr).toMatch(/--trace-sample must be a number from 0 to 1/);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/--trace-sample needs --otlp/);
    expect(pub.code).toBe(2);
    expect(pub.stderr).toMatch(/E_INVALID_ARG: public URL "https:\/\/aios.example.test\/ui": give the origin only/);
    expect(existsSync(join(dir, "bad", "journal"))).toBe(false); // nothing booted
  }, 60_000);
});
