/**
 * Cross-node mail in PostgreSQL (docs/adr/0036, 0038). A letter for an agent held by another node is
 * stored in cluster_mail — that commit (synchronous_commit = on) is the sender's acknowledgement,
 * never a NATS ack — and the owner is woken over NATS to move it into the agent's fenced journal.
 * A lost wake-up costs one heartbeat (owners pull at every beat); a lost owner costs nothing (the
 * next owner pulls at adoption).
 *
 * Every row is sealed by the node that stored it (seal.ts: HMAC under the cluster secret over the row,
 * its origin and the public keys it vouches for); `waiting` reports a row whose seal does not verify,
 * or that does not parse, as forged instead of handing it on, and `refuse` marks a refused row taken
 * with its reason, so it is never moved and never read again.
 *
 * De-duplication: every row has a key unique per recipient — the envelope's id when the sender gave
 * one (ipc/'s at-least-once retries), the replayable send's `from/cause/nth` (ADR 0016: a sender that
 * handles a letter again after a takeover sends the same copy), else the message id. A second copy is
 * not stored (ON CONFLICT DO NOTHING) and the sender is told it was accepted, as for a duplicate.
 *
 * The directory (cluster_agents, written with each spawn record) says which agents exist: a letter
 * for an agent no node ever spawned is E_NO_AGENT, as on one node.
 */
import { z } from "zod";
import { AiosError } from "../core/index.js";
import type { StoredMessage, VouchedKey } from "../abi/index.js";
import { JournalRecordSchema, enqueueRecord, serialise, type EnqueueRecord } from "../store/index.js";
import type { MailSeal } from "./seal.js";
import { int, query, text, textOrNull, type SqlPool } from "./sql.js";

const KeysSchema = z.array(z.object({ id: z.string().min(1).max(128), owner: z.string().min(1).max(256), alg: z.enum(["ed25519", "hybrid"]), ed: z.string().min(1).max(4096), pq: z.string().min(1).max(8192).optional() }).strict()).max(8);

/** A row waiting for its recipient: a sealed letter, or why it cannot be one (`forged`). */
export type WaitingLetter =
  | { readonly n: number; readonly agent: string; readonly origin: string | null; readonly rec: EnqueueRecord; readonly keys: readonly VouchedKey[]; readonly forged?: undefined }
  | { readonly n: number; readonly agent: string; readonly origin: string | null; readonly rec?: undefined; readonly forged: string };

/** The row's de-duplication key (see the header). */
export function dedupKey(m: { readonly id: string; readonly from?: string | undefined; readonly key?: string | undefined; readonly cause?: string | undefined; readonly nth?: number | undefined }): string {
  if (m.key !== undefined) return `k:${m.key}`;
  if (m.cause !== undefined && m.nth !== undefined && m.from !== undefined) return `s:${m.from}/${m.cause}/${m.nth}`;
  return `m:${m.id}`;
}

function parseJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

export class Mailroom {
  constructor(
    private readonly pool: SqlPool,
    readonly cluster: string,
    /** This node's name: the origin of the rows it stores (and the reply route of its requests). */
    readonly node: string,
    private readonly seal: MailSeal,
    /** The node's clock: when a row was stored (`at`, the compaction's horizon). */
    private readonly now: () => number = Date.now,
    /** Open rows one recipient may have before a new letter is refused E_MAILBOX_FULL (ADR 0046). */
    readonly limit = 1_024,
  ) {}

  /**
   * Stores `m` for its recipient (once per de-duplication key), sealed with the keys this node vouches
   * for; resolves with the node holding the recipient's tree now (null when none does). E_NO_AGENT
   * when no node ever spawned that agent.
   */
  async post(m: StoredMessage, vouched: readonly VouchedKey[] = []): Promise<string | null> {
    const body = serialise(enqueueRecord(m));
    const dedup = dedupKey(m);
    const keys = JSON.stringify(vouched);
    const mac = this.seal.seal({ cluster: this.cluster, agent: m.to, dedup, origin: this.node, body, keys });
    const r = await query(
      this.pool,
      `WITH t AS (SELECT a.tree, l.owner FROM cluster_agents a LEFT JOIN cluster_leases l ON l.cluster = a.cluster AND l.agent = a.tree WHERE a.cluster = $1 AND a.agent = $2),
         o AS (SELECT count(*) AS open FROM cluster_mail WHERE cluster = $1 AND agent = $2 AND NOT taken),
         ins AS (INSERT INTO cluster_mail (cluster, agent, dedup, body, origin, keys, mac, at) SELECT $1, $2, $3, $4, $5, $6, $7, $8
                 WHERE EXISTS (SELECT 1 FROM t) AND (SELECT open FROM o) < $9 ON CONFLICT (cluster, agent, dedup) DO NOTHING RETURNING n)
       SELECT EXISTS (SELECT 1 FROM t) AS known, (SELECT owner FROM t) AS owner, (SELECT open FROM o) AS open,
              EXISTS (SELECT 1 FROM ins) OR EXISTS (SELECT 1 FROM cluster_mail WHERE cluster = $1 AND agent = $2 AND dedup = $3) AS stored`,
      [this.cluster, m.to, dedup, body, this.node, keys, mac, this.now(), this.limit],
      `storing a message for ${m.to}`,
      { agent: m.to },
    );
    const row = r.rows[0];
    if (row?.["known"] !== true) throw new AiosError("E_NO_AGENT", `no agent ${m.to} in cluster ${this.cluster}`, { details: { agent: m.to } });
    // Backpressure across nodes (ADR 0046): bounded by the rows still waiting, so a recipient that does
    // not keep up (its owner moves only what its mailbox has room for) pushes back on every sender.
    if (row["stored"] !== true) {
      const open = int(row, "open");
      throw new AiosError("E_MAILBOX_FULL", `the mailbox of ${m.to} is full: ${open} letters already wait for it in cluster_mail (limit ${this.limit}); retry later`, {
        retryable: true,
        details: { agent: m.to, waiting: open, limit: this.limit },
      });
    }
    return textOrNull(row, "owner");
  }

  /** Rows not yet taken for any of `agents`, oldest first; those whose seal fails come back `forged`. */
  async waiting(agents: readonly string[], limit = 1_000): Promise<WaitingLetter[]> {
    const r = await query(
      this.pool,
      "SELECT n, agent, dedup, body, origin, keys, mac FROM cluster_mail WHERE cluster = $1 AND NOT taken AND agent = ANY($2::text[]) ORDER BY n LIMIT $3",
      [this.cluster, [...agents], limit],
      "reading waiting cross-node mail",
    );
    return r.rows.map((row): WaitingLetter => {
      const n = int(row, "n");
      const agent = text(row, "agent");
      const origin = textOrNull(row, "origin");
      const body = text(row, "body");
      const keysText = text(row, "keys");
      const dedup = text(row, "dedup");
      const base = { n, agent, origin };
      if (origin === null || !this.seal.verify({ cluster: this.cluster, agent, dedup, origin, body, keys: keysText }, textOrNull(row, "mac"))) {
        return { ...base, forged: textOrNull(row, "mac") === null ? "the row carries no seal" : "its seal does not verify under this cluster's secret" };
      }
      // Sealed by a node of the cluster: a row that still does not parse is a defect there, refused all the same.
      const rec = JournalRecordSchema.safeParse(parseJson(body));
      if (!rec.success || rec.data.t !== "enqueue") return { ...base, forged: `cluster_mail row ${n} is not a letter` };
      if (rec.data.to !== agent || dedup !== dedupKey(rec.data)) return { ...base, forged: `cluster_mail row ${n} is stored for ${agent} under ${dedup}, not as the letter it holds` };
      const keys = KeysSchema.safeParse(parseJson(keysText));
      if (!keys.success) return { ...base, forged: `cluster_mail row ${n}: vouched keys do not parse` };
      return { ...base, rec: rec.data, keys: keys.data.map((k) => (k.pq === undefined ? { id: k.id, owner: k.owner, alg: k.alg, ed: k.ed } : { id: k.id, owner: k.owner, alg: k.alg, ed: k.ed, pq: k.pq })) };
    });
  }

  /** Marks rows taken without moving them (duplicates of letters already held). */
  async markTaken(ns: readonly number[]): Promise<void> {
    await query(this.pool, "UPDATE cluster_mail SET taken = true WHERE cluster = $1 AND n = ANY($2::bigint[])", [this.cluster, [...ns]], "marking cross-node mail taken");
  }

  /**
   * Compaction (docs/adr/0045): taken rows (moved into a journal, duplicates, refused) lose their body,
   * vouched keys and seal but keep their de-duplication key (and a refusal its reason), so a copy
   * stored again is still dropped; rows taken and stored before `keepKeysFrom` go altogether (after
   * that the recipient's windows remain: its seen keys and received sends, kept by its snapshot).
   * Untaken rows are never touched. Any node may run it; it needs no lease.
   */
  async compact(keepKeysFrom: number): Promise<{ readonly stripped: number; readonly deleted: number }> {
    const r = await query(
      this.pool,
      // Two disjoint sets of rows (at >= / < the horizon): one statement may not touch a row twice.
      `WITH s AS (UPDATE cluster_mail SET body = '', keys = '[]', mac = NULL WHERE cluster = $1 AND taken AND body <> '' AND at >= $2 RETURNING 1),
         d AS (DELETE FROM cluster_mail WHERE cluster = $1 AND taken AND at < $2 RETURNING 1)
       SELECT (SELECT count(*) FROM s) AS stripped, (SELECT count(*) FROM d) AS deleted`,
      [this.cluster, keepKeysFrom],
      "compacting cross-node mail",
    );
    const row = r.rows[0];
    return { stripped: row === undefined ? 0 : int(row, "stripped"), deleted: row === undefined ? 0 : int(row, "deleted") };
  }

  /** Marks a refused row taken with its reason: never moved, never read again, the reason kept. */
  async refuse(n: number, reason: string): Promise<void> {
    await query(this.pool, "UPDATE cluster_mail SET taken = true, refused = $3 WHERE cluster = $1 AND n = $2", [this.cluster, n, reason], `refusing cross-node letter ${n}`);
  }
}
