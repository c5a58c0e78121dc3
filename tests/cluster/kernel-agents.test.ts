/**
 * Kernel agents on cluster leases (docs/adr/0033), two kernels in one process on a real PostgreSQL,
 * their nodes beaten by hand on one SimulatedClock: a durable agent spawned on a node takes a lease
 * and journals under its epoch; when that node goes silent past the TTL the other node takes the tree
 * over from the journal and the agent continues with its state and its queued mail; the silent node,
 * resumed, is refused at its next write and stops the agent locally; a graceful shutdown hands the
 * tree back at once; os.migrate moves a live agent with its state and queued mail. No epoch is ever
 * written by two nodes.
 */
import { describe, expect, it } from "vitest";
import { SimulatedClock, type AgentId } from "../../src/core/index.js";
import type { AgentLogic } from "../../src/abi/index.js";
import { useClusterDb } from "./cluster-db.js";
import { startNode, withNodes, type TestNode } from "./node-fixture.js";

const db = useClusterDb("kagents");

interface Tally {
  readonly n: number;
  readonly got: readonly unknown[];
}

/** Counts what it receives and answers a request with everything it has seen. */
const tally: AgentLogic<Tally, unknown> = {
  init: () => ({ n: 0, got: [] }),
  receive: (s, m, ctx) => {
    const next = { n: s.n + 1, got: [...s.got, m] };
    ctx.reply(next);
    return next;
  },
};

type Node = TestNode;

function start(clock: SimulatedClock, cluster: string, node: string): Promise<Node> {
  return startNode({ postgres: db.url, clock, cluster, node, logics: { tally } });
}

async function beat(n: Node): Promise<void> {
  await n.svc.node()?.beat().catch(() => undefined);
  await n.svc.settled();
}

/** (epoch, count) of the journal rows of a tree, in epoch order. */
async function epochs(cluster: string, tree: string): Promise<[number, number][]> {
  const r = await db.pool.query("SELECT epoch, count(*) AS n FROM cluster_journal WHERE cluster = $1 AND agent = $2 GROUP BY epoch ORDER BY epoch", [cluster, tree]);
  return r.rows.map((row) => [Number(row["epoch"]), Number(row["n"])]);
}

async function until(what: string, fn: () => boolean): Promise<void> {
  // Polls an outcome that waits on PostgreSQL round trips (no clock involved), for at most ~10 s.
  for (let i = 0; i < 1_000 && !fn(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!fn()) throw new Error(`never: ${what}`);
}

describe("kernel agents on leases", () => {
  it("takes a dead node's agent over from the journal with its state and queued mail; the stale node is fenced out", async () => {
    const clock = new SimulatedClock();
    const [a, b] = await withNodes(() => start(clock, "k1", "a"), () => start(clock, "k1", "b"));
    const id = await a.os.spawn({ name: "t", kind: "code", logic: "tally" });
    expect(a.svc.node()?.held().get(id)?.epoch).toBe(1);
    expect(await a.os.request(id, "one", { timeoutMs: 5_000 })).toEqual({ n: 1, got: ["one"] });
    // Queued, not handled: the agent is paused; the sends are acknowledged once PostgreSQL holds them.
    await a.os.pause(id);
    await a.os.send(id, "two");
    await a.os.send(id, "three");

    // a goes silent; b keeps beating past the TTL and takes the tree over under epoch 2.
    clock.advance(3_001);
    await beat(b);
    expect(b.svc.node()?.held().get(id)?.epoch).toBe(2);
    expect(b.os.status(id).status).toBe("paused");
    await b.os.resume(id);
    expect(await b.os.request(id, "four", { timeoutMs: 5_000 })).toEqual({ n: 4, got: ["one", "two", "three", "four"] });

    // a still runs its copy; its next write (a resume's transition) is refused and a stops it.
    expect(a.os.kernel.find(id)).toBeDefined();
    await a.os.resume(id).catch(() => undefined);
    await until("a evicts the fenced agent", () => a.os.kernel.find(id) === undefined);
    await a.svc.settled();
    expect(a.changes).toContain("fenced:1");
    expect(a.svc.node()?.held().has(id)).toBe(false);

    // Every row was written under one epoch by one node: epoch 1 by a, epoch 2 by b.
    const rows = await epochs("k1", id);
    expect(rows.map(([e]) => e)).toEqual([1, 2]);
  }, 20_000);

  it("hands a tree over at a graceful shutdown; children share their root's lease", async () => {
    const clock = new SimulatedClock();
    const [a, b] = await withNodes(() => start(clock, "k2", "a"), () => start(clock, "k2", "b"));
    const root = await b.os.spawn({ name: "sup", kind: "supervisor", children: [{ name: "w", kind: "code", logic: "tally" }] });
    const w = b.os.ps().find((x) => x.name === "w")?.id as AgentId;
    expect(w).toBeDefined();
    expect(await b.os.request(w, "x", { timeoutMs: 5_000 })).toEqual({ n: 1, got: ["x"] });
    expect([...(b.svc.node()?.held().keys() ?? [])]).toEqual([root]);
    await b.os.shutdown();
    // The lease was released at leave: a takes the tree at its next beat, no TTL to wait for.
    await beat(a);
    expect(a.svc.node()?.held().get(root)?.epoch).toBe(2);
    expect(await a.os.request(w, "y", { timeoutMs: 5_000 })).toEqual({ n: 2, got: ["x", "y"] });
    expect(a.os.status(root).status).toBe("running");
  }, 20_000);

  it("migrates a live agent to another node with its state and its queued mail", async () => {
    const clock = new SimulatedClock();
    const [a, b] = await withNodes(() => start(clock, "k3", "a"), () => start(clock, "k3", "b"));
    const id = await a.os.spawn({ name: "t", kind: "code", logic: "tally" });
    expect(await a.os.request(id, "one", { timeoutMs: 5_000 })).toEqual({ n: 1, got: ["one"] });
    await a.os.pause(id);
    await a.os.send(id, "two");
    await expect(a.os.migrate(id, "nowhere")).rejects.toMatchObject({ code: "E_INVALID_ARG" });
    expect(await a.os.migrate(id, "b")).toEqual({ tree: id, epoch: 1 });
    expect(a.os.kernel.find(id)).toBeUndefined();
    // b is woken by its next beat here (no NATS in this file); it takes the lease under epoch 2.
    await beat(b);
    expect(b.svc.node()?.held().get(id)?.epoch).toBe(2);
    await b.os.resume(id);
    expect(await b.os.request(id, "three", { timeoutMs: 5_000 })).toEqual({ n: 3, got: ["one", "two", "three"] });
    expect((await epochs("k3", id)).map(([e]) => e)).toEqual([1, 2]);
  }, 20_000);
});
