/**
 * Send by name and topics across nodes (docs/adr/0041) on a real PostgreSQL and nats-server: two
 * nodes (bare kernels with the cluster and ipc subsystems and an audit recorder). An agent named on one
 * node is reached by that name from the other (os.send, os.request, an agent's ctx.send and an
 * envelope), an ended agent's name no longer resolves, a name borne twice is refused; a publish on
 * one node reaches push subscribers on the other, and pull subscribers' SemanticRecv inboxes there
 * (docs/adr/0068). From the attacker's side: an agent whose
 * capabilities do not cover the name or the topic is refused at its own door and audited, nothing is
 * stored; a node's row carrying an envelope for another name, or a topic copy for an agent that did not
 * subscribe there (a row written into cluster_topics by hand), is refused where it lands: not
 * delivered, audited, reported, dead-lettered.
 */
import { describe, expect, it } from "vitest";
import { MailSeal, Mailroom } from "../../src/cluster/index.js";
import { SimulatedClock, isAiosError, type AgentId, type KernelEvent, type MessageId } from "../../src/core/index.js";
import type { AgentLogic, AuditRecord, Subsystem } from "../../src/abi/index.js";
import { dedupKey, ipcSubsystem, type Envelope, type Ipc } from "../../src/ipc/index.js";
import { useClusterDb } from "./cluster-db.js";
import { drain, startNode, TEST_SECRET, withNodes, type TestNode } from "./node-fixture.js";

const db = useClusterDb("xname", { nats: true });

const isEnvelope = (m: unknown): m is Envelope => typeof m === "object" && m !== null && "performative" in m && "payload" in m;
const codeOf = (e: unknown): string => (isAiosError(e) ? e.code : String(e));

/**
 * Keeps the payloads it gets ("get" answers the list); `{ subscribe, off?, pull? }` (un)subscribes it
 * through its door; "recv" answers the payloads its pull inbox holds now (SemanticRecv until empty).
 */
const box: AgentLogic<{ got: unknown[] }, unknown> = {
  init: () => ({ got: [] }),
  receive: async (s, m, ctx) => {
    if (m === "get") {
      ctx.reply(s.got);
      return s;
    }
    if (m === "recv") {
      const pulled: unknown[] = [];
      for (let r = await ctx.sys.SemanticRecv({}); r !== null; r = await ctx.sys.SemanticRecv({})) pulled.push(r.payload);
      ctx.reply(pulled);
      return s;
    }
    if (typeof m === "object" && m !== null && "subscribe" in m) {
      const off = "off" in m && m.off === true;
      const pull = "pull" in m && m.pull === true;
      ctx.reply(await ctx.sys.SemanticSubscribe({ pattern: String(m.subscribe), ...(off ? { unsubscribe: true } : {}), ...(pull ? { mode: "pull" as const } : {}) }).then(() => "ok", codeOf));
      return s;
    }
    return { got: [...s.got, isEnvelope(m) ? m.payload : m] };
  },
};

/** Acts for the test through its own door: `{ plain: [to, payload] }` is ctx.send, `{ send }` a SemanticSend. */
const actor: AgentLogic<null, unknown> = {
  init: () => null,
  receive: async (s, m, ctx) => {
    const a = m as { plain?: [string, unknown]; send?: Record<string, unknown> };
    const [to, payload] = a.plain ?? [];
    // ctx.send may refuse synchronously (its fast path's capability check): caught like a rejection.
    if (to !== undefined) ctx.reply(await (async () => ctx.send(to as AgentId, payload))().then(() => "ok", codeOf));
    else ctx.reply(await ctx.sys.SemanticSend(a.send as never).then((r) => r, codeOf));
    return s;
  },
};

interface Node extends TestNode {
  readonly ipc: Ipc;
  readonly audits: AuditRecord[];
  readonly refusals: KernelEvent[];
}

async function start(clock: SimulatedClock, cluster: string, node: string): Promise<Node> {
  const audits: AuditRecord[] = [];
  const recorder: Subsystem<"auditRecorder", null> = { name: "auditRecorder", needs: [], build: () => ({ service: null, stages: { audit: { record: (e) => void audits.push(e) } } }) };
  const n = await startNode({ postgres: db.url, nats: db.nats.url, clock, cluster, node, logics: { box, actor }, add: [ipcSubsystem(), recorder] });
  const ipc = n.os.subsystems.ipc;
  if (ipc === undefined) throw new Error("no ipc service");
  const refusals: KernelEvent[] = [];
  n.os.kernel.events.subscribe({ types: ["cluster.mail.refused"] }, (e) => void refusals.push(e));
  return { ...n, ipc, audits, refusals };
}

/** Asks `id` on `n` (its own agent) for its list until it has `count` entries. */
async function listOf(n: Node, id: string, count: number): Promise<unknown[]> {
  let got: unknown[] = [];
  for (let i = 0; i < 100; i++) {
    got = (await n.os.request(id, "get")) as unknown[];
    if (got.length >= count) return got;
    await drain(n);
  }
  return got;
}

async function mailRows(cluster: string): Promise<{ agent: string; refused: string | null; body: string }[]> {
  const r = await db.pool.query("SELECT agent, refused, body FROM cluster_mail WHERE cluster = $1 ORDER BY n", [cluster]);
  return r.rows.map((row) => ({ agent: String(row["agent"]), refused: (row["refused"] as string | null) ?? null, body: String(row["body"]) }));
}

const denials = (n: Node, syscall: string): AuditRecord[] => n.audits.filter((r) => r.syscall === syscall && r.decision === "denied");

describe("names and topics across nodes", () => {
  it("reaches an agent by its name from another node, through the sender's door, and nothing else", async () => {
    const clock = new SimulatedClock();
    const [a, b] = await withNodes(() => start(clock, "n1", "a"), () => start(clock, "n1", "b"));
    {
      const worker = await a.os.spawn({ name: "worker", kind: "code", logic: "box" });
      // The operator on b names it: the SDK finds no local agent of that name, the cluster resolves it.
      await b.os.send("worker", 1);
      expect(await b.os.request("worker", "get", { timeoutMs: 10_000 })).toEqual([1]);

      // An agent on b whose grant names the agent: a plain ctx.send and an envelope, both by name.
      const sender = await b.os.spawn({ name: "sender", kind: "code", logic: "actor", capabilities: ["agent:worker#send"] });
      expect(await b.os.request(sender, { plain: ["worker", 2] })).toBe("ok");
      expect(await b.os.request(sender, { send: { to: "worker", payload: 3, performative: "inform" } })).toMatchObject({ delivered: ["worker"] });
      expect(await listOf(a, worker, 3)).toEqual([1, 2, 3]);

      // The attacker's side: a grant for another agent does not cover this name, by either route.
      const before = (await mailRows("n1")).length;
      const intruder = await b.os.spawn({ name: "intruder", kind: "code", logic: "actor", capabilities: ["agent:other#send"] });
      expect(await b.os.request(intruder, { plain: ["worker", "evil-1"] })).toBe("E_CAP_DENIED");
      expect(await b.os.request(intruder, { send: { to: "worker", payload: "evil-2", performative: "inform" } })).toBe("E_CAP_DENIED");
      // Nor does a grant for the name cover the id (what the sender names is what its grant must cover).
      expect(await b.os.request(sender, { plain: [worker, "evil-3"] })).toBe("E_CAP_DENIED");
      expect(denials(b, "SemanticSend").map((r) => r.agent)).toEqual([intruder, intruder, sender]);
      expect((await mailRows("n1")).length).toBe(before);

      // A node's row whose envelope names another agent than the one it is stored for is refused where
      // it lands (a sealed row: only a node of the cluster, with a defect, could have stored it).
      const other = await a.os.spawn({ name: "other", kind: "code", logic: "box" });
      const env: Envelope = { id: "misrouted-1", to: "worker", performative: "inform", conversation: "misrouted-1", payload: "misrouted", taint: [], ts: 0 };
      await new Mailroom(db.pool, "n1", "b", new MailSeal(TEST_SECRET)).post({ id: "m-misrouted" as MessageId, to: other, payload: env, key: dedupKey(env.from, env.id) });
      await drain(a);
      expect(a.refusals.map((e) => e.data)).toMatchObject([{ recipient: other, origin: "b", reason: "no_route", detail: `addressed to worker, stored for ${other}` }]);
      expect(denials(a, "cluster.mail").map((r) => [r.agent, r.by])).toEqual([[other, "node:b"]]);
      expect(a.ipc.deadLetters.list().map((d) => [d.envelope.id, d.reason])).toEqual([["misrouted-1", "no_route"]]);
      expect(await a.os.request(other, "get")).toEqual([]);

      // A name borne by two live agents is refused with both ids; an ended agent's name resolves no more.
      const twins = [await a.os.spawn({ name: "twin", kind: "code", logic: "box" }), await a.os.spawn({ name: "twin", kind: "code", logic: "box" })];
      const ambiguous = await b.os.send("twin", 0).catch((e: unknown) => e);
      expect(isAiosError(ambiguous, "E_INVALID_ARG") && ambiguous.details["candidates"]).toEqual([...twins].sort());
      await a.os.kill(worker, "done");
      await a.svc.journal.flush(); // its end (and so its directory entry) committed
      await expect(b.os.send("worker", 4)).rejects.toMatchObject({ code: "E_NO_AGENT" });
      await expect(b.os.send("nobody", 5)).rejects.toMatchObject({ code: "E_NO_AGENT" });
    }
  }, 30_000);

  it("delivers a publish on one node to push subscribers on the other, and only to them", async () => {
    const clock = new SimulatedClock();
    const [a, b] = await withNodes(() => start(clock, "t1", "a"), () => start(clock, "t1", "b"));
    {
      const listener = await a.os.spawn({ name: "listener", kind: "code", logic: "box", capabilities: ["topic:news.*#subscribe"] });
      const bystander = await a.os.spawn({ name: "bystander", kind: "code", logic: "box", capabilities: ["topic:news.*#subscribe"] });
      const local = await b.os.spawn({ name: "local", kind: "code", logic: "box", capabilities: ["topic:news.>#subscribe"] });
      expect(await a.os.request(listener, { subscribe: "news.*" })).toBe("ok");
      expect(await b.os.request(local, { subscribe: "news.>" })).toBe("ok");

      const publisher = await b.os.spawn({ name: "publisher", kind: "code", logic: "actor", capabilities: ["topic:news.eu#publish"] });
      const sent = (await b.os.request(publisher, { send: { topic: "news.eu", payload: "hello" } })) as { delivered: string[] };
      expect([...sent.delivered].sort()).toEqual([listener, local].sort());
      expect(await listOf(a, listener, 1)).toEqual(["hello"]);
      expect(await listOf(b, local, 1)).toEqual(["hello"]);

      // The attacker's side, at the door: no publish grant for the topic, no subscribe grant for a pattern.
      const rows = (await mailRows("t1")).length;
      const intruder = await b.os.spawn({ name: "intruder", kind: "code", logic: "actor", capabilities: ["topic:sports.*#publish"] });
      expect(await b.os.request(intruder, { send: { topic: "news.eu", payload: "evil" } })).toBe("E_CAP_DENIED");
      const eaves = await b.os.spawn({ name: "eaves", kind: "code", logic: "box" });
      expect(await b.os.request(eaves, { subscribe: "news.*" })).toBe("E_CAP_DENIED");
      expect(denials(b, "SemanticSend").map((r) => r.agent)).toEqual([intruder]);
      expect(denials(b, "SemanticSubscribe").map((r) => r.agent)).toEqual([eaves]);
      expect((await mailRows("t1")).length).toBe(rows);
      const subs = await db.pool.query("SELECT agent FROM cluster_topics WHERE cluster = 't1' ORDER BY agent");
      expect(subs.rows.map((r) => r["agent"])).toEqual([listener, local].sort());

      // The attacker's side, in the database: a subscription written into cluster_topics by hand routes
      // a copy to the bystander, whose node refuses it (no subscription there).
      await db.pool.query("INSERT INTO cluster_topics (cluster, agent, pattern, re, node) VALUES ('t1', $1, 'news.eu', '^news\\.eu$', 'a')", [bystander]);
      await b.os.request(publisher, { send: { topic: "news.eu", payload: "second" } });
      expect(await listOf(a, listener, 2)).toEqual(["hello", "second"]);
      await drain(a);
      expect(await a.os.request(bystander, "get")).toEqual([]);
      expect((await mailRows("t1")).filter((r) => r.agent === bystander).map((r) => r.refused)).toEqual([
        `no_route: published on news.eu, stored for ${bystander}, which has no subscription to it on this node`,
      ]);
      expect(a.refusals.map((e) => (e.data as { reason: string; recipient: string }).recipient)).toEqual([bystander]);
      expect(denials(a, "cluster.mail").map((r) => [r.agent, r.by])).toEqual([[bystander, "node:b"]]);
      expect(a.ipc.deadLetters.list().map((d) => [d.reason, d.recipient])).toEqual([["no_route", bystander]]);

      // Unsubscribed: the directory forgets it, and the next publish reaches only the local subscriber.
      expect(await a.os.request(listener, { subscribe: "news.*", off: true })).toBe("ok");
      const third = (await b.os.request(publisher, { send: { topic: "news.eu", payload: "third" } })) as { delivered: string[] };
      expect(third.delivered).toContain(local);
      expect(third.delivered).not.toContain(listener);
    }
  }, 30_000);

  it("keeps an agent's push subscriptions where its tree goes (migration, takeover), sealed rows only", async () => {
    const clock = new SimulatedClock();
    const [a, b] = await withNodes(() => start(clock, "t2", "a"), () => start(clock, "t2", "b"));
    const listener = await a.os.spawn({ name: "listener", kind: "code", logic: "box", capabilities: ["topic:news.*#subscribe"] });
    expect(await a.os.request(listener, { subscribe: "news.*" })).toBe("ok");
    const publisher = await a.os.spawn({ name: "publisher", kind: "code", logic: "actor", capabilities: ["topic:news.eu#publish", "topic:sports.x#publish"] });
    // The attacker's side, in the database: a subscription for the listener written by hand (no seal).
    await db.pool.query("INSERT INTO cluster_topics (cluster, agent, pattern, re, node) VALUES ('t2', $1, 'sports.*', '^sports\\.[^.]+$', 'a')", [listener]);

    // Migrated to b: the subscription holds there, not on a; a publish on a reaches it on b.
    await a.os.migrate(listener, "b");
    await drain(b);
    expect(b.svc.node()?.held().get(listener)?.epoch).toBe(2);
    expect([b.ipc.subscribed(listener, "news.eu"), a.ipc.subscribed(listener, "news.eu")]).toEqual([true, false]);
    const moved = (await a.os.request(publisher, { send: { topic: "news.eu", payload: "after-migration" } })) as { delivered: string[] };
    expect(moved.delivered).toEqual([listener]);
    expect(await listOf(b, listener, 1)).toEqual(["after-migration"]);

    // The unsealed row was not restored: audited where the tree landed; the copy it routes is refused there.
    expect(b.ipc.subscribed(listener, "sports.x")).toBe(false);
    expect(denials(b, "cluster.topics").map((r) => [r.agent, r.by])).toEqual([[listener, "cluster_topics"]]);
    await a.os.request(publisher, { send: { topic: "sports.x", payload: "evil" } });
    await drain(b);
    expect(b.refusals.map((e) => [(e.data as { recipient: string }).recipient, (e.data as { reason: string }).reason])).toEqual([[listener, "no_route"]]);
    expect(await b.os.request(listener, "get")).toEqual(["after-migration"]);

    // b goes silent past its TTL (a keeps beating): a takes the tree over and the subscription with it.
    for (let i = 0; i < 4; i++) {
      clock.advance(1_000);
      await drain(a);
    }
    expect(a.svc.node()?.held().get(listener)?.epoch).toBe(3);
    expect(a.ipc.subscribed(listener, "news.eu")).toBe(true);
    const back = (await a.os.request(publisher, { send: { topic: "news.eu", payload: "after-takeover" } })) as { delivered: string[] };
    expect(back.delivered).toEqual([listener]);
    expect(await listOf(a, listener, 2)).toEqual(["after-migration", "after-takeover"]);
  }, 30_000);

  it("delivers a publish on one node to pull subscribers' inboxes on the other, where the tree goes too", async () => {
    const clock = new SimulatedClock();
    const [a, b] = await withNodes(() => start(clock, "t3", "a"), () => start(clock, "t3", "b"));
    const puller = await a.os.spawn({ name: "puller", kind: "code", logic: "box", capabilities: ["topic:news.*#subscribe"] });
    const both = await a.os.spawn({ name: "both", kind: "code", logic: "box", capabilities: ["topic:news.*#subscribe"] });
    expect(await a.os.request(puller, { subscribe: "news.*", pull: true })).toBe("ok");
    expect(await a.os.request(both, { subscribe: "news.*", pull: true })).toBe("ok");
    expect(await a.os.request(both, { subscribe: "news.*" })).toBe("ok");
    const rows = await db.pool.query("SELECT agent, mode FROM cluster_topics WHERE cluster = 't3'");
    expect(rows.rows.map((r) => `${String(r["agent"])} ${String(r["mode"])}`).sort()).toEqual([`${both} pull`, `${both} push`, `${puller} pull`].sort());

    // Published on b: the puller gets it through SemanticRecv on a, never in its mailbox; an agent
    // subscribed both ways gets it both ways, once each.
    const publisher = await b.os.spawn({ name: "publisher", kind: "code", logic: "actor", capabilities: ["topic:news.eu#publish"] });
    const sent = (await b.os.request(publisher, { send: { topic: "news.eu", payload: "pulled" } })) as { delivered: string[] };
    expect([...sent.delivered].sort()).toEqual([both, puller].sort());
    let pulled: unknown[] = [];
    for (let i = 0; i < 100 && pulled.length === 0; i++) {
      await drain(a);
      pulled = (await a.os.request(puller, "recv")) as unknown[];
    }
    expect(pulled).toEqual(["pulled"]);
    expect(await a.os.request(puller, "get")).toEqual([]);
    expect(await listOf(a, both, 1)).toEqual(["pulled"]);
    expect(await a.os.request(both, "recv")).toEqual(["pulled"]);
    // Taken once: the rows are marked taken, nothing refused, nothing waits.
    const mail = (await mailRows("t3")).filter((r) => r.agent === puller);
    expect(mail.map((r) => r.refused)).toEqual([null]);
    const waiting = await db.pool.query("SELECT count(*)::int AS n FROM cluster_mail WHERE cluster = 't3' AND NOT taken");
    expect(waiting.rows[0]?.["n"]).toBe(0);

    // The attacker's side, in the database: a push row turned into a pull row by hand (the seal of a
    // pull row names its mode, so it no longer verifies) is not restored where the tree goes.
    const flipped = await a.os.spawn({ name: "flipped", kind: "code", logic: "box", capabilities: ["topic:sports.*#subscribe"] });
    expect(await a.os.request(flipped, { subscribe: "sports.*" })).toBe("ok");
    await db.pool.query("UPDATE cluster_topics SET mode = 'pull' WHERE cluster = 't3' AND agent = $1", [flipped]);

    // Migrated to b: the pull subscription holds there (not on a), and a publish on b reaches its inbox on b.
    await a.os.migrate(puller, "b");
    await a.os.migrate(flipped, "b");
    // b takes each tree at a beat or on a wake-up, whichever comes first: until both are adopted there.
    for (let i = 0; i < 100 && (!b.ipc.subscribed(puller, "news.eu", "pull") || denials(b, "cluster.topics").length === 0); i++) await drain(b);
    expect([b.ipc.subscribed(puller, "news.eu", "pull"), a.ipc.subscribed(puller, "news.eu", "pull")]).toEqual([true, false]);
    const again = (await b.os.request(publisher, { send: { topic: "news.eu", payload: "after-migration" } })) as { delivered: string[] };
    expect(again.delivered).toContain(puller);
    expect(await b.os.request(puller, "recv")).toEqual(["after-migration"]);
    expect([b.ipc.subscribed(flipped, "sports.x", "pull"), b.ipc.subscribed(flipped, "sports.x", "push")]).toEqual([false, false]);
    expect(denials(b, "cluster.topics").map((r) => [r.agent, r.by])).toEqual([[flipped, "cluster_topics"]]);
  }, 30_000);
});
