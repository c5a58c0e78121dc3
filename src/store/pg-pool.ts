/**
 * The one way AIOS opens PostgreSQL connections (the storage driver, and cluster/ for leases and
 * membership), so every connection gets the same safety settings:
 *
 * - An 'error' handler on the pool AND on every client it creates. node-postgres emits 'error' on
 *   an idle pooled client when the server ends its connection (restart, admin shutdown, network
 *   drop); with no listener Node turns that into an uncaught exception and the process dies
 *   (brianc/node-postgres #1611, #2112). Here the pool drops the broken client and the next query
 *   gets a fresh one or a clear error; `onError` is told for logs and metrics.
 * - `synchronous_commit=on` as a connection startup parameter, whatever the server's default: an
 *   acknowledgement means PostgreSQL flushed the commit to its WAL (DESIGN "Where the state lives").
 * - `search_path` set to the store's schema, so several stores (one per node, one per test) can
 *   share a database without qualifying every statement.
 */
import { createRequire } from "node:module";
import { hostname } from "node:os";
import type pg from "pg";
import { AiosError } from "../core/index.js";

let pgModule: typeof pg | undefined;

/**
 * node-postgres, required on first use: a data directory on SQLite never loads it (about 0.09 CPU-s
 * of a restart, issue #17 item 6). CommonJS, so this stays synchronous.
 */
export function loadPg(): typeof pg {
  return (pgModule ??= createRequire(import.meta.url)("pg") as typeof pg);
}

export interface PgPoolOptions {
  /** A postgres:// URL (libpq style). */
  readonly url: string;
  /** The schema statements resolve names in (created by the caller if needed). Default "aios". */
  readonly schema?: string;
  /** Most open connections (default 4). */
  readonly max?: number;
  /** Shown in pg_stat_activity; defaults to "aios pid=<pid> host=<host>". */
  readonly applicationName?: string;
  /** Told of every connection error the pool absorbed (idle client lost, server restart). */
  readonly onError?: (e: Error) => void;
  /** Milliseconds to wait for a new connection before failing (default 10,000). */
  readonly connectTimeoutMs?: number;
  /**
   * The server ends a session left idle inside a transaction this long (idle_in_transaction_session_
   * timeout): a process stopped mid-transaction (SIGSTOP, a paused VM) then stops holding its row
   * locks. Default: none (PostgreSQL's own setting).
   */
  readonly idleInTransactionMs?: number;
}

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks a schema name (lower-case SQL identifier): it is interpolated into statements. */
export function checkSchemaName(schema: string): string {
  if (!IDENT.test(schema)) {
    throw new AiosError("E_CONFIG", `storage.schema: "${schema}" is not a lower-case SQL identifier ([a-z_][a-z0-9_]*, at most 63 characters)`, {
      details: { field: "storage.schema", value: schema },
    });
  }
  return schema;
}

export function defaultApplicationName(): string {
  return `aios pid=${process.pid} host=${hostname()}`.slice(0, 63);
}

/** The connection settings every AIOS client uses (also for clients made outside a pool). */
export function pgClientConfig(o: PgPoolOptions): pg.ClientConfig {
  const schema = checkSchemaName(o.schema ?? "aios");
  return {
    connectionString: o.url,
    application_name: o.applicationName ?? defaultApplicationName(),
    connectionTimeoutMillis: o.connectTimeoutMs ?? 10_000,
    // Startup parameters: in force from the first statement, on every connection, for its life.
    options: `-c synchronous_commit=on -c search_path=${schema}${o.idleInTransactionMs === undefined ? "" : ` -c idle_in_transaction_session_timeout=${Math.max(1, Math.floor(o.idleInTransactionMs))}`}`,
  };
}

const guarded = new WeakSet<pg.Client | pg.PoolClient>();

/**
 * Attaches our own error listener to a client, once. Not "only if it has none": pg-pool's idle
 * listener is there while the client sits in the pool but is removed while it is checked out, and
 * an error then (the server dying mid-query) would be unhandled.
 */
export function guardClient(client: pg.Client | pg.PoolClient, onError: (e: Error) => void): void {
  if (guarded.has(client)) return;
  guarded.add(client);
  client.on("error", onError);
}

/** A pool with the settings above; never crashes the process on a lost idle connection. */
export function createPgPool(o: PgPoolOptions): pg.Pool {
  const report = o.onError ?? ((): void => undefined);
  const pool = new (loadPg().Pool)({ ...pgClientConfig(o), max: o.max ?? 4, idleTimeoutMillis: 30_000 });
  pool.on("error", (e) => report(e));
  pool.on("connect", (client) => guardClient(client, report));
  return pool;
}

/** A URL with its password removed, for messages and `StorageDriver.location`. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== "") u.password = "";
    return u.toString();
  } catch {
    return "postgres://(unparsable url)";
  }
}
