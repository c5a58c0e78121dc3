/**
 * A restart that brings durable agents back records their recovery transitions as one audit entry
 * per batch listing every (agent, from, to, event seq) in order, not one entry per transition; the
 * entries around it stay one per event, and the log still verifies. Agents are restored lazily
 * (issue #17.6), so the transitions are recorded when they are first used, not at boot.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { boot, flushMicrotasks, silentLogger, type AgentId, type AgentLogic } from "../../src/index.js";
import { AuditReader, verifyAudit } from "../../src/audit/index.js";
import { tempDir } from "./audit-helpers.js";

const counter: AgentLogic<number, unknown> = { init: () => 0, receive: (s, _m, ctx) => (ctx.reply(s + 1), s + 1), snapshot: (s) => s, restore: (d) => Number(d) };

describe("recovery transitions in the audit log", () => {
  it("are recorded when agents are restored (on first use), as one entry per batch, and the log verifies", async () => {
    const dataDir = tempDir();
    const first = await boot({ dataDir, logger: silentLogger, logics: { counter } });
    const ids: AgentId[] = [];
    for (let i = 0; i < 40; i++) ids.push(await first.spawn({ name: `c${i}`, kind: "code", logic: "counter", durable: true }));
    await first.pause(ids[0] as AgentId);
    await first.shutdown("restart");

    const before = AuditReader.open(join(dataDir, "audit"));
    const size = before.size;
    before.close();

    // Agents come back lazily (issue #17.6): the boot itself restores none, so it records no
    // recovery transition; each agent's restore is recorded when it is first used.
    const second = await boot({ dataDir, logger: silentLogger, logics: { counter } });
    expect(second.ps()).toHaveLength(40);
    expect(second.status(ids[0] as AgentId).status).toBe("paused");
    // Every agent used in one turn: the transitions of their restores go into one entry.
    await Promise.all(ids.slice(1).map((id) => second.request(id, "hi")));
    await second.resume(ids[0] as AgentId);
    await flushMicrotasks(5);
    await second.shutdown("done");

    const reader = AuditReader.open(join(dataDir, "audit"));
    const added = reader.entries().slice(size);
    reader.close();
    const batches = added.filter((e) => e.kind === "lifecycle" && e.data["op"] === "recover");
    expect(batches.length).toBeGreaterThanOrEqual(1);
    const transitions = batches.flatMap((b) => (b.data as { count: number; transitions: [string, string, string, number][] }).transitions);
    for (const b of batches) expect((b.data as { count: number }).count).toBe((b.data as { transitions: unknown[] }).transitions.length);
    // Every agent came back to running, and the paused one went on to paused: 41 transitions, in order.
    expect(transitions).toHaveLength(41);
    expect(new Set(transitions.map((t) => t[0]))).toEqual(new Set(ids));
    expect(transitions.filter((t) => t[0] === ids[0]).map((t) => t[2])).toEqual(["running", "paused"]);
    const seqs = transitions.map((t) => t[3]);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    // Far fewer entries than transitions: the 39 agents used together were one batch.
    expect(batches.length).toBeLessThanOrEqual(3);
    // No per-agent recovery entry besides the batches.
    expect(added.filter((e) => e.kind === "lifecycle" && e.agent !== null && e.data["op"] === "recover")).toEqual([]);

    expect(verifyAudit({ dataDir: join(dataDir, "audit") }).problems).toEqual([]);
  });
});
