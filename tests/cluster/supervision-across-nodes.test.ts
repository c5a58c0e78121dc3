/**
 * Supervision across nodes (docs/adr/0048), two kernels in one process on a real PostgreSQL, beaten
 * by hand on one SimulatedClock. A supervisor on node a has a child that is a tree of its own
 * (`placement.tree`) placed on node b:
 * - b goes silent past the TTL: a takes the child's tree over (it goes on from its journal with its
 *   state, one activation), and the supervisor is told once — `agent.restarted { by: "takeover" }`,
 *   counted in its intensity, its one_for_all sibling restarted;
 * - the child fails on b: the supervisor restarts it once as a new tree (new id, same name and slot)
 *   even when told again; past its intensity it gives up and b stops the child it let go;
 * - on one node `placement.tree` changes nothing; a child tree is bounded by its creator's authority.
 */
import { describe, expect, it } from "vitest";
import { SimulatedClock, silentLogger, type AgentId, type KernelEvent } from "../../src/core/index.js";
import type { AgentLogic } from "../../src/abi/index.js";
import { boot } from "../../src/sdk/index.js";
import { useClusterDb } from "./cluster-db.js";
import { keep, startNode, withNodes, type TestNode } from "./node-fixture.js";

const db = useClusterDb("supx");

/** Keeps what it gets like `keep`, and fails on "boom". */
const crashy: AgentLogic<{ got: unknown[] }, unknown> = {
  init: () => ({ got: [] }),
  receive: (s, m, ctx) => {
    if (m === "boom") throw new Error("boom");
    const got = m === "get" ? s.got : [...s.got, m];
    ctx.reply(got);
    return { got };
  },
};

function start(clock: SimulatedClock, cluster: string, node: string): Promise<TestNode> {
  return startNode({ postgres: db.url, clock, cluster, node, logics: { keep, crashy } });
}

async function beat(...nodes: TestNode[]): Promise<void> {
  for (const n of nodes) {
    await n.svc.node()?.beat().catch(() => undefined);
    await n.svc.settled();
  }
}

async function until(what: string, fn: () => boolean | Promise<boolean>, poke?: () => Promise<void>): Promise<void> {
  // Polls an outcome that waits on PostgreSQL round trips (no clock involved), for at most ~10 s.
  for (let i = 0; i < 500; i++) {
    if (await fn()) return;
    if (poke !== undefined) await poke();
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`never: ${what}`);
}

function recorder(n: TestNode): KernelEvent[] {
  const seen: KernelEvent[] = [];
  n.os.events.subscribe({ types: ["agent.restarted"] }, (e) => void seen.push(e));
  return seen;
}

/** A request to an agent held by `holder`, which learns of it at its beats (no NATS here). */
async function ask(from: TestNode, holder: TestNode, to: string, msg: unknown): Promise<unknown> {
  let done = false;
  const answer = from.os.request(to, msg, { timeoutMs: 10_000 }).finally(() => (done = true));
  while (!done) {
    await beat(holder, from);
    await new Promise((r) => setTimeout(r, 20));
  }
  return answer;
}

interface ChildRow {
  readonly agent: string;
  readonly ended: boolean;
  readonly status: string | null;
}

async function children(cluster: string, sup: string): Promise<ChildRow[]> {
  const r = await db.pool.query("SELECT agent, ended, status FROM cluster_agents WHERE cluster = $1 AND supervisor = $2 ORDER BY link", [cluster, sup]);
  return r.rows.map((row) => ({ agent: String(row["agent"]), ended: row["ended"] === true, status: typeof row["status"] === "string" ? row["status"] : null }));
}

const held = (n: TestNode, id: string): boolean => n.svc.node()?.held().has(id) === true;

describe("supervision across nodes", () => {
  it("tells a supervisor once that its child tree's node died; the child goes on from its journal, its sibling restarts", async () => {
    const clock = new SimulatedClock();
    const [a, b] = await withNodes(() => start(clock, "s1", "a"), () => start(clock, "s1", "b"));
    const restarted = recorder(a);
    const sup = await a.os.spawn({
      name: "sup", kind: "supervisor", supervision: { strategy: "one_for_all", intensity: 3, periodMs: 60_000 },
      children: [{ name: "w", kind: "code", logic: "keep", placement: { tree: true, node: "b" } }, { name: "l", kind: "code", logic: "keep" }],
    });
    const [row] = await children("s1", sup);
    const w = row?.agent as AgentId;
    expect(w).toBeDefined();
    await until("b holds the child tree", () => held(b, w), () => beat(b));
    // The local sibling is a child in a's table; the child tree is a root of its own on b.
    const l = a.os.kernel.find(sup)?.children?.[0];
    expect(l?.spec.name).toBe("l");
    expect(b.os.kernel.find(w)?.parent).toBeNull();
    expect(await ask(a, b, w, "one")).toEqual(["one"]);
    const lIncarnation = l?.incarnation ?? -1;

    // b goes silent: past the TTL a takes the child's tree over (epoch 3: placed at 1, handed to b at 2).
    clock.advance(3_001);
    await beat(a);
    await until("a holds the child tree", () => held(a, w), () => beat(a));
    await until("the supervisor is told", () => restarted.some((e) => (e.data as { by?: string }).by === "takeover"), () => beat(a));
    const told = restarted.filter((e) => (e.data as { by?: string }).by === "takeover");
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ agent: w, data: { supervisor: sup, node: "b", newId: w } });
    // one_for_all: the local sibling restarted in place (a new incarnation, the same id).
    await until("the sibling restarted", () => (a.os.kernel.find(l?.id ?? "")?.incarnation ?? -1) > lIncarnation);
    // The child went on from its journal with its state: one activation, not a second spawn.
    expect(await a.os.request(w, "two", { timeoutMs: 10_000 })).toEqual(["one", "two"]);
    expect(await children("s1", sup)).toHaveLength(1);
    // Told once: more beats report nothing again.
    await beat(a);
    await beat(a);
    expect(restarted.filter((e) => (e.data as { by?: string }).by === "takeover")).toHaveLength(1);
    expect(a.os.kernel.find(sup)?.sup?.restarts).toHaveLength(1);
  }, 60_000);

  it("restarts a failed child tree once as a new tree, even when told again; past its intensity the supervisor gives up", async () => {
    const clock = new SimulatedClock();
    const [a, b] = await withNodes(() => start(clock, "s2", "a"), () => start(clock, "s2", "b"));
    const restarted = recorder(a);
    const sup = await a.os.spawn({
      name: "sup", kind: "supervisor", supervision: { strategy: "one_for_one", intensity: 1, periodMs: 600_000 },
      children: [{ name: "w", kind: "code", logic: "crashy", placement: { tree: true, node: "b" } }],
    });
    const first = (await children("s2", sup))[0]?.agent as AgentId;
    await until("b holds the child tree", () => held(b, first), () => beat(b));
    await a.os.send(first, "boom");
    await until("the child failed on b", async () => (await children("s2", sup))[0]?.status === "failed", () => beat(b));

    // a's beat tells the supervisor: the child starts again as a new tree, placed on b by its hints.
    await until("a second child", async () => (await children("s2", sup)).length === 2, () => beat(a));
    const rows = await children("s2", sup);
    const second = rows[1]?.agent as AgentId;
    expect(rows[0]).toEqual({ agent: first, ended: true, status: "failed" });
    expect(rows[1]).toMatchObject({ ended: false });
    await until("the restart is reported", () => restarted.some((e) => (e.data as { previous?: string }).previous === first));
    expect(restarted.filter((e) => (e.data as { previous?: string }).previous === first)).toHaveLength(1);
    expect(a.os.kernel.find(sup)?.sup?.order).toEqual([second]);
    await until("b holds the new child", () => held(b, second), () => beat(b));
    expect(await ask(a, b, second, "hi")).toEqual(["hi"]);
    // Reported again (its told mark lost): the newer child holds the slot, so nothing restarts twice.
    await db.pool.query("UPDATE cluster_agents SET told_end = false WHERE cluster = 's2' AND agent = $1", [first]);
    await beat(a);
    await beat(a);
    expect(await children("s2", sup)).toHaveLength(2);

    // A second failure within the period exceeds intensity 1: the supervisor fails, and b, at its
    // beat, stops the child tree its supervisor let go (journaled, as a kill).
    await a.os.send(second, "boom");
    await until("the second child failed", async () => (await children("s2", sup))[1]?.status === "failed", () => beat(b));
    await until("the supervisor gave up", () => a.os.status(sup).status === "failed", () => beat(a));
    expect(await children("s2", sup)).toHaveLength(2);
    expect(restarted.filter((e) => (e.data as { previous?: string }).previous !== undefined)).toHaveLength(1);
  }, 60_000);

  it("tells the supervisor's next node of a child that failed while the supervisor's own node was dying", async () => {
    const clock = new SimulatedClock();
    const [a, b] = await withNodes(() => start(clock, "s5", "a"), () => start(clock, "s5", "b"));
    const restarted = recorder(b);
    const sup = await a.os.spawn({ name: "sup", kind: "supervisor", children: [{ name: "w", kind: "code", logic: "crashy", placement: { tree: true, node: "b" } }] });
    const first = (await children("s5", sup))[0]?.agent as AgentId;
    await until("b holds the child tree", () => held(b, first), () => beat(b));
    // a goes silent before any beat of it sees the failure; b takes the supervisor's tree over.
    await b.os.send(first, "boom");
    await until("the child failed", async () => (await children("s5", sup))[0]?.status === "failed", () => beat(b));
    clock.advance(3_001);
    await until("b holds the supervisor and restarted the child", async () => held(b, sup) && (await children("s5", sup)).length === 2, () => beat(b));
    await until("the restart is reported", () => restarted.some((e) => (e.data as { previous?: string }).previous === first));
    const second = (await children("s5", sup))[1]?.agent as AgentId;
    expect(b.os.kernel.find(sup)?.sup?.order).toEqual([second]);
    await beat(b);
    await beat(b);
    expect(await children("s5", sup)).toHaveLength(2);
    expect(restarted).toHaveLength(1);
  }, 60_000);

  it("stops a running child tree whose supervisor ended", async () => {
    const clock = new SimulatedClock();
    const [a, b] = await withNodes(() => start(clock, "s3", "a"), () => start(clock, "s3", "b"));
    const sup = await a.os.spawn({ name: "sup", kind: "supervisor", children: [{ name: "w", kind: "code", logic: "keep", placement: { tree: true, node: "b" } }] });
    const w = (await children("s3", sup))[0]?.agent as AgentId;
    await until("b holds the child tree", () => held(b, w), () => beat(b));
    expect(await ask(a, b, w, "x")).toEqual(["x"]);
    await a.os.kill(sup);
    await until("b stops the child", async () => (await children("s3", sup))[0]?.status === "killed", () => beat(b));
    expect(b.os.status(w)).toMatchObject({ status: "killed" });
  }, 60_000);

  it("bounds a child tree by its creator's authority: an agent's supervisor cannot start a wider child", async () => {
    const clock = new SimulatedClock();
    const [a] = await withNodes(() => start(clock, "s4", "a"));
    const creator = await a.os.spawn({ name: "boss", kind: "code", logic: "keep", capabilities: ["agent#spawn"] });
    const spec = { name: "sup", kind: "supervisor" as const, children: [{ name: "w", kind: "code" as const, logic: "keep", capabilities: ["file:/**#write"], placement: { tree: true } }] };
    await expect(a.os.kernel.spawn(spec, { parent: creator })).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    const r = await db.pool.query("SELECT count(*) AS n FROM cluster_agents WHERE cluster = 's4' AND supervisor IS NOT NULL");
    expect(Number(r.rows[0]?.["n"])).toBe(0);
  }, 60_000);
});

describe("placement.tree on one node", () => {
  it("changes nothing: the child runs under its supervisor as any child", async () => {
    const os = await boot({ stack: "bare", logger: silentLogger, logics: { keep } });
    try {
      const sup = await os.spawn({ name: "sup", kind: "supervisor", children: [{ name: "w", kind: "code", logic: "keep", placement: { tree: true } }] });
      const kids = os.kernel.find(sup)?.children ?? [];
      expect(kids.map((k) => k.spec.name)).toEqual(["w"]);
      expect(os.kernel.find(sup)?.sup?.remote.size).toBe(0);
      expect(await os.request(kids[0]?.id ?? "", "x", { timeoutMs: 5_000 })).toEqual(["x"]);
    } finally {
      await os.shutdown();
    }
  });
});
