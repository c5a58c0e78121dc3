/**
 * Intents across nodes (docs/adr/0055) on a real PostgreSQL and nats-server: two nodes (bare kernels
 * with the cluster and ipc subsystems — a deterministic word embedder — and an audit recorder). An
 * agent registers skills through its door on one node; an intent sent on the other node is routed to
 * it by those skills and delivered across nodes. The agent's skills follow it when its tree is taken
 * over; an ended agent's skills attract nothing. From the attacker's side: a cluster_skills row written
 * into PostgreSQL by hand (no seal) never attracts an intent, and its refusal is audited.
 */
import { describe, expect, it } from "vitest";
import { SimulatedClock, isAiosError } from "../../src/core/index.js";
import type { AgentLogic, AuditRecord, Subsystem } from "../../src/abi/index.js";
import { ipcSubsystem, type Envelope } from "../../src/ipc/index.js";
import { wordEmbedder } from "../ipc/helpers.js";
import { useClusterDb } from "./cluster-db.js";
import { drain, startNode, withNodes, type TestNode } from "./node-fixture.js";

const db = useClusterDb("xintent", { nats: true });

const isEnvelope = (m: unknown): m is Envelope => typeof m === "object" && m !== null && "performative" in m && "payload" in m;
const codeOf = (e: unknown): string => (isAiosError(e) ? e.code : String(e));

/** `{ register: skills }` registers its skills through its door; "get" answers what it got; anything else is kept. */
const skilled: AgentLogic<{ got: unknown[] }, unknown> = {
  init: () => ({ got: [] }),
  receive: async (s, m, ctx) => {
    if (m === "get") {
      ctx.reply(s.got);
      return s;
    }
    if (typeof m === "object" && m !== null && "register" in m) {
      ctx.reply(await ctx.sys.AgentRegister({ skills: m.register as never }).then(() => "ok", codeOf));
      return s;
    }
    return { got: [...s.got, isEnvelope(m) ? m.payload : m] };
  },
};

/** Sends `{ intent, payload }` by intent through its own door; answers the result or the error code. */
const asker: AgentLogic<null, unknown> = {
  init: () => null,
  receive: async (s, m, ctx) => {
    const a = m as { intent: string; payload: unknown };
    ctx.reply(await ctx.sys.SemanticSend({ intent: a.intent, payload: a.payload }).then((r) => r, codeOf));
    return s;
  },
};

interface Node extends TestNode {
  readonly audits: AuditRecord[];
}

async function start(clock: SimulatedClock, cluster: string, node: string): Promise<Node> {
  const audits: AuditRecord[] = [];
  const recorder: Subsystem<"auditRecorder", null> = { name: "auditRecorder", needs: [], build: () => ({ service: null, stages: { audit: { record: (e) => void audits.push(e) } } }) };
  const n = await startNode({
    postgres: db.url, nats: db.nats.url, clock, cluster, node, logics: { skilled, asker },
    add: [ipcSubsystem({ embedder: wordEmbedder(), intents: { threshold: 0.3 } }), recorder],
  });
  return { ...n, audits };
}

/** Asks `id` held by `n` for what it got until it has `count` entries. */
async function gotBy(n: Node, id: string, count: number): Promise<unknown[]> {
  let got: unknown[] = [];
  for (let i = 0; i < 200; i++) {
    got = (await n.os.request(id, "get", { timeoutMs: 10_000 })) as unknown[];
    if (got.length >= count) return got;
    await drain(n);
    await new Promise((r) => setTimeout(r, 10));
  }
  return got;
}

const BILLING = [{ name: "billing", description: "refund a charge on an invoice payment" }];
const SHIPPING = [{ name: "shipping", description: "track a parcel delivery address" }];

describe("intents across nodes", () => {
  it("routes an intent sent on one node to the agent whose skills registered on another; the skills follow a takeover", async () => {
    const clock = new SimulatedClock();
    const [a, b] = await withNodes(() => start(clock, "i1", "a"), () => start(clock, "i1", "b"));
    const billing = await a.os.spawn({ name: "billing", kind: "code", logic: "skilled", capabilities: ["intent#register"] });
    const shipping = await b.os.spawn({ name: "shipping", kind: "code", logic: "skilled", capabilities: ["intent#register"] });
    expect(await a.os.request(billing, { register: BILLING })).toBe("ok");
    expect(await b.os.request(shipping, { register: SHIPPING })).toBe("ok");

    // On b, an intent about a refund goes to billing on a; on a, one about a parcel to shipping on b.
    const askB = await b.os.spawn({ name: "ask-b", kind: "code", logic: "asker", capabilities: ["intent#send"] });
    const askA = await a.os.spawn({ name: "ask-a", kind: "code", logic: "asker", capabilities: ["intent#send"] });
    expect(await b.os.request(askB, { intent: "refund this charge", payload: "refund-1" })).toMatchObject({ delivered: [billing] });
    expect(await a.os.request(askA, { intent: "track my parcel delivery", payload: "parcel-1" })).toMatchObject({ delivered: [shipping] });
    expect(await gotBy(a, billing, 1)).toEqual(["refund-1"]);
    expect(await gotBy(b, shipping, 1)).toEqual(["parcel-1"]);

    // a goes silent; b takes billing's tree over. billing registered its skills on a, yet b's router
    // finds them (the directory) and routes to it, now local, with its state.
    clock.advance(3_001);
    await drain(b);
    expect(b.svc.node()?.held().has(billing)).toBe(true);
    expect(await b.os.request(askB, { intent: "refund the invoice payment", payload: "refund-2" })).toMatchObject({ delivered: [billing] });
    expect(await gotBy(b, billing, 2)).toEqual(["refund-1", "refund-2"]);

    // Ended: its skills attract nothing any more, on any node.
    await b.os.kill(billing);
    expect(await b.os.request(askB, { intent: "refund this charge", payload: "refund-3" })).toBe("E_NO_AGENT");
  }, 60_000);

  it("never routes by a skills row written into PostgreSQL by hand, and audits its refusal", async () => {
    const clock = new SimulatedClock();
    const [a, b] = await withNodes(() => start(clock, "i2", "a"), () => start(clock, "i2", "b"));
    const billing = await a.os.spawn({ name: "billing", kind: "code", logic: "skilled", capabilities: ["intent#register"] });
    const shipping = await b.os.spawn({ name: "shipping", kind: "code", logic: "skilled", capabilities: ["intent#register"] });
    expect(await a.os.request(billing, { register: BILLING })).toBe("ok");
    expect(await b.os.request(shipping, { register: SHIPPING })).toBe("ok");
    // The attacker rewrites shipping's row to claim refunds word for word (its seal no longer matches),
    // and adds a row without any seal for an agent of its own naming.
    const claim = JSON.stringify([{ name: "refunds", description: "refund this charge" }]);
    await db.pool.query("UPDATE cluster_skills SET skills = $3 WHERE cluster = $1 AND agent = $2", ["i2", shipping, claim]);
    const askA = await a.os.spawn({ name: "ask-a", kind: "code", logic: "asker", capabilities: ["intent#send"] });
    expect(await a.os.request(askA, { intent: "refund this charge", payload: "r" })).toMatchObject({ delivered: [billing] });
    const refused = a.audits.filter((r) => r.syscall === "cluster.skills" && r.decision === "denied");
    expect(refused.map((r) => r.agent)).toContain(shipping);
    expect(refused[0]?.reason).toMatch(/seal does not verify/);
    // The router on a never took the forged skills: a parcel intent finds no agent now.
    expect(await a.os.request(askA, { intent: "track my parcel delivery", payload: "p" })).toBe("E_NO_AGENT");
  }, 60_000);
});
