/**
 * The narrow SQL seam the cluster layer needs from PostgreSQL: a pool that runs a query and lends a
 * connection for a transaction. `pg-pool.ts` adapts node-postgres to it; everything else in
 * cluster/ sees only this, so rows are parsed (never cast) by the helpers below.
 */
import { AiosError } from "../core/index.js";
import { toClusterError } from "./errors.js";

export type Row = Readonly<Record<string, unknown>>;

export interface SqlResult {
  readonly rows: readonly Row[];
  readonly rowCount: number;
}

export interface SqlClient {
  query(text: string, params?: readonly unknown[]): Promise<SqlResult>;
}

export interface SqlConn extends SqlClient {
  /** Give the connection back; `broken` destroys it instead (after an error mid-transaction). */
  release(broken?: boolean): void;
}

export interface SqlPool extends SqlClient {
  connect(): Promise<SqlConn>;
  end(): Promise<void>;
}

/** Runs `fn` in one READ COMMITTED transaction; commits when it resolves, rolls back when it throws. */
export async function inTransaction<T>(pool: SqlPool, fn: (c: SqlClient) => Promise<T>): Promise<T> {
  const conn = await pool.connect();
  let broken = false;
  try {
    await conn.query("BEGIN");
    const out = await fn(conn);
    await conn.query("COMMIT");
    return out;
  } catch (e) {
    try {
      await conn.query("ROLLBACK");
    } catch {
      broken = true; // the connection itself failed: do not hand it to the next caller
    }
    throw e;
  } finally {
    conn.release(broken);
  }
}

/**
 * Runs one statement on `c`; a failure becomes the cluster's error (errors.ts: fenced, unreachable or
 * storage) whose message starts with `what` failed and whose details carry `details`.
 */
export async function query(c: SqlClient, sql: string, params: readonly unknown[], what: string, details: Readonly<Record<string, unknown>> = {}): Promise<SqlResult> {
  try {
    return await c.query(sql, params);
  } catch (e) {
    throw toClusterError(e, what, details);
  }
}

/** Runs `fn` (several statements, a transaction) and maps what it throws as query() does. */
export async function naming<T>(what: string, details: Readonly<Record<string, unknown>>, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toClusterError(e, what, details);
  }
}

/** A text column of a row, or an E_INTERNAL naming it. */
export function text(row: Row, col: string): string {
  const v = row[col];
  if (typeof v === "string") return v;
  throw new AiosError("E_INTERNAL", `column ${col} is not text`, { details: { path: col, value: String(v) } });
}

export function textOrNull(row: Row, col: string): string | null {
  const v = row[col];
  if (v === null || v === undefined) return null;
  return text(row, col);
}

/** An integer column (pg returns int8 as a string; every value here stays below 2^53). */
export function int(row: Row, col: string): number {
  const v = row[col];
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : NaN;
  if (Number.isSafeInteger(n)) return n;
  throw new AiosError("E_INTERNAL", `column ${col} is not an integer`, { details: { path: col, value: String(v) } });
}
