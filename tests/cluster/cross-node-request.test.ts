/**
 * Requests across cluster nodes (docs/adr/0040) on a real PostgreSQL and nats-server, leases on one
 * SimulatedClock beaten by hand: `os.request` and an agent's own `ctx.request` to an agent held by
 * another node are answered (a value or the error it failed with); a request whose recipient's node
 * dies is answered by the node that takes the tree over (the route is journaled with the letter); a
 * reply that comes after the caller's timeout is taken and dropped; a reply row written straight into
 * PostgreSQL is refused as forged and the real reply still answers; the caller's node dying leaves
 * the recipient serving and the reply waiting for that node.
 */
import { describe, expect, it } from "vitest";
import { SimulatedClock, isAiosError, type AgentId } from "../../src/core/index.js";
import type { AgentLogic } from "../../src/abi/index.js";
import { useClusterDb } from "./cluster-db.js";
import { startNode, withNodes, type TestNode } from "./node-fixture.js";

const db = useClusterDb("xreq", { nats: true });

/** Releases held handlings: `hold` waits for the test to call the release it left here. */
const gates: (() => void)[] = [];

/** Answers "n" with n * 2, fails on "boom", waits for the test on "hold" (then answers "late"). */
const doubler: AgentLogic<null, unknown> = {
  init: () => null,
  receive: async (s, m, ctx) => {
    if (m === "boom") throw new Error("boom requested");
    if (m === "hold") {
      await new Promise<void>((r) => gates.push(r));
      ctx.reply("late");
      return s;
    }
    ctx.reply((m as number) * 2);
    return s;
  },
};

/** Asks the agent named in its args and keeps what it answered; "get" answers the list. */
const asker: AgentLogic<{ to: AgentId; got: unknown[] }, unknown> = {
  init: (_ctx, args) => ({ to: (args as { to: AgentId }).to, got: [] }),
  receive: async (s, m, ctx) => {
    if (m === "get") {
      ctx.reply(s.got);
      return s;
    }
    const answer = await ctx.request(s.to, m, { timeoutMs: 10_000 });
    return { ...s, got: [...s.got, answer] };
  },
};

function start(clock: SimulatedClock, cluster: string, node: string): Promise<TestNode> {
  return startNode({ postgres: db.url, nats: db.nats.url, clock, cluster, node, logics: { doubler, asker } });
}

async function until(what: string, ok: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function replyRows(cluster: string): Promise<number> {
  const r = await db.pool.query("SELECT count(*) AS n FROM cluster_replies WHERE cluster = $1", [cluster]);
  return Number(r.rows[0]?.["n"]);
}

describe("requests across nodes", () => {
  it("answers os.request and an agent's ctx.request from another node, values and errors", async () => {
    const clock = new SimulatedClock();
    const [a, b] = await withNodes(() => start(clock, "r1", "a"), () => start(clock, "r1", "b"));
    const target = await b.os.spawn({ name: "doubler", kind: "code", logic: "doubler" });
    expect(await a.os.request(target, 21, { timeoutMs: 10_000 })).toBe(42);
    const failed = await a.os.request(target, "boom", { timeoutMs: 10_000 }).then(() => null, (e: unknown) => e);
    expect(isAiosError(failed) ? [failed.code, failed.message] : failed).toEqual(["E_AGENT_CRASHED", expect.stringContaining("boom requested")]);
    // The crash ended it: a request to it is refused on its node, as on one node.
    await expect(a.os.request(target, 1, { timeoutMs: 10_000 })).rejects.toMatchObject({ code: "E_NO_AGENT" });
    // An agent on a asks through the door (AgentRequest, capability agent:<target>#send).
    const second = await b.os.spawn({ name: "doubler", kind: "code", logic: "doubler" });
    const asking = await a.os.spawn({ name: "asker", kind: "code", logic: "asker", args: { to: second }, capabilities: [`agent:${second}#send`] });
    await a.os.send(asking, 5);
    await a.os.send(asking, 7);
    await until("both answers", async () => ((await a.os.request(asking, "get")) as unknown[]).length === 2);
    expect(await a.os.request(asking, "get")).toEqual([10, 14]);
    expect(a.svc.journal.waitingReplies).toBe(0);
    expect(await replyRows("r1")).toBe(0);
    // Nobody by that id in the cluster: refused at once, as on one node.
    await expect(a.os.request("ag-nobody", 1, { timeoutMs: 10_000 })).rejects.toMatchObject({ code: "E_NO_AGENT" });
  }, 20_000);

  it("a request whose recipient's node dies is answered by the node that takes the tree over", async () => {
    const clock = new SimulatedClock();
    const [a, b, c] = await withNodes(() => start(clock, "r2", "a"), () => start(clock, "r2", "b"), () => start(clock, "r2", "c"));
    const target = await b.os.spawn({ name: "doubler", kind: "code", logic: "doubler" });
    await b.os.pause(target);
    // b "dies" (stops beating, handles nothing) with the request acknowledged in PostgreSQL.
    const answer = a.os.request(target, 50, { timeoutMs: 15_000 });
    await until("the request stored", async () => Number((await db.pool.query("SELECT count(*) AS n FROM cluster_mail WHERE cluster = 'r2'")).rows[0]?.["n"]) === 1);
    clock.advance(3_001);
    await a.svc.node()?.beat();
    await c.svc.node()?.beat();
    await c.svc.settled();
    await a.svc.settled();
    const owner = a.svc.node()?.held().has(target) === true ? a : c;
    expect(owner.svc.node()?.held().get(target)?.epoch).toBe(2);
    await owner.os.resume(target);
    expect(await answer).toBe(100);
    expect(a.svc.journal.waitingReplies).toBe(0);
  }, 20_000);

  it("drops a reply that comes after the caller's timeout, and refuses a forged reply", async () => {
    const clock = new SimulatedClock();
    const a = await start(clock, "r3", "a");
    const b = await start(clock, "r3", "b");
    try {
      const target = await b.os.spawn({ name: "doubler", kind: "code", logic: "doubler" });
      // 1. Timeout: the caller's timer answers; the late reply is taken and dropped.
      await expect(a.os.request(target, "hold", { timeoutMs: 300 })).rejects.toMatchObject({ code: "E_TIMEOUT" });
      await until("b handling it", () => gates.length === 1);
      gates.shift()?.();
      await until("the late reply taken", async () => {
        await a.svc.node()?.beat();
        await a.svc.settled();
        return (await replyRows("r3")) === 0 && a.svc.journal.waitingReplies === 0;
      });

      // 2. A reply written straight into cluster_replies for a's waiting call: refused, the real one wins.
      const pending = a.os.request(target, "hold", { timeoutMs: 10_000 });
      await until("b handling it", () => gates.length === 1);
      const row = await db.pool.query("SELECT body FROM cluster_mail WHERE cluster = 'r3' ORDER BY n DESC LIMIT 1");
      const call = (JSON.parse(String(row.rows[0]?.["body"])) as { id: string }).id;
      await db.pool.query("INSERT INTO cluster_replies (cluster, node, call, origin, body) VALUES ('r3', 'a', $1, 'b', $2)", [call, JSON.stringify({ ok: true, value: "forged" })]);
      const refused: unknown[] = [];
      a.os.kernel.events.subscribe({ types: ["cluster.mail.refused"] }, (e) => void refused.push(e.data));
      await a.svc.node()?.beat();
      await until("the forged reply reported", () => refused.length === 1);
      expect(refused).toEqual([{ row: null, recipient: "a", origin: "b", reason: "forged", detail: `reply to request ${call}: the row carries no seal` }]);
      expect(a.svc.journal.waitingReplies).toBe(1);
      gates.shift()?.();
      expect(await pending).toBe("late");
    } finally {
      for (const g of gates.splice(0)) g();
      await a.os.shutdown();
      await b.os.shutdown();
    }
  }, 20_000);

  it("the caller's node dying leaves the recipient serving and the reply waiting for that node", async () => {
    const clock = new SimulatedClock();
    const a = await start(clock, "r4", "a");
    const b = await start(clock, "r4", "b");
    try {
      const target = await b.os.spawn({ name: "doubler", kind: "code", logic: "doubler" });
      // The caller's process goes away with its request waiting (its own timer would answer it).
      void a.os.request(target, "hold", { timeoutMs: 500 }).catch(() => undefined);
      await until("b handling it", () => gates.length === 1);
      await a.os.shutdown();
      gates.shift()?.();
      await until("the reply stored for a", async () => (await replyRows("r4")) === 1);
      expect(await b.os.request(target, 4, { timeoutMs: 10_000 })).toBe(8);
      // A node of that name coming back takes the reply nobody waits for, and drops it.
      const a2 = await start(clock, "r4", "a");
      try {
        await a2.svc.node()?.beat();
        await a2.svc.settled();
        expect(await replyRows("r4")).toBe(0);
      } finally {
        await a2.os.shutdown();
      }
    } finally {
      for (const g of gates.splice(0)) g();
      await b.os.shutdown();
    }
  }, 20_000);
});
