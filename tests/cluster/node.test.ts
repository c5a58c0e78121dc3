/**
 * Cluster nodes on a real PostgreSQL, driven by one SimulatedClock (no sleeping): membership with
 * load, placement spread and hints, takeover of a silent node's agents after its TTL (with the
 * resumed node told it lost them and its stale writes refused), graceful leave, orphan leases of a
 * previous incarnation, and placement onto another node woken over a real nats-server -js.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClusterNode, FencedJournal, WakeBus, migrateCluster, openClusterPool, parseClusterConfig, type ClusterConfigInput, type ClusterPool, type Lease } from "../../src/cluster/index.js";
import { SimulatedClock } from "../../src/core/index.js";
import { usePostgres } from "../helpers/postgres.js";
import { startNats, type NatsServer } from "./nats-server.js";

const pgServer = usePostgres();
let pool: ClusterPool;
let nats: NatsServer;
beforeAll(async () => {
  pool = openClusterPool({ url: await pgServer().createDatabase("nodes"), max: 8 });
  await migrateCluster(pool);
  nats = await startNats();
}, 30_000);
afterAll(async () => {
  await pool.end();
  await nats.stop();
});

const HB = 1_000;
const TTL = 3_000;

interface Probe {
  readonly node: ClusterNode;
  readonly events: string[];
}

async function join(clock: SimulatedClock, cluster: string, node: string, extra: Partial<ClusterConfigInput> = {}, bus?: WakeBus): Promise<Probe> {
  const events: string[] = [];
  const n = await ClusterNode.start({
    pool,
    clock,
    config: parseClusterConfig({ cluster, node, heartbeatMs: HB, ttlMs: TTL, ...extra }),
    autoBeat: false,
    onAcquire: (l) => events.push(`+${l.agent}@${l.epoch}`),
    onLose: (a, e, why) => events.push(`-${a}@${e}:${why}`),
    ...(bus === undefined ? {} : { bus }),
  });
  return { node: n, events };
}

const heldBy = (p: Probe): string[] => [...p.node.held().keys()].sort();

/** Beats every node twice: agents placed but not yet acquired find their owner. */
async function settle(...ps: Probe[]): Promise<void> {
  for (let i = 0; i < 2; i++) for (const p of ps) await p.node.beat();
}

describe("membership and placement", () => {
  it("lists live nodes with load; spreads agents by load; honours tags and a preferred node", async () => {
    const clock = new SimulatedClock();
    const a = await join(clock, "m1", "a", { capacity: 100 });
    const b = await join(clock, "m1", "b", { capacity: 100 });
    const c = await join(clock, "m1", "c", { capacity: 100, tags: ["gpu"] });
    for (let i = 0; i < 30; i++) await a.node.place(`w${i}`);
    // b and c were not woken (no bus): they take their share at their next beats, a the rest.
    await settle(a, b, c);
    expect([heldBy(a).length, heldBy(b).length, heldBy(c).length]).toEqual([10, 10, 10]);
    expect(await a.node.place("trainer", { tags: ["gpu"] })).toEqual({ node: "c", lease: null });
    expect(await a.node.place("pinned", { node: "b" })).toEqual({ node: "b", lease: null });
    expect((await a.node.place("nowhere", { tags: ["tpu"] })).node).toBeUndefined();
    await b.node.beat();
    await c.node.beat();
    expect(b.node.held().has("pinned")).toBe(true);
    expect(c.node.held().has("trainer")).toBe(true);
    // Placing an agent already held answers its owner and changes nothing.
    expect(await a.node.place("trainer")).toEqual({ node: "c", lease: null });
    await a.node.beat();
    const list = await a.node.list();
    expect(list.map((n) => [n.node, n.live, n.load, n.capacity])).toEqual([
      ["a", true, 10, 100],
      ["b", true, 11, 100],
      ["c", true, 11, 100],
    ]);
    expect(list.find((n) => n.node === "c")?.tags).toEqual(["gpu"]);
  });

  it("takes over a silent node's agents after its TTL; the resumed node learns it lost them and cannot write", async () => {
    const clock = new SimulatedClock();
    const a = await join(clock, "m2", "a");
    const b = await join(clock, "m2", "b");
    for (let i = 0; i < 6; i++) await a.node.place(`x${i}`);
    await settle(a, b);
    const bLeases: Lease[] = [...b.node.held().values()];
    expect([heldBy(a).length, bLeases.length]).toEqual([3, 3]);
    const journal = new FencedJournal(pool, "m2");
    for (const l of bLeases) await journal.append(l, 1, [{ kind: "k", body: `by b@${l.epoch}` }]);

    // b falls silent (SIGSTOP, a partition): a keeps beating; nothing moves before the TTL.
    clock.advance(TTL - 1);
    expect((await a.node.beat()).acquired).toEqual([]);
    clock.advance(1);
    const took = await a.node.beat();
    expect(took.acquired.map((l) => [l.agent, l.epoch]).sort()).toEqual(bLeases.map((l) => [l.agent, l.epoch + 1]).sort());
    expect((await a.node.list()).map((n) => [n.node, n.live])).toEqual([
      ["a", true],
      ["b", false],
    ]);
    // The new owner reads what b acknowledged, and writes after it.
    for (const l of took.acquired) {
      expect((await journal.read(l.agent)).map((e) => e.body)).toEqual([`by b@${l.epoch - 1}`]);
      await journal.append(l, 2, [{ kind: "k", body: "by a" }]);
    }
    // b resumes: a stale write is refused by PostgreSQL, and its next beat reports every agent taken.
    const stale = bLeases[0];
    if (stale === undefined) throw new Error("no lease");
    await expect(journal.append(stale, 3, [{ kind: "k", body: "zombie" }])).rejects.toMatchObject({ code: "E_CONFLICT", details: { reason: "fenced" } });
    const report = await b.node.beat();
    expect([...report.lost].sort()).toEqual(bLeases.map((l) => l.agent).sort());
    expect(b.node.held().size).toBe(0);
    expect(b.events.filter((e) => e.endsWith(":taken"))).toHaveLength(3);
  });

  it("a graceful leave releases leases (epochs kept) and the others take them at once", async () => {
    const clock = new SimulatedClock();
    const a = await join(clock, "m3", "a");
    const b = await join(clock, "m3", "b");
    for (let i = 0; i < 4; i++) await a.node.place(`y${i}`);
    await settle(a, b);
    expect(heldBy(b)).toHaveLength(2);
    const before = new Map([...b.node.held()].map(([k, l]) => [k, l.epoch]));
    await b.node.stop();
    expect(b.events.filter((e) => e.endsWith(":released"))).toHaveLength(2);
    const took = await a.node.beat(); // no clock movement needed: released leases are unowned
    expect(took.acquired.map((l) => [l.agent, l.epoch]).sort()).toEqual([...before].map(([k, e]) => [k, e + 1]).sort());
    expect((await a.node.list()).find((n) => n.node === "b")).toMatchObject({ state: "left", live: false });
  });

  it("a restarted node (same name) does not renew its previous incarnation's leases: it reacquires them under new epochs", async () => {
    const clock = new SimulatedClock();
    const first = await join(clock, "m4", "a");
    await first.node.place("z0");
    expect(first.node.held().get("z0")?.epoch).toBe(1);
    // The process dies; a new one with the same node name starts before the TTL ran out.
    const second = await join(clock, "m4", "a");
    expect(second.node.held().get("z0")?.epoch).toBe(2);
    expect(second.events).toEqual(["+z0@2"]);
  });

  it("heartbeats on the injected clock's timers", async () => {
    const clock = new SimulatedClock();
    const a = await ClusterNode.start({ pool, clock, config: parseClusterConfig({ cluster: "m5", node: "a", heartbeatMs: HB, ttlMs: TTL }) });
    try {
      const first = (await a.list())[0]?.heartbeatAt;
      clock.advance(HB);
      await a.beat(); // joins the beat the timer started
      expect((await a.list())[0]?.heartbeatAt).toBe((first ?? 0) + HB);
    } finally {
      await a.stop();
    }
  });
});

describe("wake-ups over NATS", () => {
  it("an agent placed on another node is acquired there without waiting for its heartbeat", async () => {
    const clock = new SimulatedClock();
    const busA = await WakeBus.open({ url: nats.url, cluster: "w1", node: "a" });
    const busB = await WakeBus.open({ url: nats.url, cluster: "w1", node: "b" });
    try {
      const a = await join(clock, "w1", "a", {}, busA);
      let acquired: (l: Lease) => void = () => undefined;
      const got = new Promise<Lease>((resolve) => (acquired = resolve));
      const b = await ClusterNode.start({ pool, clock, autoBeat: false, bus: busB, config: parseClusterConfig({ cluster: "w1", node: "b", heartbeatMs: HB, ttlMs: TTL }), onAcquire: (l) => acquired(l) });
      await a.node.place("first"); // a is emptier than b? both 0: tie broken by name -> a
      const placed = await a.node.place("second"); // now b is the least loaded
      expect(placed).toEqual({ node: "b", lease: null });
      expect(await got).toMatchObject({ agent: "second", owner: "b", epoch: 1 });
      expect(b.held().has("second")).toBe(true);
    } finally {
      await Promise.all([busA.close(), busB.close()]);
    }
  }, 15_000);
});
