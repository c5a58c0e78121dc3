/**
 * Journal writes PostgreSQL did not confirm (docs/adr/0044), at the level a user meets them: durable
 * agents on cluster nodes whose side-effecting tool stops this file's PostgreSQL right after applying
 * its effect, so the call's result, the letter's `handled` record and the agent's forward are written
 * while PostgreSQL is down. Found by the fault soak (PostgreSQL stop/crash schedules):
 *
 * - the tree went on from a state PostgreSQL did not have: a later `handled` committed a checkpoint
 *   holding the lost one's letter, so after a takeover that letter was handled a second time, and its
 *   call ran again under the next call number, another idempotency key (one effect under two keys);
 * - a sender whose forward could not be stored crashed and stayed failed on its owner (its later
 *   letters never handled).
 *
 * Now the first lost write kills the tree's stream here and the tree restarts from what PostgreSQL
 * holds: each letter is handled once, each effect has one key, the forward arrives, later letters too.
 */
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import type { AgentLogic } from "../../src/abi/index.js";
import { clusterSubsystem, type ClusterService } from "../../src/cluster/index.js";
import { SimulatedClock, silentLogger, type AgentId } from "../../src/core/index.js";
import { boot, type Aios } from "../../src/sdk/index.js";
import { ToolRegistry, defineTool, toolsSubsystem } from "../../src/tools/index.js";
import { useClusterDb } from "./cluster-db.js";
import { TEST_SECRET } from "./node-fixture.js";

const db = useClusterDb("lostwrites");

/** Every execution of `t.effect`: the logical effect and the idempotency key it ran under. */
const executions: { effect: string; key: string }[] = [];
/** The effect after which the tool stops PostgreSQL (once). */
let stopAfter: string | undefined;

const effect = defineTool({
  name: "t.effect",
  description: "records one logical effect under the call's idempotency key",
  input: z.strictObject({ effect: z.string() }),
  sideEffect: true,
  honoursKeys: true,
  requires: () => [],
  async execute(a, ctx) {
    executions.push({ effect: a.effect, key: ctx.idempotencyKey ?? "" });
    if (stopAfter === a.effect) {
      stopAfter = undefined;
      await db.pg.stop();
    }
    return a.effect;
  },
});

/** For `{ op, next? }`: the effect, the forward `{ op: op + ">" }` to `next`, then `op` into the state. */
const worker: AgentLogic<{ got: string[] }, unknown> = {
  init: () => ({ got: [] }),
  async receive(s, m, ctx) {
    if (m === "get") {
      ctx.reply(s.got);
      return s;
    }
    const { op, next } = m as { op: string; next?: string };
    await ctx.sys.ToolCall({ tool: "t.effect", args: { effect: `${ctx.self}/${op}` } });
    if (next !== undefined) await ctx.send(next as AgentId, { op: `${op}>` });
    return { got: [...s.got, op] };
  },
};

interface Node {
  readonly os: Aios;
  readonly svc: ClusterService;
}

const clock = new SimulatedClock(Date.now());
const started: Node[] = [];

async function startNode(cluster: string, node: string): Promise<Node> {
  const registry = new ToolRegistry();
  registry.register(effect);
  const os = await boot({
    stack: "bare",
    durable: true,
    logger: silentLogger,
    logics: { worker },
    add: [
      clusterSubsystem({ postgres: db.url, secret: TEST_SECRET, clock, autoBeat: false, config: { cluster, node, heartbeatMs: 1_000, ttlMs: 3_000 } }),
      toolsSubsystem({ registry, file: false, http: false, a2a: false, shell: false, browser: false, spawn: false, request: false }),
    ],
  });
  const svc = os.subsystems.cluster;
  if (svc === undefined) throw new Error("no cluster service");
  await svc.join();
  const n = { os, svc };
  started.push(n);
  return n;
}

function spawnWorker(n: Node, name: string): Promise<AgentId> {
  return n.os.spawn({ name, kind: "code", logic: "worker", capabilities: ["tool:t.effect#call", "agent:*#send"] });
}

/** One heartbeat of `n` (its takeover scan and mail pull), once the adoptions it caused are done. */
async function beat(n: Node): Promise<void> {
  await n.svc.node()?.beat().catch(() => undefined);
  await n.svc.settled();
}

async function until(what: string, ok: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`never: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The worker's state as its node `via` holds it (undefined while it is not there or not answering). */
async function stateOf(via: Node, w: AgentId): Promise<string[] | undefined> {
  try {
    return (await via.os.request(w, "get", { timeoutMs: 2_000 })) as string[];
  } catch {
    return undefined;
  }
}

/** Effects applied under more than one key. */
function twoKeys(): string[] {
  const keys = new Map<string, Set<string>>();
  for (const x of executions) keys.set(x.effect, (keys.get(x.effect) ?? new Set()).add(x.key));
  return [...keys].filter(([, k]) => k.size > 1).map(([e, k]) => `${e}: ${[...k].join(", ")}`);
}

afterEach(async () => {
  stopAfter = undefined;
  executions.length = 0;
  await db.pg.start();
  for (const n of started.splice(0)) await n.os.shutdown().catch(() => undefined);
}, 30_000);

describe("a tree whose journal write PostgreSQL did not confirm", () => {
  it("restarts from PostgreSQL: after a takeover its letter is handled once and its effect has one key", async () => {
    const n1 = await startNode("lw1", "n1");
    const n2 = await startNode("lw1", "n2");
    const w = await spawnWorker(n1, "w");
    await n1.os.send(w, { op: "op1" });
    await until("op1 handled", async () => (await stateOf(n1, w))?.includes("op1") === true);

    // op2's effect is applied, then PostgreSQL stops: its result and its `handled` are not written.
    stopAfter = `${w}/op2`;
    await n1.os.send(w, { op: "op2" });
    await until("op2's effect applied", () => executions.some((x) => x.effect === `${w}/op2`) && !db.pg.running);
    await n1.svc.journal.flush();
    await db.pg.start();

    // PostgreSQL is back; n1 gets another letter for w and beats once.
    await n1.os.send(w, { op: "op3" });
    await until("op3 handled on n1, or w no longer run there", () => n1.svc.journal.streamKeyOf(w) === undefined || JSON.stringify(n1.svc.journal.state.agents.get(w)?.checkpoint ?? null).includes("op3"));
    await n1.svc.journal.flush();
    clock.advance(1_000);
    await beat(n1);

    // n1 stops beating (a crash, as far as the cluster can tell): n2 takes w over from the journal.
    clock.advance(4_000);
    await beat(n2);
    let got: string[] | undefined;
    await until("w answers on n2 with op3", async () => {
      await beat(n2);
      got = await stateOf(n2, w);
      return got?.includes("op3") === true;
    });
    expect(got).toEqual(["op1", "op2", "op3"]);
    expect(twoKeys()).toEqual([]);
    expect(new Set(executions.map((x) => x.effect))).toEqual(new Set([`${w}/op1`, `${w}/op2`, `${w}/op3`]));
  }, 60_000);

  it("restarts a sender whose forward was not stored: it forwards again and handles its later letters", async () => {
    const n1 = await startNode("lw2", "n1");
    const a = await spawnWorker(n1, "a");
    const b = await spawnWorker(n1, "b");
    // a's effect is applied, then PostgreSQL stops: a's forward to b (another tree) cannot be stored.
    stopAfter = `${a}/op1`;
    await n1.os.send(a, { op: "op1", next: b });
    await until("op1's effect applied", () => executions.some((x) => x.effect === `${a}/op1`) && !db.pg.running);
    await n1.svc.journal.flush();
    await db.pg.start();

    let ga: string[] | undefined;
    let gb: string[] | undefined;
    await until("a handled op1 and b got its forward", async () => {
      clock.advance(1_000);
      await beat(n1);
      [ga, gb] = [await stateOf(n1, a), await stateOf(n1, b)];
      return ga?.includes("op1") === true && gb?.includes("op1>") === true;
    });
    await n1.os.send(a, { op: "op2", next: b });
    await until("a handled op2 and b got its forward", async () => {
      [ga, gb] = [await stateOf(n1, a), await stateOf(n1, b)];
      return ga?.includes("op2") === true && gb?.includes("op2>") === true;
    });
    expect(ga).toEqual(["op1", "op2"]);
    expect(gb).toEqual(["op1>", "op2>"]);
    expect(twoKeys()).toEqual([]);
  }, 60_000);

  it("hands a letter moved from another node to the agent in journal order, before a local letter journaled after it", async () => {
    const n1 = await startNode("lw3", "n1");
    const n2 = await startNode("lw3", "n2");
    const w = await spawnWorker(n1, "w");
    await n1.os.send(w, { op: "op1" });
    await until("op1 handled", async () => (await stateOf(n1, w))?.includes("op1") === true);
    // A letter from n2 waits in cluster_mail, beside a row written straight into PostgreSQL (refused
    // as forged at the same pull: one more round trip before that pull ends).
    await n2.os.send(w, { op: "op2" });
    for (let i = 0; i < 20; i++) {
      await db.pool.query("INSERT INTO cluster_mail (cluster, agent, dedup, body) VALUES ('lw3', $1, $2, $3)", [w, `m:forged-${i}`, JSON.stringify({ t: "enqueue", id: `forged-${i}`, to: w, payload: { op: "forged" } })]);
    }
    // n1 pulls; the moment op2 is journaled there (polled at every turn of the event loop), a local
    // letter follows it.
    const pulled = beat(n1);
    const journaled = (): boolean => [...(n1.svc.journal.state.agents.get(w)?.mailbox.values() ?? [])].some((m) => JSON.stringify(m.payload).includes("op2")) || executions.some((x) => x.effect === `${w}/op2`);
    const deadline = Date.now() + 15_000;
    while (!journaled() && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    await n1.os.send(w, { op: "op3" });
    await pulled;
    let got: string[] | undefined;
    await until("op3 handled", async () => (got = await stateOf(n1, w))?.includes("op3") === true);
    // Handled in journal order: a restart replays the unacknowledged ones in that order.
    expect(got).toEqual(["op1", "op2", "op3"]);
    const rows = await db.pool.query("SELECT body FROM cluster_journal WHERE cluster = 'lw3' AND kind = 'enqueue' ORDER BY seq");
    const ops = rows.rows.map((r) => (JSON.parse(String(r["body"])) as { payload: { op?: string } }).payload.op).filter((op) => op !== undefined);
    expect(ops).toEqual(["op1", "op2", "op3"]);
  }, 60_000);
});
