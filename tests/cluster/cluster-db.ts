/**
 * The shared setup of the cluster test files: a real PostgreSQL server for the file (usePostgres),
 * one fresh database named after `prefix`, a cluster pool on it, and, when asked, a real
 * `nats-server -js` and a temp directory; all of it started in beforeAll and stopped (the directory
 * removed) in afterAll. Read the fields inside tests, not at module load.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { openClusterPool, type ClusterPool } from "../../src/cluster/index.js";
import { usePostgres, type PgServer } from "../helpers/postgres.js";
import { startNats, type NatsServer } from "./nats-server.js";

export interface ClusterDbOptions {
  /** Start a nats-server -js for the file (`nats`). */
  readonly nats?: boolean;
  /** Make a temp directory for the file (`dir`), e.g. for daemons' data directories. */
  readonly dir?: boolean;
}

export interface ClusterDb {
  /** The PostgreSQL server (for fault injection: stop, kill, start). */
  readonly pg: PgServer;
  /** The URL of this file's database. */
  readonly url: string;
  /** A cluster pool on that database, ended after the file. */
  readonly pool: ClusterPool;
  /** The file's nats-server; only with `{ nats: true }`. */
  readonly nats: NatsServer;
  /** The file's temp directory; only with `{ dir: true }`. */
  readonly dir: string;
}

interface State {
  url: string;
  pool: ClusterPool;
  nats?: NatsServer;
  dir?: string;
}

export function useClusterDb(prefix: string, options: ClusterDbOptions = {}): ClusterDb {
  const pgServer = usePostgres();
  let state: State | undefined;
  const get = (): State => {
    if (state === undefined) throw new Error("useClusterDb: read the fixture inside a test, after beforeAll");
    return state;
  };
  beforeAll(async () => {
    const [url, nats] = await Promise.all([pgServer().createDatabase(prefix), options.nats === true ? startNats() : undefined]);
    state = { url, pool: openClusterPool({ url }) };
    if (nats !== undefined) state.nats = nats;
    if (options.dir === true) state.dir = mkdtempSync(join(tmpdir(), `aios-${prefix}-`));
  }, 30_000);
  afterAll(async () => {
    const s = state;
    state = undefined;
    if (s === undefined) return;
    await s.pool.end();
    await s.nats?.stop();
    if (s.dir !== undefined) rmSync(s.dir, { recursive: true, force: true });
  }, 30_000);
  return {
    get pg() {
      return pgServer();
    },
    get url() {
      return get().url;
    },
    get pool() {
      return get().pool;
    },
    get nats() {
      const n = get().nats;
      if (n === undefined) throw new Error("useClusterDb: no nats-server (pass { nats: true })");
      return n;
    },
    get dir() {
      const d = get().dir;
      if (d === undefined) throw new Error("useClusterDb: no temp directory (pass { dir: true })");
      return d;
    },
  };
}
