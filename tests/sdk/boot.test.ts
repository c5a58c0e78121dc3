import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { boot, isAiosError } from "../../src/index.js";

function dir(): string {
  return mkdtempSync(join(tmpdir(), "aios-sdk-"));
}

describe("boot() with a data directory", () => {
  it("installs the embedded default stack and exposes it on the SDK", async () => {
    const d = dir();
    const os = await boot({ dataDir: d, subsystems: { embedder: false } });
    expect(Object.keys(os.subsystems).sort()).toEqual(["audit", "ipc", "mcp", "memory", "observe", "planner", "sched", "security", "store", "tools"]);
    expect(os.tools.list().map((t) => t.name)).toContain("file.read");
    expect(os.mcp.list()).toEqual([]);
    const { id } = await os.memory.store({ type: "semantic_fact", content: { subject: "sky", predicate: "is", object: "blue" } });
    expect(id).toMatch(/^mem_/);
    // capabilities are enforced by signed tokens: an agent without a grant is refused
    const a = await os.spawn({ name: "a", kind: "code", logic: { receive: (s: null) => s } });
    await expect(os.syscall(a, "ToolCall", { tool: "file.read", args: { path: join(d, "x") } })).rejects.toSatisfy((e) => isAiosError(e, "E_CAP_DENIED"));
    await os.shutdown();
  });

  it("reads models and kernel settings from the data dir's config.yaml; boot options win", async () => {
    const d = dir();
    writeFileSync(join(d, "config.yaml"), [
      "durable: true",
      "models:",
      "  scripted:",
      "    provider: replay",
      "    model: scripted",
      "    loop: true",
      "    turns:",
      "      - text: hello from the config file",
    ].join("\n"));
    const os = await boot({ dataDir: d, subsystems: { embedder: false, memory: false } });
    expect(os.kernel.durableDefault).toBe(true);
    // The operator's spec names the model: llm:scripted#invoke is implied (kernel/implied-caps.ts).
    const out = await os.run({ name: "helper", kind: "llm", model: "scripted" }, { goal: "say hello" });
    expect(out.text).toBe("hello from the config file");
    await os.shutdown();
  });

  it("names the file and the field when the config is wrong", async () => {
    const d = dir();
    writeFileSync(join(d, "config.yaml"), "durable: maybe\n");
    await expect(boot({ dataDir: d })).rejects.toThrow(/config\.yaml: durable: /);
    writeFileSync(join(d, "config.yaml"), "models: [unclosed\n");
    await expect(boot({ dataDir: d })).rejects.toSatisfy((e) => isAiosError(e, "E_CONFIG") && /not valid YAML/.test((e as Error).message));
  });

  it("stack: bare gives the kernel core alone", async () => {
    const os = await boot({ stack: "bare" });
    expect(os.subsystems).toEqual({});
    expect(() => os.memory).toThrow(/this system has no memory subsystem/);
    await os.shutdown();
  });
});
