/**
 * A restart that brings durable agents back records their recovery transitions as one audit entry
 * listing every (agent, from, to, event seq) in order, not one entry per transition; the entries
 * around it stay one per event, and the log still verifies.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { boot, flushMicrotasks, silentLogger, type AgentId, type AgentLogic } from "../../src/index.js";
import { AuditReader, verifyAudit } from "../../src/audit/index.js";
import { tempDir } from "./audit-helpers.js";

const counter: AgentLogic<number, unknown> = { init: () => 0, receive: (s, _m, ctx) => (ctx.reply(s + 1), s + 1), snapshot: (s) => s, restore: (d) => Number(d) };

describe("recovery transitions in the audit log", () => {
  it("are one entry naming every agent brought back, and the log verifies", async () => {
    const dataDir = tempDir();
    const first = await boot({ dataDir, logger: silentLogger, logics: { counter } });
    const ids: AgentId[] = [];
    for (let i = 0; i < 40; i++) ids.push(await first.spawn({ name: `c${i}`, kind: "code", logic: "counter", durable: true }));
    await first.pause(ids[0] as AgentId);
    await first.shutdown("restart");

    const before = AuditReader.open(join(dataDir, "audit"));
    const size = before.size;
    before.close();

    const second = await boot({ dataDir, logger: silentLogger, logics: { counter } });
    expect(await second.request(ids[1] as AgentId, "hi")).toBe(1);
    await flushMicrotasks(5);
    await second.shutdown("done");

    const reader = AuditReader.open(join(dataDir, "audit"));
    const added = reader.entries().slice(size);
    reader.close();
    const batches = added.filter((e) => e.kind === "lifecycle" && e.data["op"] === "recover");
    expect(batches).toHaveLength(1);
    const batch = batches[0]?.data as { count: number; transitions: [string, string, string, number][] };
    // Every agent came back to running, and the paused one went on to paused: 41 transitions, in order.
    expect(batch.count).toBe(41);
    expect(batch.transitions).toHaveLength(41);
    expect(new Set(batch.transitions.map((t) => t[0]))).toEqual(new Set(ids));
    expect(batch.transitions.filter((t) => t[0] === ids[0]).map((t) => t[2])).toEqual(["running", "paused"]);
    const seqs = batch.transitions.map((t) => t[3]);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    // No per-agent recovery entry besides the batch.
    expect(added.filter((e) => e.kind === "lifecycle" && e.agent !== null && e.data["op"] === "recover")).toEqual([]);

    expect(verifyAudit({ dataDir: join(dataDir, "audit") }).problems).toEqual([]);
  });
});
