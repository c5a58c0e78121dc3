/**
 * Leases and the fence against a real PostgreSQL (docs/adr/0028), from the attacker's side:
 * - a write under a stale epoch is refused inside PostgreSQL, whatever code issues it (raw SQL too),
 *   and nothing of the refused batch is stored;
 * - the interleavings the share lock exists for: a takeover waits for an in-flight write (and then
 *   sees it); a write that follows an uncommitted takeover waits for it and is refused;
 * - two nodes racing 1,000 times (8 agents x 125) on separate connections: exactly one wins each
 *   round, epochs go up by one, no epoch is ever held or written by two nodes, every stale write is
 *   refused.
 * Time is a number handed to each call (the nodes' injected clocks), never a sleep.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLUSTER_SCHEMA, FencedJournal, LeaseTable, openClusterPool, migrateCluster, type ClusterPool, type SqlPool } from "../../src/cluster/index.js";
import { usePostgres } from "../helpers/postgres.js";

// The race makes thousands of commits: fsync is off for this file's server (synchronous_commit stays
// on per connection). Ordering and locking, which these tests check, do not depend on fsync.
const pgServer = usePostgres({ settings: { fsync: "off" } });
const TTL = 5_000;
const T0 = 1_700_000_000_000;

let url: string;
let poolA: ClusterPool;
let poolB: ClusterPool;
let admin: ClusterPool;
beforeAll(async () => {
  url = await pgServer().createDatabase("fence");
  poolA = openClusterPool({ url });
  poolB = openClusterPool({ url });
  admin = openClusterPool({ url });
  await migrateCluster(admin);
}, 30_000);
afterAll(async () => {
  await Promise.all([poolA.end(), poolB.end(), admin.end()]);
});

/** A pool whose queries all run on one open connection (to hold a transaction across calls). */
async function pinned(pool: SqlPool): Promise<SqlPool & { release(): void }> {
  const conn = await pool.connect();
  return { query: (t, p) => conn.query(t, p), connect: () => Promise.reject(new Error("pinned")), end: () => Promise.resolve(), release: () => conn.release() };
}

/** Resolves once some backend waits on a lock (pg_stat_activity), polling PostgreSQL itself. */
async function someoneWaitsOnALock(): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const r = await admin.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'");
    if (r.rows[0]?.["n"] !== 0) return;
    await new Promise((res) => setImmediate(res));
  }
  throw new Error("nobody waited on a lock");
}

describe("migrations", () => {
  it("are idempotent and versioned", async () => {
    expect(await migrateCluster(admin)).toBe(CLUSTER_SCHEMA);
    expect(await migrateCluster(poolA)).toBe(CLUSTER_SCHEMA);
    await admin.query("UPDATE cluster_meta SET value = '99' WHERE key = 'schema'");
    await expect(migrateCluster(admin)).rejects.toMatchObject({ code: "E_SCHEMA_VERSION", details: { path: "cluster_meta.schema" } });
    await admin.query("UPDATE cluster_meta SET value = $1 WHERE key = 'schema'", [String(CLUSTER_SCHEMA)]);
  });
});

describe("leases", () => {
  it("acquire bumps the epoch, refuses a live lease, allows takeover after expiry; release keeps the epoch", async () => {
    const a = new LeaseTable(poolA, "c-lease");
    const b = new LeaseTable(poolB, "c-lease");
    expect(await a.acquire("ag", "na", T0, TTL)).toEqual({ agent: "ag", owner: "na", epoch: 1, expiresAt: T0 + TTL });
    expect(await b.acquire("ag", "nb", T0 + TTL - 1, TTL)).toBeNull();
    expect(await b.acquire("ag", "nb", T0 + TTL, TTL)).toMatchObject({ owner: "nb", epoch: 2 });
    // The old owner's renewal no longer finds it.
    expect(await a.renew(poolA, "na", T0 + TTL, TTL)).toEqual([]);
    expect(await b.release("ag", "na", 2)).toBe(false);
    expect(await b.release("ag", "nb", 1)).toBe(false);
    expect(await b.release("ag", "nb", 2)).toBe(true);
    expect(await a.get("ag")).toMatchObject({ owner: null, epoch: 2 });
    expect(await a.acquire("ag", "na", T0 + TTL, TTL)).toMatchObject({ epoch: 3 });
  });

  it("register keeps hints and an existing row; claimable lists unowned and expired leases", async () => {
    const t = new LeaseTable(poolA, "c-claim");
    expect(await t.register("x", { node: "n2", tags: ["gpu"] })).toBe(true);
    expect(await t.register("x", {})).toBe(false);
    await t.acquire("y", "n1", T0, TTL);
    expect((await t.claimable(T0)).map((l) => [l.agent, l.epoch, l.hints])).toEqual([["x", 0, { node: "n2", tags: ["gpu"] }]]);
    expect((await t.claimable(T0 + TTL)).map((l) => l.agent)).toEqual(["x", "y"]);
    expect(await t.heldCounts(T0)).toEqual(new Map([["n1", 1]]));
    expect(await t.acquire("x", "n2", T0, TTL)).toMatchObject({ epoch: 1 });
    expect((await t.get("x"))?.hints).toEqual({ node: "n2", tags: ["gpu"] });
  });
});

describe("the fence", () => {
  it("refuses a stale epoch, a future epoch and an agent without a lease; stores nothing of a refused batch", async () => {
    const leases = new LeaseTable(poolA, "c-fence");
    const ja = new FencedJournal(poolA, "c-fence");
    const jb = new FencedJournal(poolB, "c-fence");
    const la = await leases.acquire("ag", "na", T0, TTL);
    if (la === null) throw new Error("no lease");
    await ja.append(la, 1, [{ kind: "msg", body: "a1" }]);
    const lb = await new LeaseTable(poolB, "c-fence").acquire("ag", "nb", T0 + TTL, TTL);
    if (lb === null) throw new Error("no takeover");
    await expect(ja.append(la, 2, [{ kind: "msg", body: "stale-1" }, { kind: "msg", body: "stale-2" }])).rejects.toMatchObject({
      code: "E_CONFLICT",
      details: { reason: "fenced", currentEpoch: 2, agent: "ag", epoch: 1 },
    });
    await expect(ja.append({ agent: "ag", epoch: 3 }, 2, [{ kind: "msg", body: "future" }])).rejects.toMatchObject({ details: { reason: "fenced" } });
    await expect(ja.append({ agent: "nobody", epoch: 1 }, 1, [{ kind: "msg", body: "x" }])).rejects.toMatchObject({ details: { reason: "fenced" } });
    await jb.append(lb, 2, [{ kind: "msg", body: "b2" }]);
    await expect(jb.append(lb, 2, [{ kind: "msg", body: "again" }])).rejects.toMatchObject({ code: "E_CONFLICT", details: { reason: "seq" } });
    expect((await jb.read("ag")).map((e) => [e.seq, e.epoch, e.body])).toEqual([
      [1, 1, "a1"],
      [2, 2, "b2"],
    ]);
    expect(await jb.lastSeq("ag")).toBe(2);
  });

  it("is enforced by PostgreSQL for any writer: raw INSERT at a stale epoch, UPDATE and DELETE are refused", async () => {
    const la = await new LeaseTable(poolA, "c-raw").acquire("ag", "na", T0, TTL);
    if (la === null) throw new Error("no lease");
    await new FencedJournal(poolA, "c-raw").append(la, 1, [{ kind: "k", body: "ok" }]);
    await new LeaseTable(poolB, "c-raw").acquire("ag", "nb", T0 + TTL, TTL);
    await expect(admin.query("INSERT INTO cluster_journal VALUES ('c-raw', 'ag', 9, 1, 'k', 'forged')")).rejects.toMatchObject({ code: "AIOSF" });
    await expect(admin.query("UPDATE cluster_journal SET body = 'rewritten' WHERE cluster = 'c-raw'")).rejects.toMatchObject({ code: "AIOSF" });
    await expect(admin.query("DELETE FROM cluster_journal WHERE cluster = 'c-raw'")).rejects.toMatchObject({ code: "AIOSF" });
    const r = await admin.query("SELECT body FROM cluster_journal WHERE cluster = 'c-raw'");
    expect(r.rows).toEqual([{ body: "ok" }]);
  });

  it("a takeover waits for an in-flight write and then the new owner reads it", async () => {
    const la = await new LeaseTable(poolA, "c-wait1").acquire("ag", "na", T0, TTL);
    if (la === null) throw new Error("no lease");
    const conn = await poolA.connect();
    try {
      await conn.query("BEGIN");
      await conn.query("INSERT INTO cluster_journal VALUES ('c-wait1', 'ag', 1, 1, 'k', 'in-flight')");
      const takeover = new LeaseTable(poolB, "c-wait1").acquire("ag", "nb", T0 + TTL, TTL);
      await someoneWaitsOnALock();
      await conn.query("COMMIT");
      expect(await takeover).toMatchObject({ owner: "nb", epoch: 2 });
      expect((await new FencedJournal(poolB, "c-wait1").read("ag")).map((e) => e.body)).toEqual(["in-flight"]);
    } finally {
      conn.release();
    }
  });

  it("a write that follows an uncommitted takeover waits for it and is refused", async () => {
    const la = await new LeaseTable(poolA, "c-wait2").acquire("ag", "na", T0, TTL);
    if (la === null) throw new Error("no lease");
    const tx = await pinned(poolB);
    try {
      await tx.query("BEGIN");
      expect(await new LeaseTable(tx, "c-wait2").acquire("ag", "nb", T0 + TTL, TTL)).toMatchObject({ epoch: 2 });
      const write = new FencedJournal(poolA, "c-wait2").append(la, 1, [{ kind: "k", body: "late" }]);
      const settled = write.then(
        () => "stored",
        (e: unknown) => e,
      );
      await someoneWaitsOnALock();
      await tx.query("COMMIT");
      expect(await settled).toMatchObject({ code: "E_CONFLICT", details: { reason: "fenced", currentEpoch: 2 } });
      expect(await new FencedJournal(poolB, "c-wait2").read("ag")).toEqual([]);
    } finally {
      tx.release();
    }
  });
});

describe("two nodes racing for agents", () => {
  // 1,000 races in all: 8 agents raced 125 times each, the agents' races running concurrently (~120
  // races/s on this loaded 2-core machine at load ~17, so one agent raced 2,000 times in a row would
  // exceed the 20 s budget of a test file). RACE_AGENTS and RACE_ROUNDS change the split, e.g.
  // RACE_AGENTS=1 RACE_ROUNDS=3000 for a long run of one agent (the timeout grows with it).
  const AGENTS = Number(process.env["RACE_AGENTS"] ?? 8);
  const ROUNDS = Number(process.env["RACE_ROUNDS"] ?? 125);

  async function race(agent: string, a: SqlPool, b: SqlPool): Promise<{ stored: number; fenced: number }> {
    const nodes = [
      { name: "na", leases: new LeaseTable(a, "c-race"), journal: new FencedJournal(a, "c-race"), held: 0 },
      { name: "nb", leases: new LeaseTable(b, "c-race"), journal: new FencedJournal(b, "c-race"), held: 0 },
    ];
    const holders = new Map<number, string[]>();
    let stored = 0;
    let fenced = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      // Each round's clock is past the last lease's expiry, so both nodes may claim it.
      const now = T0 + round * TTL;
      const won = await Promise.all(nodes.map((n) => n.leases.acquire(agent, n.name, now, TTL)));
      const winners = won.flatMap((l, i) => (l === null ? [] : [{ epoch: l.epoch, node: nodes[i] }]));
      expect(winners.length).toBe(1);
      for (const w of winners) {
        if (w.node === undefined) continue;
        holders.set(w.epoch, [...(holders.get(w.epoch) ?? []), w.node.name]);
        w.node.held = w.epoch;
        expect(w.epoch).toBe(round);
      }
      // Both activations write at the next seq, each under the epoch it last acquired (the loser's is stale).
      const results = await Promise.allSettled(
        nodes.map((n) => (n.held === 0 ? Promise.resolve(false) : n.journal.append({ agent, epoch: n.held }, stored + 1, [{ kind: "k", body: `${n.name}@${n.held}` }]).then(() => true))),
      );
      for (const r of results) {
        if (r.status === "fulfilled" && r.value) stored++;
        if (r.status === "rejected") {
          expect(r.reason).toMatchObject({ code: "E_CONFLICT", details: { reason: "fenced" } });
          fenced++;
        }
      }
    }
    expect([...holders.values()].every((h) => h.length === 1)).toBe(true);
    expect(holders.size).toBe(ROUNDS);
    // Every stored row was written by its epoch's only holder, under that epoch: one per round.
    const rows = await nodes[0]?.journal.read(agent, 1, ROUNDS * 2);
    expect(rows?.map((e) => e.epoch)).toEqual(Array.from({ length: ROUNDS }, (_, i) => i + 1));
    for (const e of rows ?? []) expect(e.body).toBe(`${holders.get(e.epoch)?.[0] ?? "?"}@${e.epoch}`);
    return { stored, fenced };
  }

  it(`${AGENTS * ROUNDS} races: one winner each, epochs +1, no epoch held or written by two nodes`, async () => {
    const a = openClusterPool({ url, max: AGENTS });
    const b = openClusterPool({ url, max: AGENTS });
    try {
      const out = await Promise.all(Array.from({ length: AGENTS }, (_, i) => race(`hot-${i}`, a, b)));
      expect(out.reduce((n, o) => n + o.stored, 0)).toBe(AGENTS * ROUNDS);
      // The loser of a round writes under its stale epoch whenever it held one: those are all refused.
      expect(out.reduce((n, o) => n + o.fenced, 0)).toBeGreaterThan(0);
    } finally {
      await Promise.all([a.end(), b.end()]);
    }
  }, Math.max(20_000, AGENTS * ROUNDS * 30));
});
