/**
 * Replies to requests that crossed cluster nodes (docs/adr/0040), in PostgreSQL. The node that
 * handled a request stores its reply for the caller's node under the request's message id (its
 * acknowledgement is that commit) and wakes that node; the caller's node takes its replies in one
 * statement (DELETE ... RETURNING) when woken and at every beat, and resolves the waiting request.
 *
 * A reply is sealed like a letter (seal.ts, its own domain tag): one written into the table by anyone
 * without the cluster secret is reported as forged, never handed to a caller. A second reply to one
 * call (the request handled again after a takeover) is dropped while the first waits; one that comes
 * after the caller gave up (its timeout, its node restarted) is taken and dropped by that node.
 */
import { z } from "zod";
import { AiosError, toAiosError, type SerializedError } from "../core/index.js";
import type { MailSeal } from "./seal.js";
import { query, text, type SqlPool } from "./sql.js";

/** What a reply carries: the value, or the error the request failed with. */
export type Outcome = { readonly ok: true; readonly value?: unknown } | { readonly ok: false; readonly error: SerializedError };

const OutcomeSchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown().optional() }).strict(),
  z.object({ ok: z.literal(false), error: z.object({ code: z.string(), message: z.string(), retryable: z.boolean() }).passthrough() }).strict(),
]);

/** A reply taken for this node: its outcome, or why it cannot be trusted (`forged`). */
export type TakenReply =
  | { readonly call: string; readonly origin: string; readonly outcome: Outcome; readonly forged?: undefined }
  | { readonly call: string; readonly origin: string; readonly outcome?: undefined; readonly forged: string };

export class ReplyBox {
  constructor(
    private readonly pool: SqlPool,
    private readonly cluster: string,
    private readonly node: string,
    private readonly seal: MailSeal,
    /** The node's clock: when a reply was stored (`at`, the compaction's horizon). */
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Stores the reply to `node`'s call `call`; a second reply to the same call is dropped. Fenced: stored
   * only while `fence.tree`'s lease is at `fence.epoch` (a stale owner's reply is not).
   */
  async post(node: string, call: string, err: Error | null, value: unknown, fence: { readonly tree: string; readonly epoch: number }): Promise<void> {
    const outcome: Outcome = err === null ? (value === undefined ? { ok: true } : { ok: true, value }) : { ok: false, error: toAiosError(err).toJSON() };
    let body: string;
    try {
      body = JSON.stringify(outcome);
    } catch (e) {
      const bad: Outcome = { ok: false, error: new AiosError("E_INVALID_ARG", `the reply to ${call} is not JSON: ${e instanceof Error ? e.message : String(e)}`, { details: { path: "reply" } }).toJSON() };
      body = JSON.stringify(bad);
    }
    const mac = this.seal.sealReply({ cluster: this.cluster, node, call, origin: this.node, body });
    await query(
      this.pool,
      `INSERT INTO cluster_replies (cluster, node, call, origin, body, mac, at)
         SELECT $1, $2, $3, $4, $5, $6, $9 WHERE EXISTS (SELECT 1 FROM cluster_leases WHERE cluster = $1 AND agent = $7 AND epoch = $8)
       ON CONFLICT (cluster, node, call) DO NOTHING`,
      [this.cluster, node, call, this.node, body, mac, fence.tree, fence.epoch, this.now()],
      `storing the reply to ${call} for node ${node}`,
      { node },
    );
  }

  /**
   * Compaction (docs/adr/0045): replies stored before `from` that nobody took (their caller's node
   * left or restarted; its request timed out long ago) are deleted. A reply keeps no key once taken:
   * a second reply to a call is taken and dropped by the caller's node, which no longer waits for it.
   */
  async compact(from: number): Promise<number> {
    const r = await query(this.pool, "DELETE FROM cluster_replies WHERE cluster = $1 AND at < $2", [this.cluster, from], "compacting replies to cross-node requests");
    return r.rowCount;
  }

  /** Takes every reply waiting for this node (they leave the table in the same statement). */
  async take(): Promise<TakenReply[]> {
    const r = await query(this.pool, "DELETE FROM cluster_replies WHERE cluster = $1 AND node = $2 RETURNING call, origin, body, mac", [this.cluster, this.node], "taking replies to cross-node requests");
    return r.rows.map((row): TakenReply => {
      const call = text(row, "call");
      const origin = text(row, "origin");
      const body = text(row, "body");
      const mac = row["mac"];
      if (!this.seal.verifyReply({ cluster: this.cluster, node: this.node, call, origin, body }, typeof mac === "string" ? mac : null)) {
        return { call, origin, forged: typeof mac === "string" ? "its seal does not verify under this cluster's secret" : "the row carries no seal" };
      }
      let raw: unknown;
      try {
        raw = JSON.parse(body);
      } catch {
        raw = undefined;
      }
      const o = OutcomeSchema.safeParse(raw);
      if (!o.success) return { call, origin, forged: "its body is not a reply" };
      return { call, origin, outcome: o.data.ok ? o.data : { ok: false, error: o.data.error as SerializedError } };
    });
  }
}
