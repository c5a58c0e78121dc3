/**
 * PostgreSQL behind the SqlPool seam, opened the one way AIOS opens it (store's createPgPool: an
 * error listener on the pool and every client, so a lost idle connection never crashes the process —
 * brianc/node-postgres #1611, #2112; synchronous_commit=on on every connection, so a resolved write is
 * a commit on disk, the cluster's acknowledgement boundary). The cluster's tables live in their own
 * schema (default `aios_cluster`), shared by every node of every cluster in the database; the schema
 * is created by migrateCluster().
 *
 * A refused statement (the fence, a unique key) keeps its connection: see query() below.
 */
import pg from "pg";
import { AiosError } from "../core/index.js";
import { checkSchemaName, createPgPool } from "../store/index.js";
import type { Row, SqlConn, SqlPool, SqlResult } from "./sql.js";

export const CLUSTER_PG_SCHEMA = "aios_cluster";

export interface ClusterPoolOptions {
  readonly url: string;
  /** Schema of the cluster tables (default aios_cluster). */
  readonly schema?: string;
  /** Connections kept at most (default 4: heartbeats, takeovers and journal appends). */
  readonly max?: number;
  /** Told of errors of idle or between-query clients (the pool drops those clients). */
  readonly onError?: (e: Error) => void;
  /** The server ends this node's sessions left idle inside a transaction this long (see createPgPool). */
  readonly idleInTransactionMs?: number;
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

export interface ClusterPool extends SqlPool {
  /** The schema holding the cluster tables (search_path of every connection). */
  readonly schema: string;
}

export function openClusterPool(o: ClusterPoolOptions): ClusterPool {
  parsePostgresUrl(o.url);
  const schema = checkSchemaName(o.schema ?? CLUSTER_PG_SCHEMA);
  const pool = createPgPool({
    url: o.url, schema, max: o.max ?? 4,
    ...(o.onError === undefined ? {} : { onError: o.onError }),
    ...(o.idleInTransactionMs === undefined ? {} : { idleInTransactionMs: o.idleInTransactionMs }),
  });
  return {
    schema,
    // Not pool.query(): it destroys the connection after *any* error, so every fenced refusal would
    // cost a new backend (measured ~90 ms against ~3 ms here). A server-side error (DatabaseError)
    // leaves the connection sound; only a connection-level failure drops it.
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
