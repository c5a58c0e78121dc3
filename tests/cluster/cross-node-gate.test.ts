/**
 * Cross-node letters pass ipc/'s receive-side checks on the receiving node (docs/adr/0038), tried from
 * the attacker's side on a real PostgreSQL and nats-server: two nodes (bare kernels with the cluster
 * and ipc subsystems, the receiving one requiring signatures), each recording its audit stage. A
 * signed envelope from the other node is admitted (the receiver checks it with the key the sending
 * node vouched for under its seal); a row written straight into cluster_mail (no seal, or a sealed
 * row whose payload or vouched key was changed) is refused as forged; an unsigned envelope to an agent
 * requiring signatures, an agent's plain letter to it, and an envelope its receive schema rejects are
 * refused. Every refusal: the
 * agent never sees it, its row is marked taken with the reason, the audit stage records a denial,
 * a `cluster.mail.refused` event says why, and ipc/'s refusals are dead letters on the receiver.
 */
import { generateKeyPairSync, sign } from "node:crypto";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { clusterSubsystem, type ClusterService } from "../../src/cluster/index.js";
import { SimulatedClock, silentLogger, type KernelEvent } from "../../src/core/index.js";
import type { AgentLogic, AuditRecord, Subsystem } from "../../src/abi/index.js";
import { ipcSubsystem, signingBytes, type Envelope, type Ipc } from "../../src/ipc/index.js";
import { boot, type Aios } from "../../src/sdk/index.js";
import { useClusterDb } from "./cluster-db.js";
import { TEST_SECRET, withNodes } from "./node-fixture.js";

const db = useClusterDb("xgate", { nats: true });

/** Keeps the payload of every envelope (or plain message) it gets; "get" answers the list. */
const keep: AgentLogic<{ got: unknown[] }, unknown> = {
  init: () => ({ got: [] }),
  receive: (s, m, ctx) => {
    if (m === "get") {
      ctx.reply(s.got);
      return s;
    }
    const payload = typeof m === "object" && m !== null && "performative" in m ? (m as Envelope).payload : m;
    return { got: [...s.got, payload] };
  },
};
const idle: AgentLogic<null, unknown> = { init: () => null, receive: (s) => s };

interface Node {
  readonly os: Aios;
  readonly svc: ClusterService;
  readonly ipc: Ipc;
  readonly audits: AuditRecord[];
  readonly refusals: KernelEvent[];
}

/** A node: the cluster, ipc/ (`required` signatures on the receiver) and an audit stage that records. */
async function start(clock: SimulatedClock, cluster: string, node: string, signatures: "required" | "optional", orderMax: number): Promise<Node> {
  const audits: AuditRecord[] = [];
  const auditStage: Subsystem<"auditRecorder", null> = { name: "auditRecorder", needs: [], build: () => ({ service: null, stages: { audit: { record: (e) => void audits.push(e) } } }) };
  const os = await boot({
    stack: "bare", durable: true, logger: silentLogger, logics: { keep, idle }, clock,
    add: [
      clusterSubsystem({ postgres: db.url, secret: TEST_SECRET, nats: db.nats.url, config: { cluster, node, heartbeatMs: 1_000, ttlMs: 3_000 }, clock, autoBeat: false }),
      ipcSubsystem({ signatures: { default: signatures } }),
      auditStage,
    ],
  });
  const svc = os.subsystems.cluster;
  const ipc = os.subsystems.ipc;
  if (svc === undefined || ipc === undefined) throw new Error("cluster and ipc services expected");
  // The same schema id, stricter on the receiver: what the sender accepts, the receiver may not.
  ipc.schemas.register("order", z.object({ qty: z.number().int().max(orderMax) }));
  const refusals: KernelEvent[] = [];
  os.kernel.events.subscribe({ types: ["cluster.mail.refused"] }, (e) => void refusals.push(e));
  await svc.join();
  return { os, svc, ipc, audits, refusals };
}

async function until(what: string, ok: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await ok()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function rowsOf(cluster: string): Promise<{ n: number; taken: boolean; refused: string | null; body: string }[]> {
  const r = await db.pool.query("SELECT n, taken, refused, body FROM cluster_mail WHERE cluster = $1 ORDER BY n", [cluster]);
  return r.rows.map((row) => ({ n: Number(row["n"]), taken: row["taken"] === true, refused: (row["refused"] as string | null) ?? null, body: String(row["body"]) }));
}

describe("receive-side checks across nodes", () => {
  it("admits a signed envelope from another node and refuses rows written straight into cluster_mail", async () => {
    const clock = new SimulatedClock();
    const [a, b] = await withNodes(() => start(clock, "g1", "a", "optional", 100), () => start(clock, "g1", "b", "required", 100));
    const target = await b.os.spawn({ name: "keep", kind: "code", logic: "keep" });
    const sender = await a.os.spawn({ name: "sender", kind: "code", logic: "idle" });
    const from = a.ipc.port.agent(sender);
    // What SemanticSend's handler does for the agent: build, sign with its key on a, route.
    const ok = await a.ipc.send(from, { to: target, payload: { qty: 1 }, performative: "inform", schema: "order" });
    expect(ok.delivered).toEqual([target]);
    await until("the signed envelope", async () => ((await b.os.request(target, "get")) as unknown[]).length === 1);
    expect(await b.os.request(target, "get")).toEqual([{ qty: 1 }]);
    const [signed] = await rowsOf("g1");
    expect(signed).toMatchObject({ taken: true, refused: null });

    // 1. An attacker with the database but not the cluster secret writes a letter "from" the sender.
    const forged = JSON.parse(signed?.body ?? "{}") as { payload: Envelope };
    await db.pool.query("INSERT INTO cluster_mail (cluster, agent, dedup, body) VALUES ('g1', $1, 'k:evil-1', $2)", [target, JSON.stringify({ t: "enqueue", id: "evil-1", to: target, from: sender, key: "evil-1", payload: { ...forged.payload, id: "evil-1", payload: { qty: 99 } } })]);
    // 2. ... or copies the sealed row and changes the payload (and re-signs the envelope with a key of
    // its own, vouched for in the row): the seal covers body and keys, so it no longer verifies.
    const evil = generateKeyPairSync("ed25519");
    const env: Envelope = { ...forged.payload, id: "evil-2", payload: { qty: 98 }, signature: { key: "evil-key", sig: "" } };
    const { signature: _s, ...unsigned } = env;
    const sig = sign(null, signingBytes(unsigned, JSON.stringify({ qty: 98 })), evil.privateKey).toString("base64url");
    const ed = evil.publicKey.export({ format: "der", type: "spki" }).toString("base64url");
    await db.pool.query(
      "INSERT INTO cluster_mail (cluster, agent, dedup, body, origin, keys, mac) SELECT cluster, agent, 'k:evil-2', $2, origin, $3, mac FROM cluster_mail WHERE cluster = 'g1' AND n = $1",
      [signed?.n, JSON.stringify({ t: "enqueue", id: "evil-2", to: target, from: sender, key: "evil-2", payload: { ...env, signature: { key: "evil-key", sig } } }), JSON.stringify([{ id: "evil-key", owner: sender, alg: "ed25519", ed }])],
    );
    await b.svc.node()?.beat(); // the beat pulls what no wake-up announced
    await until("both refusals", () => b.refusals.length === 2);

    expect(await b.os.request(target, "get")).toEqual([{ qty: 1 }]);
    const rows = await rowsOf("g1");
    expect(rows.map((r) => [r.taken, r.refused])).toEqual([
      [true, null],
      [true, "forged: the row carries no seal"],
      [true, "forged: its seal does not verify under this cluster's secret"],
    ]);
    expect(b.refusals.map((e) => e.data)).toEqual([
      { row: rows[1]?.n, recipient: target, origin: null, reason: "forged", detail: "the row carries no seal" },
      { row: rows[2]?.n, recipient: target, origin: "a", reason: "forged", detail: "its seal does not verify under this cluster's secret" },
    ]);
    expect(b.refusals.every((e) => e.severity === "warn" && e.agent === target)).toBe(true);
    const denied = b.audits.filter((r) => r.syscall === "cluster.mail");
    expect(denied).toEqual([
      { agent: target, syscall: "cluster.mail", decision: "denied", by: "cluster_mail (no origin)", reason: `cluster_mail row ${rows[1]?.n} refused (forged: the row carries no seal)` },
      { agent: target, syscall: "cluster.mail", decision: "denied", by: "node:a", reason: `cluster_mail row ${rows[2]?.n} refused (forged: its seal does not verify under this cluster's secret)` },
    ]);
    // A refused row is never read again: another pull moves and reports nothing.
    await b.svc.node()?.beat();
    await b.svc.settled();
    expect(b.refusals).toHaveLength(2);
  }, 20_000);

  it("refuses an unsigned envelope to an agent requiring signatures and one its receive schema rejects", async () => {
    const clock = new SimulatedClock();
    const [a, b] = await withNodes(() => start(clock, "g2", "a", "optional", 100), () => start(clock, "g2", "b", "required", 10));
    const target = await b.os.spawn({ name: "keep", kind: "code", logic: "keep" });
    const sender = await a.os.spawn({ name: "sender", kind: "code", logic: "idle", capabilities: ["agent:*#send"] });
    // From outside any agent (the SDK, the gateway): a valid envelope, but nobody signed it.
    const unsigned = await a.ipc.send(undefined, { to: target, payload: { qty: 2 }, performative: "inform" });
    // Signed by the sender, valid under a's "order" (qty <= 100), not under b's (qty <= 10).
    const big = await a.ipc.send(a.ipc.port.agent(sender), { to: target, payload: { qty: 50 }, performative: "inform", schema: "order" });
    // Both were acknowledged by a: stored in PostgreSQL, as a cross-node send is.
    expect([unsigned.delivered, big.delivered]).toEqual([[target], [target]]);
    // The sender's plain letter (no envelope, so no signature) carrying an envelope-shaped payload
    // (docs/adr/0083): acknowledged by a, refused by b as a local one is.
    await a.os.syscall(sender, "SemanticSend", { to: target, payload: { id: "m1", performative: "inform", conversation: "m1", from: "ag_someone", payload: { qty: 4 } } });
    // Then a good one, so the test knows b pulled the others before it.
    await a.ipc.send(a.ipc.port.agent(sender), { to: target, payload: { qty: 3 }, performative: "inform", schema: "order" });
    await until("the good envelope", async () => ((await b.os.request(target, "get")) as unknown[]).length === 1);
    expect(await b.os.request(target, "get")).toEqual([{ qty: 3 }]);

    const rows = await rowsOf("g2");
    expect(rows.map((r) => r.refused)).toEqual([
      `unsigned: ${target} requires signed messages`, expect.stringMatching(/^schema: .*qty/), expect.stringMatching(new RegExp(`^unsigned: ${target} requires signed messages, and an agent's plain letter`)), null,
    ]);
    expect(b.refusals.map((e) => (e.data as { reason: string }).reason)).toEqual(["unsigned", "schema", "unsigned"]);
    expect(b.audits.filter((r) => r.syscall === "cluster.mail").map((r) => [r.agent, r.decision, r.by])).toEqual([
      [target, "denied", "node:a"],
      [target, "denied", "node:a"],
      [target, "denied", "node:a"],
    ]);
    // On the receiver they are dead letters, as a local refusal is (replayable by an operator there).
    expect(b.ipc.deadLetters.list().map((d) => [d.envelope.id, d.reason, d.recipient])).toEqual([
      [unsigned.id, "unsigned", target],
      [big.id, "schema", target],
    ]);
    expect(a.ipc.deadLetters.list()).toEqual([]);
  }, 20_000);
});
