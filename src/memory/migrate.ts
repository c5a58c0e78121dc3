/**
 * The schema of the memory store's SQLite file and its migrations, tracked by
 * `PRAGMA user_version` (0 = a fresh file or a version-1 file written before versions existed
 * as numbered schemas). Invariant: a migration runs in one transaction, so a crash mid-migration
 * leaves the old schema intact and the next open retries it; data is copied, never re-derived, so
 * every version keeps its hash.
 */
import type Database from "better-sqlite3";
import { AiosError } from "../core/index.js";

export const SCHEMA_VERSION = 3;

/**
 * Versions keyed by a compact integer rowid (appends) and found through their record: one index on
 * (rec, hkey) — `rec` the record's rowid, `hkey` a 52-bit prefix of the hash (the hash itself is
 * compared too, ruling out prefix collisions) — serves both a version lookup and a record's history.
 * Schema 2 had a separate index on hkey alone; its entries land at random places, so every batch of
 * new versions dirtied nearly every page of it (each rewritten to the WAL at commit), a cost growing
 * with the store. New records' rowids only grow, so new (rec, hkey) entries append at the index's end.
 */
export const VERSIONS_INDEX = `CREATE INDEX IF NOT EXISTS mem_versions_rec_hkey ON mem_versions(rec, hkey);`;
export const VERSIONS_TABLE = `
CREATE TABLE IF NOT EXISTS mem_versions (vid INTEGER PRIMARY KEY, hkey INTEGER NOT NULL, hash TEXT NOT NULL, rec INTEGER NOT NULL,
  record_id TEXT NOT NULL, parents TEXT NOT NULL, type TEXT NOT NULL, content TEXT NOT NULL, tags TEXT NOT NULL, agent TEXT NOT NULL,
  ts INTEGER NOT NULL, op TEXT NOT NULL, deleted INTEGER NOT NULL);
${VERSIONS_INDEX}
`;

/** The index key of a version hash (64 hex chars): its first 13 hex digits, a safe integer. */
export function hashKey(hash: string): number {
  return parseInt(hash.slice(0, 13), 16);
}

function columns(db: Database.Database, table: string): string[] {
  return (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[]).map((r) => r.name);
}

/**
 * Brings `db` to SCHEMA_VERSION before the current schema's CREATE IF NOT EXISTS runs. Version 1
 * had `mem_versions(hash TEXT PRIMARY KEY, record_id, ...)` with an index on (record_id, ts);
 * version 2 the current table with indexes on hkey and on rec (replaced by one on (rec, hkey)).
 */
export function migrate(db: Database.Database): void {
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version > SCHEMA_VERSION) {
    throw new AiosError("E_STORAGE", `memory store schema ${version} is newer than this build's ${SCHEMA_VERSION}; upgrade AIOS`);
  }
  if (version === SCHEMA_VERSION) return;
  const old = columns(db, "mem_versions");
  db.transaction(() => {
    if (old.length > 0 && !old.includes("vid")) {
      db.function("aios_hkey", { deterministic: true }, (h: unknown) => (typeof h === "string" ? hashKey(h) : 0));
      db.exec(`DROP INDEX IF EXISTS mem_versions_record; ALTER TABLE mem_versions RENAME TO mem_versions_v1;`);
      db.exec(VERSIONS_TABLE);
      // Old rows in their original order (ts, then insertion), so history order is unchanged.
      db.exec(`INSERT INTO mem_versions (hkey, hash, rec, record_id, parents, type, content, tags, agent, ts, op, deleted)
        SELECT aios_hkey(v.hash), v.hash, COALESCE(r.rowid, 0), v.record_id, v.parents, v.type, v.content, v.tags, v.agent, v.ts, v.op, v.deleted
        FROM mem_versions_v1 v LEFT JOIN mem_records r ON r.id = v.record_id ORDER BY v.ts, v.rowid;
        DROP TABLE mem_versions_v1;`);
    } else if (old.length > 0) {
      db.exec(`DROP INDEX IF EXISTS mem_versions_hkey; DROP INDEX IF EXISTS mem_versions_rec; ${VERSIONS_INDEX}`);
    }
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

/** The whole schema, created when absent (after migrate brought an older file up to date). */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS mem_records (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, tenant TEXT NOT NULL, scope TEXT NOT NULL,
  namespace TEXT NOT NULL, owner TEXT NOT NULL, type TEXT NOT NULL, tags TEXT NOT NULL, heads TEXT NOT NULL, created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL, expires_at INTEGER, deleted INTEGER NOT NULL, bytes INTEGER NOT NULL);
${VERSIONS_TABLE}
CREATE TABLE IF NOT EXISTS mem_vectors (rowid INTEGER PRIMARY KEY, vec BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS mem_edges (src INTEGER NOT NULL, dst INTEGER NOT NULL, type TEXT NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (src, dst, type)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS mem_grants (tenant TEXT NOT NULL, namespace TEXT NOT NULL, agent TEXT NOT NULL, access TEXT NOT NULL, PRIMARY KEY (tenant, namespace, agent));
CREATE TABLE IF NOT EXISTS mem_vtags (record_id TEXT NOT NULL, label TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (record_id, label));
CREATE TABLE IF NOT EXISTS mem_reserved (agent TEXT PRIMARY KEY, bytes INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS mem_snapshots (id TEXT PRIMARY KEY, tenant TEXT NOT NULL, scope TEXT NOT NULL, namespace TEXT NOT NULL, ts INTEGER NOT NULL, label TEXT, entries TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mem_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS mem_fts USING fts5(text, content='', contentless_delete=1, tokenize='porter unicode61 remove_diacritics 2');
`;
