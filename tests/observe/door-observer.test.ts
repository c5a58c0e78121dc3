/**
 * observe/ takes syscall outcomes from the door's record stage (the `observer` stage), not from
 * `syscall.completed` / `syscall.denied` events: on a booted default stack nobody then wants those
 * events, yet the syscall, denial and per-tool counters and the anomaly detector see every call;
 * a subscriber that does want the events (the event stream, the dashboard) still gets them, and the
 * counters do not count a call twice.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger, type AnyKernelEvent } from "../../src/core/index.js";
import type { AgentLogic } from "../../src/abi/index.js";
import { boot, type Aios } from "../../src/sdk/index.js";
import type { AiosMetrics } from "../../src/observe/index.js";
import { addTool } from "./trace-helpers.js";

/** "ok": Noop and add; "denied": a tool its spec does not grant; "gone": a tool that does not exist (refused too). */
const caller: AgentLogic<null, string> = {
  init: () => null,
  async receive(state, msg, ctx) {
    if (msg === "ok") {
      await ctx.sys.Noop({});
      await ctx.sys.ToolCall({ tool: "add", args: { a: 1, b: 2 } });
    } else {
      await ctx.sys.ToolCall({ tool: msg === "denied" ? "secret" : "no.such.tool", args: { a: 1, b: 2 } }).catch(() => undefined);
    }
    ctx.reply("done");
    return state;
  },
};

let dir: string;
let os: Aios;
let metrics: AiosMetrics;

const value = async (name: string, labels: Record<string, string> = {}): Promise<number> =>
  (await metrics.registry.getSingleMetric(name)?.get())?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aios-door-observer-"));
  os = await boot({ dataDir: join(dir, "data"), logger: silentLogger, logics: { caller }, subsystems: { embedder: false } });
  os.tools.register(addTool);
  os.tools.register({ ...addTool, name: "secret" });
  const m = os.subsystems.observe?.metrics;
  if (m === undefined) throw new Error("observe is part of the default stack");
  metrics = m;
}, 60_000);

afterAll(async () => {
  await os.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe("observe: syscall outcomes from the door's record stage", () => {
  it("is the door's observer stage, so no syscall event is built for the metrics", () => {
    expect(os.kernel.guards.observer).toBe(os.subsystems.observe?.observer);
    expect(os.kernel.events.wants("syscall.completed")).toBe(false);
    expect(os.kernel.events.wants("syscall.denied")).toBe(false);
  });

  it("counts calls, refusals by code and tool calls by tool, and feeds the anomaly detector", async () => {
    const id = await os.spawn({ name: "caller", kind: "code", logic: "caller", capabilities: ["tool:add#call", "tool:no.such.tool#call", "kernel#noop"] });
    for (let i = 0; i < 3; i++) await os.request(id, "ok");
    await os.request(id, "denied");
    await os.request(id, "gone");
    // Told synchronously by the door: counted by the time the calls returned.
    expect(await value("aios_syscalls_total", { syscall: "Noop", outcome: "ok" })).toBe(3);
    expect(await value("aios_syscalls_total", { syscall: "ToolCall", outcome: "ok" })).toBe(3);
    expect(await value("aios_tool_calls_total", { tool: "add", outcome: "ok" })).toBe(3);
    expect(await value("aios_syscalls_total", { syscall: "ToolCall", outcome: "denied" })).toBe(2);
    expect(await value("aios_syscall_denials_total", { syscall: "ToolCall", code: "E_CAP_DENIED" })).toBe(1);
    expect(await value("aios_syscall_denials_total", { syscall: "ToolCall", code: "E_NO_TOOL" })).toBe(1);
    expect(await value("aios_tool_calls_total", { tool: "secret" })).toBe(0);
    const histogram = (await metrics.syscallSeconds.get()).values.find((v) => v.metricName === "aios_syscall_duration_seconds_count" && v.labels["syscall"] === "Noop");
    expect(histogram?.value).toBe(3);
    expect(os.subsystems.observe?.anomaly?.tracked).toBe(1);
    await os.kill(id);
    // The terminal transition reaches the detector through the metrics' tap, synchronously too.
    expect(os.subsystems.observe?.anomaly?.tracked).toBe(0);
  });

  it("still emits the events to a subscriber that wants them, and counts each call once", async () => {
    const seen: AnyKernelEvent[] = [];
    const unsubscribe = os.events.subscribe({ types: ["syscall.completed", "syscall.denied"] }, (e) => void seen.push(e));
    try {
      const before = await value("aios_syscalls_total", { syscall: "Noop", outcome: "ok" });
      const id = await os.spawn({ name: "caller", kind: "code", logic: "caller", capabilities: ["tool:add#call", "kernel#noop"] });
      await os.request(id, "ok");
      await os.request(id, "denied");
      await os.kill(id);
      for (let i = 0; i < 5 && seen.length < 3; i++) await new Promise((r) => setImmediate(r));
      expect(seen.filter((e) => e.agent === id).map((e) => (e.type === "syscall.completed" ? `${e.data.name} ${e.data.ok}` : e.type === "syscall.denied" ? `denied ${e.data.name}` : e.type)))
        .toEqual(["Noop true", "ToolCall true", "denied ToolCall"]);
      expect(await value("aios_syscalls_total", { syscall: "Noop", outcome: "ok" })).toBe(before + 1);
    } finally {
      unsubscribe();
    }
  });
});
