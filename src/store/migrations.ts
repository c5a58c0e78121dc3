/**
 * Versioned schema migrations for the SQLite store. The version lives in `PRAGMA user_version`
 * (in the database header, so it is read before any table). Migrations only ever append to this
 * list; each runs in its own transaction, so a crash mid-upgrade leaves the previous version intact.
 * A database written by a newer build (user_version above the last migration) is refused with
 * E_SCHEMA_VERSION rather than opened and misread.
 */
import type Database from "better-sqlite3";
import { AiosError } from "../core/index.js";

export interface Migration {
  readonly version: number;
  readonly description: string;
  readonly sql: string;
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
    db.transaction(() => {
      db.exec(m.sql);
      // PRAGMA cannot take a bound parameter; the version is our own integer.
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return Math.max(current, latest);
}
