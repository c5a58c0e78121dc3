/**
 * Opening a subsystem's own SQLite file the way every durable store here does: WAL, synchronous
 * FULL (a commit survives power loss), a busy timeout for a second reader, and its schema applied.
 * A failure is the store's error (E_STORAGE_FULL, E_CORRUPT or E_STORAGE) naming the file and what
 * it holds, and leaves nothing open. The file (and its WAL) is the owner's only (0600).
 */
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { ownerOnlyDatabase } from "../core/index.js";
import { toStoreError } from "./sqlite-errors.js";

export interface WalDbOptions {
  /** SQL run once the file is open (CREATE TABLE IF NOT EXISTS ...). */
  readonly schema: string;
  /** What the file holds, for error messages ("plan journal"). */
  readonly what: string;
  /** Milliseconds a writer waits for another connection's lock (default 5,000). */
  readonly busyMs?: number;
}

export function openWalDb(path: string, o: WalDbOptions): Database.Database {
  let db: Database.Database | undefined;
  try {
    ownerOnlyDatabase(path);
    db = new Database(path);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = FULL");
    db.pragma(`busy_timeout = ${o.busyMs ?? 5000}`);
    db.exec(o.schema);
    return db;
  } catch (e) {
    db?.close();
    throw toStoreError(e, `${o.what} ${path}: cannot open`, dirname(path));
  }
}
