/**
 * A replayable send (ADR 0016) received once stays received across nodes (found by the fault suite):
 * on a cluster the copy of an agent's send is journaled in the *recipient's* stream, so a sender taken
 * over by a node without that stream sends it again — into cluster_mail, under a key the first copy
 * never had there. The recipient's owner knows the send (from/cause/nth) from its stream: the second
 * copy is marked taken and not delivered, and `sent()` answers true for it, also after the recipient's
 * tree is loaded by another node from the journal.
 */
import { describe, expect, it } from "vitest";
import { MailSeal, Mailroom } from "../../src/cluster/index.js";
import { SimulatedClock, type AgentId, type MessageId } from "../../src/core/index.js";
import { useClusterDb } from "./cluster-db.js";
import { TEST_SECRET, keep, startNode } from "./node-fixture.js";

const db = useClusterDb("replayed");

async function waiting(cluster: string): Promise<number> {
  const r = await db.pool.query("SELECT count(*) AS n FROM cluster_mail WHERE cluster = $1 AND NOT taken", [cluster]);
  return Number(r.rows[0]?.["n"]);
}

describe("replayable sends across nodes", () => {
  it("a send received through the recipient's journal is not delivered again when it comes through cluster_mail", async () => {
    const clock = new SimulatedClock();
    const b = await startNode({ postgres: db.url, clock, cluster: "r1", node: "b", logics: { keep } });
    let c: Awaited<ReturnType<typeof startNode>> | undefined;
    try {
      const target = await b.os.spawn({ name: "keep", kind: "code", logic: "keep" });
      const from = "sender" as AgentId;
      const cause = "letter-1" as MessageId;
      // The first copy, as a sender on b's node journals it: in the recipient's stream, with its origin.
      await b.svc.journal.enqueue({ id: "copy-1" as MessageId, to: target, payload: "first", from, cause, nth: 1 });
      expect(b.svc.journal.sent(from, cause, 1)).toBe(true);
      // The sender, replaying on a node without the recipient's stream, posts the same send again.
      await new Mailroom(db.pool, "r1", "sender-node", new MailSeal(TEST_SECRET)).post({ id: "copy-2" as MessageId, to: target, payload: "second", from, cause, nth: 1 });
      expect(await waiting("r1")).toBe(1);
      await b.svc.node()?.beat(); // the beat pulls: the copy is recognised and marked taken
      await b.svc.settled();
      expect(await waiting("r1")).toBe(0);
      expect(await b.os.request(target, "get", { timeoutMs: 5_000 })).toEqual([]);

      // After a takeover the new owner knows the send from the journal it loaded.
      await b.os.shutdown();
      c = await startNode({ postgres: db.url, clock, cluster: "r1", node: "c", logics: { keep } });
      await c.svc.node()?.beat();
      await c.svc.settled();
      expect(c.svc.node()?.held().has(target)).toBe(true);
      expect(c.svc.journal.sent(from, cause, 1)).toBe(true);
      await new Mailroom(db.pool, "r1", "sender-node", new MailSeal(TEST_SECRET)).post({ id: "copy-3" as MessageId, to: target, payload: "third", from, cause, nth: 2 });
      await c.svc.node()?.beat();
      await c.svc.settled();
      // nth 2 is another send: delivered (after the journaled "first", which the load put in the mailbox).
      for (let i = 0; i < 100 && ((await c.os.request(target, "get", { timeoutMs: 5_000 })) as unknown[]).length < 2; i++) await new Promise((r) => setTimeout(r, 20));
      expect(await c.os.request(target, "get", { timeoutMs: 5_000 })).toEqual(["first", "third"]);
    } finally {
      await c?.os.shutdown();
      await b.os.shutdown().catch(() => undefined);
    }
  }, 20_000);
});
