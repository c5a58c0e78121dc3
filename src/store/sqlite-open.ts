/**
 * The journal's SQLite connection settings and its one write transaction — shared by the driver's
 * own connection (reads, and writes before the writer thread is up or with `writer: "inline"`) and
 * the writer thread's connection (sqlite-writer-thread.ts), so both commit with exactly the same
 * durability settings and the same statements.
 *
 * `configure`, `prepareWrite` and `shrink` are self-contained: they use only their parameters and
 * globals, never an import or a module-level binding, because the writer thread is started from
 * their source text (sqlite-writer-thread.ts says why). Keep them that way.
 *
 * WAL + synchronous=FULL: every committed transaction is fsynced before the commit returns (NORMAL
 * may roll back an acknowledged commit on power loss).
 */
import Database from "better-sqlite3";
import { existsSync } from "node:fs";
import { ownerOnlyDatabase } from "../core/index.js";
import type { JournalRow, WriteBatch } from "./driver.js";
import { toStoreError } from "./sqlite-errors.js";

/** The connection's pragmas; `fresh`: the file did not exist before this open. */
export function configure(db: Database.Database, fresh: boolean): void {
  // Takes effect only on a file with no tables yet (a new store); older files get it from the
  // VACUUM of migration v3. Pages freed by compaction then go back to the file system.
  if (fresh) db.pragma("auto_vacuum = INCREMENTAL");
  // Two connections now (the driver's reader, the writer thread): wait for the other's lock.
  db.pragma("busy_timeout = 5000");
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  // A checkpoint that resets the WAL truncates it to 16 MiB, so one burst does not leave a WAL of
  // its own size behind for ever.
  db.pragma(`journal_size_limit = ${16 * 1024 * 1024}`);
  // Reading the schema forces SQLite to parse page 1 now, so a damaged header fails here.
  db.prepare("SELECT count(*) FROM sqlite_master").get();
}

export function openDb(file: string, dir: string): Database.Database {
  let db: Database.Database | undefined;
  try {
    const fresh = !existsSync(file);
    ownerOnlyDatabase(file);
    db = new Database(file);
    configure(db, fresh);
    return db;
  } catch (e) {
    db?.close();
    throw toStoreError(e, `opening ${file}`, dir);
  }
}

/** The atomic write of one batch: rows appended, rows below a seq deleted, meta set — one transaction. */
export function prepareWrite(db: Database.Database): (b: WriteBatch) => void {
  // Rows per multi-row INSERT (400 bound parameters, far below SQLite's limit of 32,766).
  const MULTI = 100;
  const insert = db.prepare("INSERT INTO journal (seq, kind, body, crc) VALUES (?, ?, ?, ?)");
  // One statement step per MULTI rows: each step and each run() call costs about as much as
  // binding a whole row, so a multi-row INSERT roughly halves the per-row CPU of a batch.
  const insertMany = db.prepare(`INSERT INTO journal (seq, kind, body, crc) VALUES ${Array(MULTI).fill("(?, ?, ?, ?)").join(", ")}`);
  const params: unknown[] = new Array<unknown>(MULTI * 4);
  const del = db.prepare("DELETE FROM journal WHERE seq < ?");
  const setMeta = db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  return db.transaction((b: WriteBatch) => {
    const rows = b.append ?? [];
    let i = 0;
    for (; i + MULTI <= rows.length; i += MULTI) {
      for (let k = 0, p = 0; k < MULTI; k++) {
        const r = rows[i + k] as JournalRow;
        params[p++] = r.seq;
        params[p++] = r.kind;
        params[p++] = r.body;
        params[p++] = r.crc;
      }
      insertMany.run(params);
    }
    for (; i < rows.length; i++) {
      const r = rows[i] as JournalRow;
      insert.run(r.seq, r.kind, r.body, r.crc);
    }
    if (b.deleteBelow !== undefined) del.run(b.deleteBelow);
    for (const [k, v] of Object.entries(b.meta ?? {})) setMeta.run(k, v);
  });
}

/**
 * After a compaction: return the freed pages to the file system (incremental vacuum) and fold the
 * WAL into the file and truncate it. The compaction itself is already durable, so a failure here
 * (e.g. a reader holding the WAL) costs only space and is retried at the next compaction.
 */
export function shrink(db: Database.Database): void {
  try {
    db.pragma("incremental_vacuum");
    db.pragma("wal_checkpoint(TRUNCATE)");
  } catch {
    /* space only: nothing acknowledged depends on it */
  }
}
