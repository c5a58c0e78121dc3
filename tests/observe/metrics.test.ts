/**
 * Metrics on a real booted OS (the SDK's boot with a data directory: SQLite journal, security, audit,
 * tools, sched, memory, ipc, observe): after 1,000 agents and 10,000 syscalls the exposition holds at
 * most 2,000 series and no agent id; the counters add up; `promtool check metrics` (Debian's
 * prometheus package) accepts the real output with no warnings; GET /metrics answers through the
 * gateway behind its bearer token.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger, type AgentId } from "../../src/core/index.js";
import type { AgentLogic } from "../../src/abi/index.js";
import { boot, type Aios } from "../../src/sdk/index.js";
import { ControlPlane, ensureApiToken, startGateway, type Gateway } from "../../src/gateway/index.js";
import type { AiosMetrics } from "../../src/observe/index.js";

/** Each message is one syscall: Noop, or a ToolCall of a tool that does not exist (an error). */
const caller: AgentLogic<null, string> = {
  init: () => null,
  async receive(state, msg, ctx) {
    if (msg === "bad") await ctx.sys.ToolCall({ tool: "no.such.tool", args: {} }).catch(() => undefined);
    else await ctx.sys.Noop({});
    ctx.reply("ok");
    return state;
  },
};

let dir: string;
let os: Aios;
let metrics: AiosMetrics;
const ids: AgentId[] = [];

/** Waits (on the event loop, not a timer) until the event-fed counter reached `n`. */
async function counted(name: string, labels: Record<string, string>, n: number): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    const m = (await metrics.registry.getSingleMetric(name)?.get())?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x));
    if ((m?.value ?? 0) >= n) return;
    await new Promise((r) => setImmediate(r));
  }
  throw new Error(`${name} never reached ${n}`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aios-metrics-"));
  os = await boot({ dataDir: join(dir, "data"), logger: silentLogger, logics: { caller }, subsystems: { embedder: false } });
  const m = os.subsystems.observe?.metrics;
  if (m === undefined) throw new Error("observe is part of the default stack");
  metrics = m;
  for (let i = 0; i < 1_000; i++) ids.push(await os.spawn({ name: `caller-${i % 7}`, kind: "code", logic: "caller", capabilities: ["tool:*#call", "kernel#noop"] }));
  for (let round = 0; round < 10; round++) {
    await Promise.all(ids.map((id, i) => os.request(id, round === 9 && i % 10 === 0 ? "bad" : "go")));
  }
  for (const id of ids.slice(0, 100)) await os.kill(id);
  await counted("aios_syscalls_total", { syscall: "Noop", outcome: "ok" }, 9_900);
  await counted("aios_agent_exits_total", { status: "killed" }, 100);
}, 120_000);

afterAll(async () => {
  await os.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe("observe: metrics on a booted OS", () => {
  it("stays within 2,000 series after 1,000 agents and 10,000 calls, with no agent id in any label", async () => {
    const text = await metrics.text();
    const series = text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
    expect(series.length).toBeGreaterThan(50);
    expect(series.length).toBeLessThanOrEqual(2_000);
    for (const id of ids.slice(0, 50)) expect(text).not.toContain(id);
  });

  it("counts agents by state, exits, syscalls by outcome and tool calls by tool", async () => {
    const value = async (name: string, labels: Record<string, string> = {}): Promise<number> =>
      (await metrics.registry.getSingleMetric(name)?.get())?.values.find((v) => Object.entries(labels).every(([k, x]) => v.labels[k] === x))?.value ?? 0;
    expect(await value("aios_agents", { state: "running" })).toBe(900);
    expect(await value("aios_agents", { state: "killed" })).toBe(100);
    expect(await value("aios_agent_spawns_total", { kind: "code" })).toBe(1_000);
    expect(await value("aios_syscalls_total", { syscall: "Noop", outcome: "ok" })).toBe(9_900);
    const failedTools = (await value("aios_syscalls_total", { syscall: "ToolCall", outcome: "error" })) + (await value("aios_syscalls_total", { syscall: "ToolCall", outcome: "denied" }));
    expect(failedTools).toBe(100);
    expect(await value("aios_mailbox_messages")).toBe(0);
    expect(await value("aios_data_dir_free_bytes")).toBeGreaterThan(0);
    expect(await value("aios_journal_records_total")).toBeGreaterThanOrEqual(0);
  });

  it("evaluates the SLO rules in process on the live metrics", async () => {
    const slo = os.subsystems.observe?.slo;
    expect(slo).toBeDefined();
    const states = await slo!.evaluate(os.kernel.clock.now());
    expect(states.map((s) => s.alert)).toHaveLength(6);
    const disk = states.find((s) => s.alert === "AiosDataDirDiskLow");
    expect(disk?.value).toBeGreaterThan(0);
    expect(disk?.value).toBeLessThan(1);
  });

  it("passes promtool check metrics with no warnings", async () => {
    const text = await metrics.text();
    const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(r.error).toBeUndefined();
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("is served at GET /metrics behind the bearer token", async () => {
    const plane = new ControlPlane(os);
    const token = ensureApiToken(join(dir, "data"));
    const gw: Gateway = await startGateway(plane, { token, port: 0 });
    try {
      expect((await fetch(`${gw.url}/metrics`)).status).toBe(401);
      const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/plain");
      expect(await res.text()).toContain('aios_agents{state="running"} 900');
      // An audit verification through the API is counted (and feeds the SLO rule on failures).
      expect((await plane.auditVerify()).ok).toBe(true);
      expect((await metrics.auditVerifications.get()).values.find((v) => v.labels["result"] === "ok")?.value).toBe(1);
    } finally {
      await gw.close();
      plane.close();
    }
  });
});
