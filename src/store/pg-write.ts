/**
 * The PostgreSQL driver's write path: one statement per batch, and what to do when its outcome is
 * unknown.
 *
 * One statement: the rows (unnest of four arrays), the compaction delete and the meta upserts are
 * data-modifying CTEs of a single INSERT, so a batch of any size is one round trip and one implicit
 * transaction — all of it commits or none. With synchronous_commit=on (pg-pool.ts) the statement
 * returns only after its commit record is flushed to PostgreSQL's WAL.
 *
 * Unknown outcome: when the connection fails while the statement is out (no SQLSTATE came back), it
 * may have committed. Answering "failed" for a batch that committed would let the journal reuse its
 * seqs, so the driver decides by reading back — but only after the backend that ran it is gone
 * (pg_terminate_backend(pid, timeout) waits for that), since a backend that has not yet noticed the
 * lost client can still commit. The last row of the batch (or, for a meta-only batch, its meta
 * values) present and identical means committed; absent means not.
 */
import type pg from "pg";
import type { JournalRow, WriteBatch } from "./driver.js";

export const WRITE_SQL = `
  WITH del AS (DELETE FROM journal WHERE $5::bigint IS NOT NULL AND seq < $5::bigint),
       rows AS (INSERT INTO journal (seq, kind, body, crc)
                SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[])),
       m AS (INSERT INTO meta (key, value) SELECT * FROM unnest($6::text[], $7::text[])
             ON CONFLICT (key) DO UPDATE SET value = excluded.value)
  SELECT 1`;

/** The bound values of WRITE_SQL for `batch`. */
export function writeParams(batch: WriteBatch): unknown[] {
  const rows = batch.append ?? [];
  const n = rows.length;
  const seqs = new Array<number>(n);
  const kinds = new Array<string>(n);
  const bodies = new Array<string>(n);
  const crcs = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i] as JournalRow;
    seqs[i] = r.seq;
    kinds[i] = r.kind;
    bodies[i] = r.body;
    crcs[i] = r.crc;
  }
  const meta = Object.entries(batch.meta ?? {});
  return [seqs, kinds, bodies, crcs, batch.deleteBelow ?? null, meta.map(([k]) => k), meta.map(([, v]) => v)];
}

/** Waits until backend `pid` has ended (terminating it), so its transaction's outcome is final. */
export async function settleBackend(pool: pg.Pool, pid: number): Promise<void> {
  // pg_terminate_backend(pid, timeout) returns once the backend exited (PostgreSQL >= 14); false
  // (with a warning) if it is already gone, which is just as final.
  await pool.query("SELECT pg_terminate_backend($1, 10000)", [pid]);
  const alive = await pool.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1", [pid]);
  if ((alive.rowCount ?? 0) > 0) throw new Error(`backend ${pid} is still running after 10 s`);
}

/** Whether `batch` is in the store, read after its backend settled. */
export async function batchCommitted(pool: pg.Pool, batch: WriteBatch): Promise<boolean> {
  const last = batch.append?.at(-1);
  if (last !== undefined) {
    const r = await pool.query<{ kind: string; body: string; crc: string }>("SELECT kind, body, crc FROM journal WHERE seq = $1", [last.seq]);
    const row = r.rows[0];
    return row !== undefined && row.kind === last.kind && row.body === last.body && Number(row.crc) === last.crc;
  }
  const meta = Object.entries(batch.meta ?? {});
  if (meta.length > 0) {
    const r = await pool.query<{ key: string; value: string }>("SELECT key, value FROM meta WHERE key = ANY($1::text[])", [meta.map(([k]) => k)]);
    const found = new Map(r.rows.map((x) => [x.key, x.value]));
    return meta.every(([k, v]) => found.get(k) === v);
  }
  if (batch.deleteBelow !== undefined) {
    const r = await pool.query("SELECT 1 FROM journal WHERE seq < $1 LIMIT 1", [batch.deleteBelow]);
    return (r.rowCount ?? 0) === 0;
  }
  return true; // an empty batch changes nothing either way
}
