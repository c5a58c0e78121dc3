/**
 * Issue #17: every per-agent table is bounded by the agents alive (plus the kernel's window of ended
 * ones), not by the agents that ever lived. Thousands of agents each take an entry in every such table —
 * a quota account (sched), a counted capability's counter (security's QuotaLedger), a taint set, a
 * topic subscription, a contract, an inbox and a de-duplication window (ipc), the audit's tallies of
 * its aggregated calls — and end; afterwards every table is back to its size before (the tallies once
 * the interval that counts their calls is written).
 */
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { boot, stop, type AgentContext, type AgentId, type AgentLogic, type Aios } from "../../src/index.js";
import type { Ipc } from "../../src/ipc/index.js";
import type { SchedService } from "../../src/sched/index.js";
import type { Security } from "../../src/security/index.js";
import type { AuditService } from "../../src/audit/index.js";
import { defineTool } from "../../src/tools/index.js";

const echo = defineTool({ name: "sweep_echo", description: "answers null", input: z.strictObject({}), sideEffect: false, requires: () => [], execute: async () => null });
const CAPS = ["kernel#noop{max=3}", "topic:sweep.*#subscribe", "tool:sweep_echo#call"];

/** Takes an entry in every per-agent table the syscalls reach. */
async function touch(ctx: AgentContext): Promise<null> {
    await ctx.sys.Noop({});
    await ctx.sys.SemanticSubscribe({ pattern: "sweep.topic" });
    await ctx.sys.AgentRegister({ skills: [] });
    await ctx.sys.SemanticRecv({ timeoutMs: 0 });
    // A pure tool: an allowed call counted in the audit's aggregate, under a tally of its own.
    await ctx.sys.ToolCall({ tool: "sweep_echo", args: {} });
    return null;
}

/** Touches every table, then ends on its first message. */
const toucher: AgentLogic<null> = { init: touch, receive: () => stop() };
/** Touches every table and stays. */
const holder: AgentLogic<null> = { init: touch, receive: (s, _m, ctx) => (ctx.reply(true), s) };

/** Of another tenant: what it sends carries its tenant as a taint label, so each toucher gets a taint set. */
const pinger: AgentLogic<null> = {
  init: () => null,
  async receive(s, to, ctx) {
    // With a message id: the recipient's de-duplication window (ipc) keeps it.
    await ctx.sys.SemanticSend({ to: to as string, payload: "stop", id: `stop-${String(to)}` });
    return s;
  },
};

function sizes(os: Aios): Record<string, number> {
  const ipc = os.subsystems["ipc"] as Ipc;
  const sched = os.subsystems["sched"] as SchedService;
  const sec = os.subsystems["security"] as Security;
  const audit = os.subsystems["audit"] as AuditService;
  // The interval's aggregates written: an ended agent's tallies are forgotten once their counts are.
  os.audit.drain();
  return {
    table: os.kernel.table.size,
    quotaAccounts: sched.quotas?.size ?? -1,
    capabilityCounters: sec.checker.quotas.size,
    taint: sec.taint.size,
    auditTallies: audit.sink.keptTallies,
    ...ipc.tables(),
  };
}

async function run(os: Aios, pingerId: AgentId, n: number, ephemeral: boolean): Promise<void> {
  for (let i = 0; i < n; i += 500) {
    const ids: AgentId[] = await Promise.all(
      Array.from({ length: Math.min(500, n - i) }, (_, j) =>
        os.spawn({ name: `t${i + j}`, kind: "code", logic: "toucher", ephemeral, capabilities: CAPS }),
      ),
    );
    // Each took its entries in init; "stop", from another tenant, taints it and ends it.
    await Promise.all(ids.map(async (id) => {
      const ended = os.wait(id);
      await os.send(pingerId, id);
      await ended;
    }));
  }
}

/** Agents spawned and ended: 2,000 in CI (time); AIOS_SWEEP_AGENTS=10000 runs the 10,000. */
const N = Number(process.env["AIOS_SWEEP_AGENTS"] ?? 2_000);

describe("per-agent tables after agents end", () => {
  it(`${N} agents (half ephemeral) that each used every table: every table back to its size before`, async () => {
    const os = await boot({
      logics: { toucher, pinger, holder },
      limits: { keepEnded: 0 },
      subsystems: { embedder: false, memory: false, mcp: false, ipc: { dedupAll: true }, sched: { quotas: { syscalls: ["Noop"], agent: { rpm: 1_000_000 } } } },
    });
    try {
      os.tools.register(echo);
      const p = await os.spawn({ name: "pinger", kind: "code", logic: "pinger", tenant: "other", capabilities: ["agent:*#send"] });
      // Warm-up: a first agent builds whatever is built once (tenant accounts, lazily made tables).
      await run(os, p, 1, false);
      const before = sizes(os);
      // A probe takes an entry in each table (so the check below checks something).
      const probe = await os.spawn({ name: "probe", kind: "code", logic: "holder", capabilities: CAPS });
      await os.send(p, probe);
      expect(await os.request(probe, "done?")).toBe(true);
      const during = sizes(os);
      for (const k of Object.keys(before)) expect(during[k], k).toBeGreaterThan(before[k] as number);
      await os.kill(probe);
      expect(sizes(os)).toEqual(before);
      await run(os, p, N / 2, true);
      await run(os, p, N / 2, false);
      expect(sizes(os)).toEqual(before);
    } finally {
      await os.shutdown();
    }
  }, Math.max(60_000, N * 30));

  it("keeps the last keepEnded ended agents visible, and no more", async () => {
    const os = await boot({ logics: { toucher, pinger }, limits: { keepEnded: 100 }, subsystems: { embedder: false, memory: false, mcp: false } });
    try {
      os.tools.register(echo);
      const p = await os.spawn({ name: "pinger", kind: "code", logic: "pinger", tenant: "other", capabilities: ["agent:*#send"] });
      await run(os, p, 1_000, false);
      const ended = os.ps({ status: "completed" });
      expect(ended).toHaveLength(100);
      // The newest are kept: the last one ended is still there with its status.
      expect(ended.map((a) => a.name)).toContain("t999");
      expect(os.kernel.endedAgents.kept).toBeLessThanOrEqual(100);
    } finally {
      await os.shutdown();
    }
  }, 60_000);
});
