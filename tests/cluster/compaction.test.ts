/**
 * Compaction of the cluster tables (docs/adr/0045), on real PostgreSQL:
 * - a tree's journal folded into a snapshot loads to the same state as the full journal (a property:
 *   random sends, handlings, calls, transitions, compactions on demand and automatic ones);
 * - a compaction under a stale epoch is refused by PostgreSQL, and so are a base moved without a
 *   snapshot and a delete of rows not below one;
 * - after compaction a replayed or duplicated letter is still refused: by its kept key while the key
 *   lives, then by the recipient's windows that the snapshot carried to the node that took it over;
 * - a failed call replays with the error one node's journal hands back (code, details, cause), and a
 *   journaled value that is no error reads back as E_INTERNAL saying so.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { ClusterJournal, FencedJournal, LeaseTable, MailSeal, Mailroom, migrateCluster, type ClusterJournalHooks } from "../../src/cluster/index.js";
import { AiosError, SimulatedClock, type AgentId, type MessageId, type TenantId } from "../../src/core/index.js";
import type { Caller, StoredSpec, SyscallName } from "../../src/abi/index.js";
import { createSqliteJournal } from "../../src/kernel/journal-adapter.js";
import { useClusterDb } from "./cluster-db.js";
import { TEST_SECRET, keep, startNode } from "./node-fixture.js";

const db = useClusterDb("compaction");
const seal = new MailSeal(TEST_SECRET);
const TTL = 1e12;

beforeAll(async () => {
  await migrateCluster(db.pool);
});

/** A ClusterJournal of node `node` in `cluster`, its root trees leased to it. */
function journalOf(cluster: string, node: string, compactRows: number): ClusterJournal {
  const leases = new LeaseTable(db.pool, cluster);
  const hooks: ClusterJournalHooks = {
    acquire: async (root) => {
      const l = await leases.acquire(root, node, 0, TTL);
      if (l === null) throw new Error(`no lease for ${root}`);
      return l;
    },
    onFenced: () => undefined,
    wake: () => undefined,
    deliver: () => Promise.resolve(true),
    parkLimit: 4_096,
  };
  return new ClusterJournal(new FencedJournal(db.pool, cluster), new Mailroom(db.pool, cluster, node, seal), hooks, undefined, undefined, compactRows);
}

async function rows(cluster: string): Promise<number> {
  const r = await db.pool.query("SELECT count(*) AS n FROM cluster_journal WHERE cluster = $1", [cluster]);
  return Number(r.rows[0]?.["n"]);
}

const AGENTS = ["r", "c1", "c2"] as const;
const spec = (name: string): StoredSpec => ({ name }) as unknown as StoredSpec;
const caller = (agent: string): Caller => ({ agent: agent as AgentId, tenant: "t" as TenantId, name: agent, capabilities: [], taint: new Set(), priority: 0 }) as unknown as Caller;

type Op =
  | { readonly t: "send"; readonly to: number; readonly key: number | null; readonly copy: { readonly from: number | null; readonly nth: number } | null }
  | { readonly t: "handle"; readonly agent: number; readonly pick: number }
  | { readonly t: "call"; readonly agent: number; readonly answered: boolean }
  | { readonly t: "pause"; readonly agent: number }
  | { readonly t: "end"; readonly agent: number }
  | { readonly t: "compact" };

const agentIx = fc.integer({ min: 0, max: AGENTS.length - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ t: fc.constant("send" as const), to: agentIx, key: fc.option(fc.integer({ min: 0, max: 6 })), copy: fc.option(fc.record({ from: fc.option(agentIx), nth: fc.integer({ min: 1, max: 3 }) })) }) },
  { weight: 4, arbitrary: fc.record({ t: fc.constant("handle" as const), agent: agentIx, pick: fc.nat(8) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant("call" as const), agent: agentIx, answered: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("pause" as const), agent: agentIx }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant("end" as const), agent: fc.integer({ min: 1, max: AGENTS.length - 1 }) }) },
  { weight: 1, arbitrary: fc.constant({ t: "compact" as const }) },
);

/** Runs `ops` on the uncompacted twin and on the compacted one alike (the compactions only there). */
async function drive(full: ClusterJournal, comp: ClusterJournal, ops: readonly Op[]): Promise<string[]> {
  const both = async (f: (j: ClusterJournal) => Promise<unknown>): Promise<void> => {
    await f(full);
    await f(comp);
  };
  const seq = new Map<string, number>(AGENTS.map((a) => [a, 0]));
  const status = new Map<string, string>(AGENTS.map((a) => [a, "running"]));
  const copies: string[] = [];
  await both((j) => j.spawned({ id: "r" as AgentId, spec: spec("r"), status: "running", callSeq: 0 }));
  for (const c of AGENTS.slice(1)) await both((j) => j.spawned({ id: c as AgentId, spec: spec(c), parent: "r" as AgentId, status: "running", callSeq: 0 }));
  let n = 0;
  for (const op of ops) {
    n++;
    const agent = AGENTS[op.t === "send" ? op.to : op.t === "compact" ? 0 : op.agent] ?? "r";
    switch (op.t) {
      case "send": {
        let copy: { from: AgentId; cause: MessageId; nth: number } | undefined;
        if (op.copy !== null) {
          const from = op.copy.from === null ? "ext" : (AGENTS[op.copy.from] ?? "ext");
          // A replayable send of an agent of the tree is made while it handles a letter of its own.
          const cause = [...(full.state.agents.get(from)?.mailbox.keys() ?? [])][0] ?? "outside";
          copy = { from: from as AgentId, cause: cause as MessageId, nth: op.copy.nth };
          copies.push(`${from}/${cause}/${op.copy.nth}`);
        }
        const m = { id: `m${n}` as MessageId, to: agent as AgentId, payload: { n }, ...(op.key === null ? {} : { key: `k${op.key}` }), ...(copy ?? {}) };
        await both((j) => j.enqueue(m));
        break;
      }
      case "handle": {
        if (full.state.agents.get(agent) === undefined) break;
        const box = [...(full.state.agents.get(agent)?.mailbox.keys() ?? [])];
        const msg = box.length === 0 ? undefined : (box[op.pick % box.length] as MessageId);
        await both((j) => j.handled(agent as AgentId, msg, { at: n }, seq.get(agent) ?? 0));
        break;
      }
      case "call": {
        if (full.state.agents.get(agent) === undefined) break;
        const s = (seq.get(agent) ?? 0) + 1;
        seq.set(agent, s);
        await both((j) => j.intent(caller(agent), s, "send" as SyscallName, { n }, op.answered ? undefined : `idem-${n}`));
        if (op.answered) await both((j) => j.result(caller(agent), s, { ok: n }));
        break;
      }
      case "pause": {
        if (full.state.agents.get(agent) === undefined) break;
        const to = status.get(agent) === "running" ? "paused" : "running";
        status.set(agent, to);
        await both((j) => j.transitioned(agent as AgentId, to, "test"));
        break;
      }
      case "end":
        if (full.state.agents.get(agent) === undefined) break;
        await both((j) => j.transitioned(agent as AgentId, "completed", "test"));
        break;
      case "compact":
        await comp.compact("r");
        break;
    }
  }
  await both((j) => j.flush());
  return copies;
}

describe("cluster journal compaction", () => {
  it("a tree taken over after compaction recovers the same state as from its full journal", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
        run++;
        const full = journalOf(`pf${run}`, "a", 0);
        const comp = journalOf(`pc${run}`, "a", 6);
        const copies = await drive(full, comp, ops);
        // Compaction never changes the fold it is taken from.
        expect(comp.state.toRecords()).toEqual(full.state.toRecords());
        // Another node loads each tree from PostgreSQL: the same agents, mailboxes, fold and sends.
        const [fullNext, compNext] = [journalOf(`pf${run}`, "b", 0), journalOf(`pc${run}`, "b", 0)];
        const [fromFull, fromComp] = [await fullNext.load({ agent: "r", epoch: 1 }), await compNext.load({ agent: "r", epoch: 1 })];
        expect(fromComp).toEqual(fromFull);
        expect(compNext.state.toRecords()).toEqual(fullNext.state.toRecords());
        for (const a of [...AGENTS, "ext"]) expect(compNext.streamKeyOf(a)).toBe(fullNext.streamKeyOf(a));
        for (const c of copies) {
          const [from = "", cause = "", nth = "0"] = c.split("/");
          expect(compNext.sent(from as AgentId, cause as MessageId, Number(nth))).toBe(fullNext.sent(from as AgentId, cause as MessageId, Number(nth)));
        }
        expect(await rows(`pc${run}`)).toBeLessThanOrEqual(await rows(`pf${run}`) + 1 + compNext.state.toRecords().length);
      }),
      { numRuns: 20 },
    );
  }, 120_000);

  it("folds a long journal automatically, and loads it from the snapshot", async () => {
    const j = journalOf("auto1", "a", 50);
    await j.spawned({ id: "r" as AgentId, spec: spec("r"), status: "running", callSeq: 0 });
    for (let i = 1; i <= 200; i++) {
      await j.enqueue({ id: `m${i}` as MessageId, to: "r" as AgentId, payload: i, key: `k${i}` });
      await j.handled("r" as AgentId, `m${i}` as MessageId, { last: i }, 0);
    }
    await j.flush();
    // 401 rows appended; each compaction leaves 2 (snapshot row, checkpoint) and the next comes at 50.
    expect(await rows("auto1")).toBeLessThan(60);
    const next = journalOf("auto1", "b", 0);
    const got = await next.load({ agent: "r", epoch: 1 });
    expect(got.agents.map((a) => [a.id, a.checkpoint, a.seen?.length])).toEqual([["r", { last: 200 }, 200]]);
  });

  it("a compaction by a stale owner is refused by PostgreSQL; the base moves only onto a snapshot", async () => {
    const stale = journalOf("fence1", "a", 0);
    await stale.spawned({ id: "r" as AgentId, spec: spec("r"), status: "running", callSeq: 0 });
    for (let i = 1; i <= 5; i++) await stale.enqueue({ id: `m${i}` as MessageId, to: "r" as AgentId, payload: i });
    await stale.flush();
    // Node b takes the tree over (a's lease expired): epoch 2.
    const leases = new LeaseTable(db.pool, "fence1");
    await db.pool.query("UPDATE cluster_leases SET expires_at = 0 WHERE cluster = 'fence1'");
    expect((await leases.acquire("r", "b", 1, TTL))?.epoch).toBe(2);
    const before = await rows("fence1");
    await expect(stale.compact("r")).rejects.toMatchObject({ code: "E_CONFLICT", details: { reason: "fenced", currentEpoch: 2 } });
    expect(await rows("fence1")).toBe(before);
    // Straight into PostgreSQL: a base without a snapshot under the lease's epoch, a stale base, a delete.
    await expect(db.pool.query("INSERT INTO cluster_journal_base VALUES ('fence1', 'r', 3, 2)")).rejects.toMatchObject({ code: "AIOSF" });
    await expect(db.pool.query("INSERT INTO cluster_journal_base VALUES ('fence1', 'r', 3, 1)")).rejects.toMatchObject({ code: "AIOSF" });
    await expect(db.pool.query("DELETE FROM cluster_journal WHERE cluster = 'fence1'")).rejects.toMatchObject({ code: "AIOSF" });
    // The new owner compacts: the rows before its snapshot go, and no owner can move the base back.
    const owner = journalOf("fence1", "b", 0);
    await owner.load({ agent: "r", epoch: 2 });
    expect(await owner.compact("r")).toEqual({ trees: 1, deleted: before });
    await expect(db.pool.query("UPDATE cluster_journal_base SET base = 1 WHERE cluster = 'fence1'")).rejects.toMatchObject({ code: "AIOSF" });
    expect((await new FencedJournal(db.pool, "fence1").read("r")).map((r) => r.kind)).toEqual(["snapshot", "checkpoint", "enqueue", "enqueue", "enqueue", "enqueue", "enqueue"]);
  });
});

describe("cross-node mail after compaction", () => {
  it("a replayed or duplicated letter is still refused: by its kept key, then by the windows the snapshot kept", async () => {
    const clock = new SimulatedClock();
    const b = await startNode({ postgres: db.url, clock, cluster: "mail1", node: "b", logics: { keep } });
    let c: Awaited<ReturnType<typeof startNode>> | undefined;
    const sender = new Mailroom(db.pool, "mail1", "sender-node", seal, () => clock.now());
    const untaken = async (): Promise<number> => Number((await db.pool.query("SELECT count(*) AS n FROM cluster_mail WHERE cluster = 'mail1' AND NOT taken")).rows[0]?.["n"]);
    const got = async (n: typeof b, target: AgentId, want: number): Promise<unknown> => {
      for (let i = 0; i < 100 && ((await n.os.request(target, "get", { timeoutMs: 5_000 })) as unknown[]).length < want; i++) await new Promise((r) => setTimeout(r, 20));
      return n.os.request(target, "get", { timeoutMs: 5_000 });
    };
    try {
      const target = await b.os.spawn({ name: "keep", kind: "code", logic: "keep" });
      const keyed = { to: target, payload: "keyed", key: "order-1" };
      const replayable = { to: target, payload: "replayable", from: "ext" as AgentId, cause: "letter-1" as MessageId, nth: 1 };
      await sender.post({ id: "m1" as MessageId, ...keyed });
      await sender.post({ id: "m2" as MessageId, ...replayable });
      await b.svc.node()?.beat();
      await b.svc.settled();
      expect(await got(b, target, 2)).toEqual(["keyed", "replayable"]);

      const report = await b.svc.compact();
      expect(report).toMatchObject({ trees: 1, mailStripped: 2, mailDeleted: 0 });
      expect(report.journalRows).toBeGreaterThan(0);
      const kept = await db.pool.query("SELECT dedup, body, mac FROM cluster_mail WHERE cluster = 'mail1' ORDER BY n");
      expect(kept.rows).toEqual([{ dedup: "k:order-1", body: "", mac: null }, { dedup: "s:ext/letter-1/1", body: "", mac: null }]);
      // While the keys are kept: copies stored again are dropped by PostgreSQL.
      await sender.post({ id: "m1b" as MessageId, ...keyed });
      await sender.post({ id: "m2b" as MessageId, ...replayable });
      expect(await untaken()).toBe(0);

      // Node c takes the tree over from its snapshot; then the keys pass their horizon.
      await b.os.shutdown();
      c = await startNode({ postgres: db.url, clock, cluster: "mail1", node: "c", logics: { keep } });
      await c.svc.node()?.beat();
      await c.svc.settled();
      expect(c.svc.node()?.held().has(target)).toBe(true);
      expect(await sender.compact(clock.now() + 1)).toEqual({ stripped: 0, deleted: 2 });
      await sender.post({ id: "m1c" as MessageId, ...keyed });
      await sender.post({ id: "m2c" as MessageId, ...replayable });
      expect(await untaken()).toBe(2);
      await c.svc.node()?.beat(); // the pull recognises both: the seen key and the received send
      await c.svc.settled();
      expect(await untaken()).toBe(0);
      expect(await c.os.request(target, "get", { timeoutMs: 5_000 })).toEqual(["keyed", "replayable"]);
    } finally {
      await c?.os.shutdown();
      await b.os.shutdown().catch(() => undefined);
    }
  }, 30_000);

  it("replies nobody took expire; a taken one keeps nothing", async () => {
    const clock = new SimulatedClock();
    const a = await startNode({ postgres: db.url, clock, cluster: "rep1", node: "a", logics: { keep } });
    try {
      await db.pool.query("INSERT INTO cluster_replies (cluster, node, call, origin, body, at) VALUES ('rep1', 'gone', 'c1', 'a', '{}', $1), ('rep1', 'gone', 'c2', 'a', '{}', $2)", [clock.now() - 7_200_000, clock.now()]);
      expect(await a.svc.compact()).toMatchObject({ repliesDeleted: 1 });
      const left = await db.pool.query("SELECT call FROM cluster_replies WHERE cluster = 'rep1'");
      expect(left.rows).toEqual([{ call: "c2" }]);
    } finally {
      await a.os.shutdown();
    }
  }, 20_000);
});

describe("cluster journal replay of a failed call", () => {
  it("hands back the error as one node's journal does: code, message, details and cause", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-replay-"));
    const single = createSqliteJournal(dir);
    await single.recover();
    const cluster = journalOf("replay1", "a", 0);
    const err = new AiosError("E_TOOL", "the tool broke", { details: { tool: "fs.write", exit: 3 }, cause: new Error("disk full") }).toJSON();
    const forged = { code: "E_NOT_A_CODE", message: "planted", retryable: false };
    try {
      for (const j of [single, cluster]) {
        await j.spawned({ id: "r" as AgentId, spec: spec("r"), status: "running", callSeq: 0 });
        await j.intent(caller("r"), 1, "ToolCall", { n: 1 });
        await j.result(caller("r"), 1, undefined, err);
        await j.intent(caller("r"), 2, "ToolCall", { n: 2 });
        await j.result(caller("r"), 2, undefined, forged as unknown as typeof err);
      }
      await cluster.flush();
      expect(err.details).toEqual({ tool: "fs.write", exit: 3 });
      expect(err.cause).toBeDefined();
      for (const seq of [1, 2]) expect(cluster.lookup(caller("r"), seq)).toEqual(single.lookup(caller("r"), seq));
      expect(cluster.lookup(caller("r"), 1)).toEqual({ found: true, result: undefined, error: err });
      expect(cluster.lookup(caller("r"), 2)).toMatchObject({ found: true, error: { code: "E_INTERNAL", message: "a journaled error could not be read back" } });
    } finally {
      await single.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
