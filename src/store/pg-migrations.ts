/**
 * Versioned schema migrations for the PostgreSQL store, one list per schema (`search_path`).
 * Applied versions are rows of `schema_migrations`; the pending migrations and their rows commit in
 * one transaction (PostgreSQL DDL is transactional), so a crash mid-upgrade leaves the previous
 * version intact. Concurrent
 * openers (cluster nodes booting at once) serialise on a transaction-scoped advisory lock, so a
 * migration runs once. A schema migrated by a newer build (a version above the last one known here)
 * is refused with E_SCHEMA_VERSION rather than opened and misread.
 *
 * These versions count independently of the SQLite store's (migrations.ts): v1 here is already
 * what SQLite reached at v2 (meta values carry checksums from the first write).
 */
import type pg from "pg";
import { AiosError } from "../core/index.js";

export interface PgMigration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
}

export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    description: "journal rows and store metadata",
    sql: `
      CREATE TABLE journal (
        seq  bigint PRIMARY KEY,
        kind text   NOT NULL,
        body text   NOT NULL,
        crc  bigint NOT NULL
      );
      CREATE TABLE meta (
        key   text PRIMARY KEY,
        value text NOT NULL
      );
      -- Journals replaced after an accepted loss (replaceAll): the damaged tables are renamed, never read.
      CREATE TABLE store_asides (
        journal_table text PRIMARY KEY,
        meta_table    text NOT NULL,
        aside         text NOT NULL,
        set_aside_at  timestamptz NOT NULL DEFAULT now()
      );
      -- Bumped by every opener after it takes the store lock (pg-lock.ts): a driver that lost the lock
      -- takes it back only if the epoch is still its own, i.e. nobody opened the store in between.
      CREATE TABLE store_owner (
        id       integer PRIMARY KEY CHECK (id = 1),
        epoch    bigint  NOT NULL,
        holder   text    NOT NULL,
        taken_at timestamptz NOT NULL DEFAULT now()
      );
    `,
  },
];

export const PG_LATEST_SCHEMA = PG_MIGRATIONS.reduce((v, m) => Math.max(v, m.version), 0);

/** Advisory lock key space: hashtext(name) under this class id keeps us clear of other users. */
export const LOCK_CLASS = 0x41494f53; // "AIOS"

/** Creates `schema` if needed and brings it to the latest version; returns the version it is at. */
export async function migratePg(client: pg.ClientBase, schema: string, location: string, migrations: readonly PgMigration[] = PG_MIGRATIONS): Promise<number> {
  const latest = migrations.reduce((v, m) => Math.max(v, m.version), 0);
  await client.query("BEGIN");
  try {
    // One migrator per schema at a time, across processes; released at COMMIT/ROLLBACK.
    await client.query("SELECT pg_advisory_xact_lock($1, hashtext($2))", [LOCK_CLASS, `migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`SET LOCAL search_path TO ${schema}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${schema}.schema_migrations (
      version     integer PRIMARY KEY,
      description text NOT NULL,
      applied_at  timestamptz NOT NULL DEFAULT now()
    )`);
    const r = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${schema}.schema_migrations`);
    const current = r.rows[0]?.v ?? 0;
    if (current > latest) {
      throw new AiosError(
        "E_SCHEMA_VERSION",
        `${location} was written by a newer AIOS (store schema v${current}); this build understands up to v${latest}. Upgrade AIOS, or use another schema.`,
        { details: { found: current, supported: latest, location } },
      );
    }
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (m.version <= current) continue;
      await client.query(m.sql);
      await client.query(`INSERT INTO ${schema}.schema_migrations (version, description) VALUES ($1, $2)`, [m.version, m.description]);
    }
    await client.query("COMMIT");
    return Math.max(current, latest);
  } catch (e) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw e;
  }
}
