/**
 * Schema of the versions table and the migrations of the memory store's SQLite file, tracked by
 * `PRAGMA user_version` (0 = a fresh file or a version-1 file written before versions existed
 * as numbered schemas). Invariant: a migration runs in one transaction, so a crash mid-migration
 * leaves the old schema intact and the next open retries it; data is copied, never re-derived, so
 * every version keeps its hash.
 */
import type Database from "better-sqlite3";
import { AiosError } from "../core/index.js";

export const SCHEMA_VERSION = 2;

/**
 * Versions keyed by a compact integer rowid (appends) and found by `hkey`, a 52-bit prefix of the
 * hash (an integer index whose entries are a fifth of a 64-char text key's) plus the hash itself to
 * rule out prefix collisions, and by `rec` (the record's rowid) for history.
 */
export const VERSIONS_TABLE = `
CREATE TABLE IF NOT EXISTS mem_versions (vid INTEGER PRIMARY KEY, hkey INTEGER NOT NULL, hash TEXT NOT NULL, rec INTEGER NOT NULL,
  record_id TEXT NOT NULL, parents TEXT NOT NULL, type TEXT NOT NULL, content TEXT NOT NULL, tags TEXT NOT NULL, agent TEXT NOT NULL,
  ts INTEGER NOT NULL, op TEXT NOT NULL, deleted INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS mem_versions_hkey ON mem_versions(hkey);
CREATE INDEX IF NOT EXISTS mem_versions_rec ON mem_versions(rec);
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
 * had `mem_versions(hash TEXT PRIMARY KEY, record_id, ...)` with an index on (record_id, ts).
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
    }
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}
