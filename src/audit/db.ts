/**
 * Where the audit log lives in the data dir and its SQLite schema. The log has its own database
 * file (audit.db) so its WAL and locks never contend with the kernel journal's group commit.
 *
 *   audit_entries(seq PK, ts, kind, agent, body, hash)  one row per entry; body is the canonical
 *                                                       JSON that is hashed, hash is chain_seq
 *   audit_checkpoints(size PK, line)                    the signed checkpoints, as written to the file
 *   audit_meta(key PK, value)                           schema version, checkpoint interval, the
 *                                                       Merkle accumulator (so reopening is O(1))
 *
 * No index on agent: it halved append throughput (random B-tree inserts, ~2 us of ~4 us per row),
 * and the hot paths are append and the sequential verify scan; a per-agent query scans instead.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { AiosError, ownerOnlyDatabase } from "../core/index.js";
import { auditStoreError } from "./store-errors.js";

export const SCHEMA_VERSION = 1;

export interface AuditPaths {
  readonly db: string;
  readonly checkpoints: string;
  /** SPKI PEM of the signing key, pinned when the log is created. */
  readonly publicKey: string;
}

export function auditPaths(dataDir: string): AuditPaths {
  return { db: join(dataDir, "audit.db"), checkpoints: join(dataDir, "audit.checkpoints"), publicKey: join(dataDir, "audit.pub") };
}

export type Db = Database.Database;
export type Stmt = Database.Statement;

export function openWriterDb(path: string): Db {
  let db: Db;
  try {
    // A short busy timeout: the only other writer would be a bug (see AuditLog), and flush runs on
    // the kernel's thread, so waiting 5 s (the driver's default) for a lock is worse than retrying.
    ownerOnlyDatabase(path);
    db = new Database(path, { timeout: 100 });
    db.pragma("journal_mode = WAL");
    // NORMAL between checkpoints: a batch commit writes the WAL without an fsync (it survives a
    // killed process, not a power loss). The writer switches to FULL for every commit that carries a
    // checkpoint (AuditLog.durably), and that fsync of the WAL makes every earlier batch durable too,
    // so the fsynced checkpoint file never names entries the database could lose.
    db.pragma("synchronous = NORMAL");
    db.exec(SCHEMA_SQL);
  } catch (e) {
    throw auditStoreError(e, path, "opening the audit database");
  }
  let v: string | undefined;
  try {
    v = getMeta(db, "schema");
    if (v === undefined) setMeta(db, "schema", String(SCHEMA_VERSION));
  } catch (e) {
    db.close();
    throw auditStoreError(e, path, "reading the audit schema version");
  }
  if (v !== undefined && Number(v) > SCHEMA_VERSION) {
    db.close();
    throw new AiosError("E_SCHEMA_VERSION", `audit database schema ${v} is newer than this build's ${SCHEMA_VERSION}`);
  }
  return db;
}

const TABLES = ["audit_meta", "audit_entries", "audit_checkpoints"] as const;
const SCHEMA_SQL = `
  CREATE TABLE IF NOT EXISTS audit_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
  CREATE TABLE IF NOT EXISTS audit_entries (
    seq INTEGER PRIMARY KEY, ts INTEGER NOT NULL, kind TEXT NOT NULL, agent TEXT,
    body TEXT NOT NULL, hash BLOB NOT NULL) STRICT;
  CREATE TABLE IF NOT EXISTS audit_checkpoints (size INTEGER PRIMARY KEY, line TEXT NOT NULL) STRICT;
`;

/**
 * The database as the verifier sees it. A deleted database file or dropped tables are tampering
 * too, not "nothing to check": they read as an empty log (so the checkpoint file names what was
 * lost) plus a note saying which. Only when there is no checkpoint file either is there nothing to
 * verify (E_NOT_FOUND).
 */
export function openForVerify(paths: AuditPaths): { db: Db; missing?: string } {
  if (!existsSync(paths.db)) {
    if (!existsSync(paths.checkpoints)) throw new AiosError("E_NOT_FOUND", `no audit database at ${paths.db}`);
    return { db: emptyDb(), missing: `the audit database ${paths.db} is missing` };
  }
  const db = openReaderDb(paths.db);
  const present = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]);
  const absent = TABLES.filter((t) => !present.has(t));
  if (absent.length === 0) return { db };
  db.close();
  return { db: emptyDb(), missing: `the audit database lacks table(s) ${absent.join(", ")} (dropped?)` };
}

function emptyDb(): Db {
  const db = new Database(":memory:");
  db.exec(SCHEMA_SQL);
  return db;
}

export function openReaderDb(path: string): Db {
  try {
    const db = new Database(path, { readonly: true, fileMustExist: true });
    // The verifier reads the whole file once, in order: mapping it saves a read() and a copy per page.
    db.pragma("mmap_size = 1073741824");
    return db;
  } catch (e) {
    throw new AiosError("E_NOT_FOUND", `no audit database at ${path}`, { cause: e });
  }
}

export function getMeta(db: Db, key: string): string | undefined {
  const row: unknown = db.prepare("SELECT value FROM audit_meta WHERE key = ?").pluck().get(key);
  return typeof row === "string" ? row : undefined;
}

/** The upsert of a metadata row, prepared once per database (the writer sets one at every flush). */
const metaUpserts = new WeakMap<Db, Stmt>();

export function setMeta(db: Db, key: string, value: string): void {
  let stmt = metaUpserts.get(db);
  if (stmt === undefined) {
    stmt = db.prepare("INSERT INTO audit_meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value");
    metaUpserts.set(db, stmt);
  }
  stmt.run(key, value);
}
