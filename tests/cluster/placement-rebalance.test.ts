/**
 * Placement of new roots, rebalancing and requests across a move (docs/adr/0050), with in-process
 * kernels as nodes on a real PostgreSQL and nats-server (wake-ups), leases on one SimulatedClock:
 *
 * - roots spawned on one node go to less loaded nodes: the spawn record is journaled under the
 *   spawning node's lease (epoch 1, one row) and the tree handed over; the target starts it under
 *   epoch 2 and the spawning node never activates it; the caller's id reaches it from anywhere;
 * - a spec's placement hints win over load: a preferred node, required tags; tags no node has refuse;
 * - a request waiting on an agent when it migrates is answered by its new node;
 * - a hot node's rebalancing rounds move trees to the others until each holds the mean, with mail
 *   sent throughout handled exactly once, in order, and no epoch written by two nodes.
 */
import { describe, expect, it } from "vitest";
import { SimulatedClock, type AgentId } from "../../src/core/index.js";
import type { ClusterConfigInput } from "../../src/cluster/index.js";
import { useClusterDb } from "./cluster-db.js";
import { keep, startNode, type TestNode } from "./node-fixture.js";

const db = useClusterDb("placebal", { nats: true });

type Extra = Pick<ClusterConfigInput, "tags" | "capacity" | "placementSlack" | "rebalanceThreshold" | "rebalanceMoves">;

function start(clock: SimulatedClock, cluster: string, node: string, config: Extra = {}): Promise<TestNode> {
  return startNode({ postgres: db.url, nats: db.nats.url, clock, cluster, node, logics: { keep }, config });
}

async function until(what: string, ok: () => boolean | Promise<boolean>): Promise<void> {
  // Polls outcomes that wait on PostgreSQL and NATS round trips (no clock involved), ~10 s at most.
  for (let i = 0; i < 1_000; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`never: ${what}`);
}

/** Which node holds each tree, by the nodes' own bookkeeping. */
function holders(nodes: readonly TestNode[], ids: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const id of ids) for (const n of nodes) if (n.svc.node()?.held().has(id) === true) out.set(id, n.svc.config.node);
  return out;
}

function counts(nodes: readonly TestNode[], ids: readonly string[]): number[] {
  const h = holders(nodes, ids);
  return nodes.map((n) => ids.filter((id) => h.get(id) === n.svc.config.node).length);
}

/** (epoch, rows) of a tree's journal rows, in epoch order. */
async function epochs(cluster: string, tree: string): Promise<[number, number][]> {
  const r = await db.pool.query("SELECT epoch, count(*) AS n FROM cluster_journal WHERE cluster = $1 AND agent = $2 GROUP BY epoch ORDER BY epoch", [cluster, tree]);
  return r.rows.map((row) => [Number(row["epoch"]), Number(row["n"])]);
}

async function stopAll(nodes: readonly TestNode[]): Promise<void> {
  for (const n of [...nodes].reverse()) await n.os.shutdown();
}

describe("placement of new roots", () => {
  it("sends roots spawned on one node to less loaded nodes, which start them; the spawning node never runs them", async () => {
    const clock = new SimulatedClock();
    const cfg = { capacity: 10, placementSlack: 0 };
    const nodes = [await start(clock, "p1", "a", cfg), await start(clock, "p1", "b", cfg), await start(clock, "p1", "c", cfg)];
    const [a, b, c] = nodes as [TestNode, TestNode, TestNode];
    const spawnedOnA: string[] = [];
    a.os.kernel.events.subscribe({ types: ["agent.spawned"] }, (e) => void spawnedOnA.push(String(e.agent)));
    try {
      const ids: AgentId[] = [];
      for (let i = 0; i < 6; i++) {
        const id = await a.os.spawn({ name: `k${i}`, kind: "code", logic: "keep" });
        ids.push(id);
        await until(`k${i} is held`, () => holders(nodes, [id]).size === 1);
        await a.svc.node()?.beat(); // a's count of roots in flight starts again from what PostgreSQL shows
      }
      expect(counts(nodes, ids)).toEqual([2, 2, 2]);
      const away = ids.filter((id) => holders(nodes, [id]).get(id) !== "a");
      expect(spawnedOnA.filter((id) => away.some((x) => x === id))).toEqual([]);
      for (const id of away) {
        expect(a.os.kernel.find(id)).toBeUndefined();
        // Epoch 1: a's spawn record only; epoch 2: the target's own writes (none yet, or its start).
        expect((await epochs("p1", id))[0]).toEqual([1, 1]);
        expect((await epochs("p1", id)).every(([e]) => e <= 2)).toBe(true);
      }
      // Every agent answers from its node, asked from any node, with its state.
      for (const [i, id] of ids.entries()) {
        expect(await a.os.request(id, `to-${i}`, { timeoutMs: 10_000 })).toEqual([`to-${i}`]);
        expect(await c.os.request(id, "get", { timeoutMs: 10_000 })).toEqual([`to-${i}`]);
      }
      expect(b.svc.node()?.held().size).toBe(2);
    } finally {
      await stopAll(nodes);
    }
  }, 60_000);

  it("follows a spec's hints over load: a preferred node, required tags; tags no node carries are refused", async () => {
    const clock = new SimulatedClock();
    const nodes = [await start(clock, "p2", "a"), await start(clock, "p2", "b"), await start(clock, "p2", "c", { tags: ["gpu"] })];
    const [a, b, c] = nodes as [TestNode, TestNode, TestNode];
    try {
      // c is the most loaded, yet the only node with the tag.
      for (let i = 0; i < 3; i++) await c.os.spawn({ name: `busy${i}`, kind: "code", logic: "keep" });
      const gpu = await a.os.spawn({ name: "g", kind: "code", logic: "keep", placement: { tags: ["gpu"] } });
      const pinned = await a.os.spawn({ name: "p", kind: "code", logic: "keep", placement: { node: "b" } });
      const local = await a.os.spawn({ name: "l", kind: "code", logic: "keep" });
      await until("the placed roots are held", () => holders(nodes, [gpu, pinned, local]).size === 3);
      expect(Object.fromEntries(holders(nodes, [gpu, pinned, local]))).toEqual({ [gpu]: "c", [pinned]: "b", [local]: "a" });
      expect(await b.os.request(gpu, "x", { timeoutMs: 10_000 })).toEqual(["x"]);
      await expect(a.os.spawn({ name: "t", kind: "code", logic: "keep", placement: { tags: ["tpu"] } })).rejects.toMatchObject({ code: "E_UNAVAILABLE" });
      await expect(a.os.spawn({ name: "t", kind: "code", logic: "keep", placement: { tags: ["Not A Tag"] } })).rejects.toMatchObject({ code: "E_INVALID_SPEC" });
    } finally {
      await stopAll(nodes);
    }
  }, 60_000);
});

describe("requests across a migration", () => {
  it("answers a request waiting on an agent when it moves, from the agent's new node", async () => {
    const clock = new SimulatedClock();
    const nodes = [await start(clock, "p3", "a"), await start(clock, "p3", "b")];
    const [a, b] = nodes as [TestNode, TestNode];
    try {
      const id = await a.os.spawn({ name: "k", kind: "code", logic: "keep" });
      expect(await a.os.request(id, "one", { timeoutMs: 10_000 })).toEqual(["one"]);
      await a.os.pause(id);
      // Journaled and queued, not handled: the caller waits on a while the agent moves to b.
      const waiting = a.os.request(id, "two", { timeoutMs: 20_000 });
      await until("the request is journaled", async () => ((await epochs("p3", id))[0]?.[1] ?? 0) >= 4);
      await a.os.migrate(id, "b");
      expect(a.os.kernel.find(id)).toBeUndefined();
      await until("b holds the tree", () => b.os.kernel.find(id) !== undefined);
      await b.os.resume(id);
      expect(await waiting).toEqual(["one", "two"]);
      expect((await epochs("p3", id)).map(([e]) => e)).toEqual([1, 2]);
    } finally {
      await stopAll(nodes);
    }
  }, 60_000);
  it("sends a moved request's reply from the new node once what the agent journaled before it is durable", async () => {
    const clock = new SimulatedClock();
    const nodes = [await start(clock, "p5", "a"), await start(clock, "p5", "b")];
    const [a, b] = nodes as [TestNode, TestNode];
    try {
      const id = await a.os.spawn({ name: "k", kind: "code", logic: "keep" });
      await a.os.pause(id);
      const toks = Array.from({ length: 10 }, (_, i) => `tok-${i}-${Math.random().toString(36).slice(2)}`);
      const early: string[] = [];
      const asked = toks.map((tok, i) =>
        a.os.request(id, tok, { timeoutMs: 20_000 }).then(async (got) => {
          expect(got).toEqual(toks.slice(0, i + 1));
          // In the turn a reply arrives, b's checkpoint of the handling that sent it is in the journal.
          const r = await db.pool.query("SELECT count(*) AS n FROM cluster_journal WHERE cluster = 'p5' AND agent = $1 AND epoch = 2 AND body LIKE $2", [id, `%${tok}%`]);
          if (Number(r.rows[0]?.["n"]) === 0) early.push(tok);
        }),
      );
      await until("the requests are journaled", async () => ((await epochs("p5", id))[0]?.[1] ?? 0) >= 1 + toks.length);
      await a.os.migrate(id, "b");
      await until("b holds the tree", () => b.os.kernel.find(id) !== undefined);
      // b's journal inserts wait behind a lock for a while; the table of replies does not.
      const blocker = await db.pool.connect();
      try {
        await blocker.query("BEGIN");
        await blocker.query("LOCK TABLE cluster_journal IN EXCLUSIVE MODE");
        const resumed = b.os.resume(id);
        await new Promise((r) => setTimeout(r, 500));
        await blocker.query("COMMIT");
        await resumed;
      } finally {
        blocker.release();
      }
      await Promise.all(asked);
      expect(early).toEqual([]);
    } finally {
      await stopAll(nodes);
    }
  }, 60_000);
});

describe("rebalancing", () => {
  it("moves trees off a hot node down to the mean, mail sent throughout handled once and in order", async () => {
    const clock = new SimulatedClock();
    const cfg = { capacity: 100, rebalanceThreshold: 0.25, rebalanceMoves: 4 };
    const a = await start(clock, "p4", "a", cfg);
    const nodes: TestNode[] = [a];
    try {
      // Nine trees on a before anyone else joins: a is the hot node.
      const ids: AgentId[] = [];
      for (let i = 0; i < 9; i++) ids.push(await a.os.spawn({ name: `k${i}`, kind: "code", logic: "keep" }));
      nodes.push(await start(clock, "p4", "b", cfg), await start(clock, "p4", "c", cfg));
      const [, b, c] = nodes as [TestNode, TestNode, TestNode];
      const sent = new Map<string, string[]>(ids.map((id) => [id, []]));
      let n = 0;
      const sendAll = async (from: TestNode): Promise<void> => {
        for (const id of ids) {
          const m = `m${n++}`;
          await from.os.send(id, m);
          sent.get(id)?.push(m);
        }
      };
      await sendAll(a);
      // b and c are not hot: they move nothing.
      expect(await b.svc.rebalance()).toEqual([]);
      const round1 = await a.svc.rebalance();
      expect(round1.length).toBe(4);
      await sendAll(a);
      await until("b and c hold round 1's trees", () => counts(nodes, ids).join() === "5,2,2");
      await sendAll(b);
      const round2 = await a.svc.rebalance();
      expect(round2.length).toBe(2);
      await sendAll(c);
      await until("every node holds the mean", () => counts(nodes, ids).join() === "3,3,3");
      // Hysteresis: even nodes move nothing more.
      for (const x of nodes) expect(await x.svc.rebalance()).toEqual([]);
      await sendAll(a);
      // Nothing lost, nothing twice, in order: each agent's list is exactly what was sent to it.
      for (const id of ids) expect(await c.os.request(id, "get", { timeoutMs: 10_000 })).toEqual(sent.get(id));
      for (const id of ids) {
        const es = (await epochs("p4", id)).map(([e]) => e);
        expect(es).toEqual([...es].sort((x, y) => x - y));
        expect(es.length).toBe(holders(nodes, [id]).get(id) === "a" ? 1 : 2);
      }
    } finally {
      await stopAll(nodes);
    }
  }, 90_000);
});
