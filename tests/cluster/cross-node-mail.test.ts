/**
 * Mail between kernels on two cluster nodes (docs/adr/0036), on a real PostgreSQL and a real
 * nats-server -js; leases on one SimulatedClock, beaten by hand. A send to an agent held by the other
 * node resolves once PostgreSQL holds it and the owner, woken over NATS, handles it in order; an
 * agent's own sends cross nodes the same way; a letter acknowledged while the owner is dead is handled
 * by the node that takes the tree over; a copy with the same key is stored once; an id no node ever
 * spawned is E_NO_AGENT. A letter stored for an agent before a local letter to it was sent is handled
 * first, with no wake-up to announce it (docs/adr/0073), and concurrent pulls move no row twice.
 */
import { describe, expect, it } from "vitest";
import { MailSeal, Mailroom } from "../../src/cluster/index.js";
import { SimulatedClock, type AgentId, type MessageId } from "../../src/core/index.js";
import type { AgentLogic } from "../../src/abi/index.js";
import { useClusterDb } from "./cluster-db.js";
import { keep, startNode, TEST_SECRET, withNodes, type TestNode } from "./node-fixture.js";

const db = useClusterDb("xmail", { nats: true });

/** Forwards each message to the agent named in its args. */
const relay: AgentLogic<{ to: AgentId }, unknown> = {
  init: (_ctx, args) => ({ to: (args as { to: AgentId }).to }),
  receive: async (s, m, ctx) => {
    await ctx.send(s.to, m);
    return s;
  },
};

type Node = TestNode;

function start(clock: SimulatedClock, cluster: string, node: string): Promise<Node> {
  return startNode({ postgres: db.url, nats: db.nats.url, clock, cluster, node, logics: { keep, relay } });
}

async function waiting(cluster: string): Promise<number> {
  const r = await db.pool.query("SELECT count(*) AS n FROM cluster_mail WHERE cluster = $1 AND NOT taken", [cluster]);
  return Number(r.rows[0]?.["n"]);
}

/** Asks `id` on `n` until its list has `count` entries (the owner is woken over NATS, not by the test). */
async function listOf(n: Node, id: string, count: number): Promise<unknown[]> {
  let got: unknown[] = [];
  for (let i = 0; i < 200; i++) {
    got = (await n.os.request(id, "get", { timeoutMs: 5_000 })) as unknown[];
    if (got.length >= count) return got;
    await new Promise((r) => setTimeout(r, 25));
  }
  return got;
}

describe("cross-node mail", () => {
  it("delivers sends from another node in order, durably, woken over NATS; agents' own sends cross too", async () => {
    const clock = new SimulatedClock();
    const [a, b] = await withNodes(() => start(clock, "x1", "a"), () => start(clock, "x1", "b"));
    const target = await b.os.spawn({ name: "keep", kind: "code", logic: "keep" });
    for (let i = 1; i <= 20; i++) await a.os.send(target, i);
    // A relay on a forwards through its own ctx.send: the kernel routes it to b's agent.
    const r = await a.os.spawn({ name: "relay", kind: "code", logic: "relay", args: { to: target }, capabilities: [`agent:${target}#send`] });
    await a.os.send(r, "via-relay");
    expect(await listOf(b, target, 21)).toEqual([...Array.from({ length: 20 }, (_, i) => i + 1), "via-relay"]);
    expect(await waiting("x1")).toBe(0);
    await expect(a.os.send("no-such-agent", 1)).rejects.toMatchObject({ code: "E_NO_AGENT" });
  }, 20_000);

  it("a letter acknowledged while its owner is dead is handled by the node that takes the tree over", async () => {
    const clock = new SimulatedClock();
    const [a, b] = await withNodes(() => start(clock, "x2", "a"), () => start(clock, "x2", "b"));
    const target = await b.os.spawn({ name: "keep", kind: "code", logic: "keep" });
    await b.os.pause(target);
    // b "dies": it stops beating and, paused, handles nothing. Sends to it are acknowledged anyway.
    for (let i = 1; i <= 5; i++) await a.os.send(target, i);
    clock.advance(3_001);
    await a.svc.node()?.beat();
    await a.svc.settled();
    expect(a.svc.node()?.held().get(target)?.epoch).toBe(2);
    await a.os.resume(target);
    expect(await listOf(a, target, 5)).toEqual([1, 2, 3, 4, 5]);
    expect(await waiting("x2")).toBe(0);
  }, 20_000);

  it("stores a copy with the same de-duplication key once", async () => {
    const clock = new SimulatedClock();
    const [b] = await withNodes(() => start(clock, "x3", "b"));
    const target = await b.os.spawn({ name: "keep", kind: "code", logic: "keep" });
    const room = new Mailroom(db.pool, "x3", "tester", new MailSeal(TEST_SECRET));
    const letter = { id: "m-1" as MessageId, to: target, payload: "once", key: "env-1" };
    expect(await room.post(letter)).toBe("b");
    expect(await room.post({ ...letter, id: "m-2" as MessageId })).toBe("b");
    const replayed = { id: "m-3" as MessageId, to: target, payload: "replayed", from: "sender" as AgentId, cause: "c-1" as MessageId, nth: 1 };
    await room.post(replayed);
    await room.post({ ...replayed, id: "m-4" as MessageId });
    const rows = await db.pool.query("SELECT count(*) AS n FROM cluster_mail WHERE cluster = 'x3'");
    expect(Number(rows.rows[0]?.["n"])).toBe(2);
    await b.svc.node()?.beat(); // the beat pulls what no wake-up announced
    expect(await listOf(b, target, 2)).toEqual(["once", "replayed"]);
  }, 20_000);

  it("handles a cross-node letter acknowledged before a local send first, with no wake-up announcing it", async () => {
    const clock = new SimulatedClock();
    const [b] = await withNodes(() => start(clock, "x4", "b"));
    const target = await b.os.spawn({ name: "keep", kind: "code", logic: "keep" });
    // Another node's letters, stored and acknowledged, their wake-ups lost (a Mailroom wakes no one).
    const room = new Mailroom(db.pool, "x4", "tester", new MailSeal(TEST_SECRET));
    const want: string[] = [];
    for (let i = 0; i < 10; i++) {
      expect(await room.post({ id: `r-${i}` as MessageId, to: target, payload: `remote-${i}` })).toBe("b");
      await b.os.send(target, `local-${i}`);
      want.push(`remote-${i}`, `local-${i}`);
    }
    expect(await b.os.request(target, "get", { timeoutMs: 5_000 })).toEqual(want);
    expect(await waiting("x4")).toBe(0);
  }, 20_000);

  it("a row the pull leaves or refuses holds a local letter back once, not for good", async () => {
    const clock = new SimulatedClock();
    const [b] = await withNodes(() => start(clock, "x5", "b"));
    const target = await b.os.spawn({ name: "keep", kind: "code", logic: "keep" });
    // Written straight into PostgreSQL, unsealed: refused by the pull, never moved.
    await db.pool.query("INSERT INTO cluster_mail (cluster, agent, dedup, body, origin) VALUES ('x5', $1, 'm:forged', $2, 'mallory')", [target, JSON.stringify({ t: "enqueue", id: "forged", to: target, payload: "forged" })]);
    await b.os.send(target, "after-forged");
    expect(await b.os.request(target, "get", { timeoutMs: 5_000 })).toEqual(["after-forged"]);
    const refused = await db.pool.query("SELECT taken, refused FROM cluster_mail WHERE cluster = 'x5' AND dedup = 'm:forged'");
    expect(refused.rows[0]).toMatchObject({ taken: true, refused: expect.stringMatching(/^forged/) });
  }, 20_000);

  it("moves each stored letter once while pulls, beats and local sends overlap", async () => {
    const clock = new SimulatedClock();
    const [b] = await withNodes(() => start(clock, "x6", "b"));
    const target = await b.os.spawn({ name: "keep", kind: "code", logic: "keep", mailbox: { capacity: 10_000 } });
    const room = new Mailroom(db.pool, "x6", "tester", new MailSeal(TEST_SECRET), Date.now, 10_000);
    const posted: string[] = [];
    const local: string[] = [];
    const poster = (async () => {
      for (let i = 0; i < 150; i++) {
        await room.post({ id: `p-${i}` as MessageId, to: target, payload: `p${i}` });
        posted.push(`p${i}`);
      }
    })();
    const sender = (async () => {
      for (let i = 0; i < 150; i++) {
        await b.os.send(target, `l${i}`);
        local.push(`l${i}`);
      }
    })();
    const beats = (async () => {
      for (let i = 0; i < 60; i++) await Promise.all([b.svc.node()?.beat(), b.svc.node()?.beat()]);
    })();
    await Promise.all([poster, sender, beats]);
    await b.svc.node()?.beat();
    await b.svc.settled();
    const got = (await listOf(b, target, 300)) as string[];
    // Each letter once; each sender's letters in the order they were acknowledged.
    expect([...got].sort()).toEqual([...posted, ...local].sort());
    expect(got.filter((x) => x.startsWith("p"))).toEqual(posted);
    expect(got.filter((x) => x.startsWith("l"))).toEqual(local);
    const journaled = await db.pool.query("SELECT count(*) AS n FROM cluster_journal WHERE cluster = 'x6' AND kind = 'enqueue' AND body LIKE '%\"payload\":\"p%'");
    expect(Number(journaled.rows[0]?.["n"])).toBe(150);
  }, 60_000);
});
