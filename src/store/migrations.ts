/**
 * Versioned schema migrations for the SQLite store. The version lives in `PRAGMA user_version`
 * (in the database header, so it is read before any table). Migrations only ever append to this
 * list; each runs in its own transaction, so a crash mid-upgrade leaves the previous version intact.
 * A database written by a newer build (user_version above the last migration) is refused with
 * E_SCHEMA_VERSION rather than opened and misread.
 */
import type Database from "better-sqlite3";
import { AiosError } from "../core/index.js";
import { encodeMeta } from "./meta.js";

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
  /** A step SQL cannot express, run after `sql` in the same transaction. */
  readonly run?: (db: Database.Database) => void;
  /**
   * A step that cannot run inside a transaction (VACUUM), run before the transaction that records
   * the version; it must be idempotent, since a crash before that commit runs it again.
   */
  readonly before?: (db: Database.Database) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "journal rows and store metadata",
    sql: `
      CREATE TABLE journal (
        seq  INTEGER PRIMARY KEY,
        kind TEXT    NOT NULL,
        body TEXT    NOT NULL,
        crc  INTEGER NOT NULL
      );
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description: "meta values carry checksums (meta.ts)",
    sql: "",
    run: (db) => {
      const rows = db.prepare<[], { key: string; value: string }>("SELECT key, value FROM meta").all();
      const set = db.prepare("UPDATE meta SET value = ? WHERE key = ?");
      for (const r of rows) set.run(encodeMeta(r.key, r.value), r.key);
    },
  },
  {
    version: 3,
    description: "incremental auto-vacuum, so pages freed by compaction return to the file system",
    sql: "",
    // auto_vacuum changes on an existing file only through a VACUUM, which rewrites the file once.
    before: (db) => {
      if (Number(db.pragma("auto_vacuum", { simple: true })) === 2) return;
      db.pragma("auto_vacuum = INCREMENTAL");
      db.exec("VACUUM");
    },
  },
];

export const LATEST_SCHEMA = MIGRATIONS.reduce((v, m) => Math.max(v, m.version), 0);

/** Brings `db` to LATEST_SCHEMA; returns the version it is at. */
export function migrate(db: Database.Database, location: string, migrations: readonly Migration[] = MIGRATIONS): number {
  const latest = migrations.reduce((v, m) => Math.max(v, m.version), 0);
  const current = Number(db.pragma("user_version", { simple: true }));
  if (current > latest) {
    throw new AiosError(
      "E_SCHEMA_VERSION",
      `${location} was written by a newer AIOS (store schema v${current}); this build understands up to v${latest}. Upgrade AIOS, or use another data directory.`,
      { details: { found: current, supported: latest, location } },
    );
  }
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= current) continue;
    m.before?.(db);
    db.transaction(() => {
      if (m.sql.length > 0) db.exec(m.sql);
      m.run?.(db);
      // PRAGMA cannot take a bound parameter; the version is our own integer.
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return Math.max(current, latest);
}
