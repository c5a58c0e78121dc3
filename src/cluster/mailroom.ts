/**
 * Cross-node mail in PostgreSQL (docs/adr/0036). A letter for an agent held by another node is
 * stored in cluster_mail — that commit (synchronous_commit = on) is the sender's acknowledgement,
 * never a NATS ack — and the owner is woken over NATS to move it into the agent's fenced journal.
 * A lost wake-up costs one heartbeat (owners pull at every beat); a lost owner costs nothing (the
 * next owner pulls at adoption).
 *
 * De-duplication: every row has a key unique per recipient — the envelope's id when the sender gave
 * one (ipc/'s at-least-once retries), the replayable send's `from/cause/nth` (ADR 0016: a sender that
 * handles a letter again after a takeover sends the same copy), else the message id. A second copy is
 * not stored (ON CONFLICT DO NOTHING) and the sender is told it was accepted, as for a duplicate.
 *
 * The directory (cluster_agents, written with each spawn record) says which agents exist: a letter
 * for an agent no node ever spawned is E_NO_AGENT, as on one node.
 */
import { AiosError } from "../core/index.js";
import type { StoredMessage } from "../abi/index.js";
import { JournalRecordSchema, serialise, type JournalRecord } from "../store/index.js";
import { toClusterError } from "./errors.js";
import { int, text, textOrNull, type SqlPool } from "./sql.js";

type Enqueue = Extract<JournalRecord, { t: "enqueue" }>;

export interface WaitingLetter {
  readonly n: number;
  readonly rec: Enqueue;
}

/** The row's de-duplication key (see the header). */
export function dedupKey(m: StoredMessage): string {
  if (m.key !== undefined) return `k:${m.key}`;
  if (m.cause !== undefined && m.nth !== undefined && m.from !== undefined) return `s:${m.from}/${m.cause}/${m.nth}`;
  return `m:${m.id}`;
}

export class Mailroom {
  constructor(
    private readonly pool: SqlPool,
    readonly cluster: string,
  ) {}

  /**
   * Stores `m` for its recipient (once per de-duplication key); resolves with the node holding the
   * recipient's tree now (null when none does). E_NO_AGENT when no node ever spawned that agent.
   */
  async post(m: StoredMessage): Promise<string | null> {
    const rec: Enqueue = {
      t: "enqueue", id: m.id, to: m.to, payload: m.payload, ...(m.from === undefined ? {} : { from: m.from }), ...(m.key === undefined ? {} : { key: m.key }),
      ...(m.cause === undefined || m.nth === undefined ? {} : { cause: m.cause, nth: m.nth }), ...(m.trace === undefined ? {} : { trace: m.trace }),
    };
    let r;
    try {
      r = await this.pool.query(
        `WITH t AS (SELECT a.tree, l.owner FROM cluster_agents a LEFT JOIN cluster_leases l ON l.cluster = a.cluster AND l.agent = a.tree WHERE a.cluster = $1 AND a.agent = $2),
           ins AS (INSERT INTO cluster_mail (cluster, agent, dedup, body) SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM t) ON CONFLICT (cluster, agent, dedup) DO NOTHING RETURNING n)
         SELECT EXISTS (SELECT 1 FROM t) AS known, (SELECT owner FROM t) AS owner`,
        [this.cluster, m.to, dedupKey(m), serialise(rec)],
      );
    } catch (e) {
      throw toClusterError(e, `storing a message for ${m.to}`, { agent: m.to });
    }
    const row = r.rows[0];
    if (row?.["known"] !== true) throw new AiosError("E_NO_AGENT", `no agent ${m.to} in cluster ${this.cluster}`, { details: { agent: m.to } });
    return textOrNull(row, "owner");
  }

  /** Letters not yet taken for any of `agents`, oldest first. */
  async waiting(agents: readonly string[], limit = 1_000): Promise<WaitingLetter[]> {
    let r;
    try {
      r = await this.pool.query("SELECT n, body FROM cluster_mail WHERE cluster = $1 AND NOT taken AND agent = ANY($2::text[]) ORDER BY n LIMIT $3", [this.cluster, [...agents], limit]);
    } catch (e) {
      throw toClusterError(e, "reading waiting cross-node mail");
    }
    const out: WaitingLetter[] = [];
    for (const row of r.rows) {
      const n = int(row, "n");
      let raw: unknown;
      try {
        raw = JSON.parse(text(row, "body"));
      } catch {
        raw = undefined;
      }
      const rec = JournalRecordSchema.safeParse(raw);
      if (!rec.success || rec.data.t !== "enqueue") throw new AiosError("E_CORRUPT", `cluster_mail row ${n} is not a letter`, { details: { path: `cluster_mail.${n}` } });
      out.push({ n, rec: rec.data });
    }
    return out;
  }

  /** Marks rows taken without moving them (duplicates of letters already held). */
  async markTaken(ns: readonly number[]): Promise<void> {
    try {
      await this.pool.query("UPDATE cluster_mail SET taken = true WHERE cluster = $1 AND n = ANY($2::bigint[])", [this.cluster, [...ns]]);
    } catch (e) {
      throw toClusterError(e, "marking cross-node mail taken");
    }
  }
}
