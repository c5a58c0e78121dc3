/**
 * node-postgres behind the SqlPool seam. Two things this file guarantees:
 * - an error on an idle pooled client, or on a checked-out client between queries, never crashes
 *   the process (node-postgres emits 'error' with no listener otherwise: brianc/node-postgres #1611,
 *   #2112); it goes to `onError` and the broken client is dropped by the pool;
 * - every connection runs with synchronous_commit = on, whatever the server's default: a resolved
 *   write is a commit on disk, the cluster's acknowledgement boundary (docs/adr/0028);
 * - a refused statement (the fence, a unique key) keeps its connection (see query() below).
 */
import pg from "pg";
import { AiosError } from "../core/index.js";
import type { Row, SqlConn, SqlPool, SqlResult } from "./sql.js";

export interface PgPoolOptions {
  /** Connections kept at most (default 4: heartbeats, takeovers and journal appends). */
  readonly max?: number;
  /** Called with errors of idle or between-query clients (the pool drops those clients). */
  readonly onError?: (e: Error) => void;
}

/** Checks a `--postgres` URL early, naming the field, instead of failing at the first query. */
export function parsePostgresUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch (e) {
    throw new AiosError("E_CONFIG", `--postgres is not a URL: ${url}`, { cause: e, details: { path: "postgres" } });
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") {
    throw new AiosError("E_CONFIG", `--postgres must be a postgres:// or postgresql:// URL, got ${u.protocol}`, { details: { path: "postgres" } });
  }
  return u;
}

/** The URL without its password, for logs and `aios nodes`. */
export function redactPostgresUrl(url: string): string {
  const u = parsePostgresUrl(url);
  if (u.password !== "") u.password = "***";
  return u.toString();
}

interface PgResult {
  readonly rows: unknown[];
  readonly rowCount: number | null;
}

/** A multi-statement text (the migrations) answers one result per statement: keep the last. */
function result(r: PgResult | PgResult[]): SqlResult {
  const last = Array.isArray(r) ? r.at(-1) : r;
  const rows: Row[] = [];
  for (const x of last?.rows ?? []) if (typeof x === "object" && x !== null) rows.push(x as Row);
  return { rows, rowCount: last?.rowCount ?? 0 };
}

export function createPgPool(url: string, o: PgPoolOptions = {}): SqlPool {
  parsePostgresUrl(url);
  const onError = o.onError ?? ((): void => undefined);
  const pool = new pg.Pool({ connectionString: url, max: o.max ?? 4, options: "-c synchronous_commit=on" });
  pool.on("error", (e) => onError(e));
  pool.on("connect", (client) => {
    client.on("error", (e) => onError(e));
  });
  return {
    // Not pool.query(): it destroys the connection after *any* error, so every fenced refusal would
    // cost a new backend (~50 ms here). A server-side error (DatabaseError) leaves the connection
    // sound; only a connection-level failure drops it.
    async query(text, params) {
      const client = await pool.connect();
      try {
        const r = result(await client.query(text, params === undefined ? undefined : [...params]));
        client.release();
        return r;
      } catch (e) {
        client.release(!(e instanceof pg.DatabaseError));
        throw e;
      }
    },
    async connect(): Promise<SqlConn> {
      const client = await pool.connect();
      return {
        async query(text, params) {
          return result(await client.query(text, params === undefined ? undefined : [...params]));
        },
        release(broken) {
          client.release(broken === true);
        },
      };
    },
    end: () => pool.end(),
  };
}
