/**
 * One owner per data directory. The lock is SQLite's own file lock on `aios.lock.db`: the holder
 * opens it in exclusive locking mode and writes once, which takes an fcntl write lock it keeps until
 * the connection closes. The kernel (not a pid) decides who holds it, so when the holder dies — even
 * by kill -9 — the OS drops the lock with the process, and a restart right after, or in a container
 * whose pid 1 is "the same pid", is never refused. (A pid file checked with kill(pid, 0) refused both.)
 * SQLite also serialises connections inside one process, so a second boot in the same process is
 * refused like another process. `aios.lock` beside it holds the holder's pid for the error message
 * only; it decides nothing.
 *
 * The open connection is kept reachable here until `release()`: better-sqlite3 closes a connection
 * it garbage-collects, so a caller that dropped its handle would otherwise lose the lock at the next
 * GC while another process could take it.
 */
import { closeSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { AiosError, ownerOnlyDatabase } from "../core/index.js";

export interface DirLock {
  readonly path: string;
  release(): void;
}

/** Connections holding a directory lock, so no GC can close one before `release()`. */
const held = new Set<Database.Database>();

const FULL = new Set(["ENOSPC", "EDQUOT", "SQLITE_FULL"]);
const BUSY = new Set(["SQLITE_BUSY", "SQLITE_LOCKED"]);

function errCode(e: unknown): string | undefined {
  const c = (e as { code?: unknown }).code;
  return typeof c === "string" ? c : undefined;
}

function readHolder(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function storageError(e: unknown, path: string): AiosError {
  const code = errCode(e);
  if (code !== undefined && FULL.has(code)) {
    return new AiosError("E_STORAGE_FULL", `cannot create the lock file ${path}: the disk is full (${code}); nothing was written`, { cause: e, details: { lockFile: path } });
  }
  return new AiosError("E_STORAGE", `cannot create the lock file ${path}: ${(e as Error).message}`, { cause: e, details: { lockFile: path } });
}

/** Takes the directory's lock or throws E_CONFLICT naming the holder (E_STORAGE_FULL on a full disk). */
export function acquireDirLock(dir: string): DirLock {
  const path = join(dir, "aios.lock.db");
  const pidFile = join(dir, "aios.lock");
  let db: Database.Database;
  try {
    // timeout 0: a held lock is an answer now, not after the default 5 s busy wait.
    ownerOnlyDatabase(path); // 0600, like every database in the data dir
    db = new Database(path, { timeout: 0 });
  } catch (e) {
    throw storageError(e, path);
  }
  try {
    db.pragma("locking_mode = EXCLUSIVE");
    // The write takes the exclusive lock; in this mode SQLite keeps it after the commit.
    db.exec("CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL); DELETE FROM holder;");
    db.prepare("INSERT INTO holder (pid) VALUES (?)").run(process.pid);
  } catch (e) {
    db.close();
    const code = errCode(e);
    if (code !== undefined && BUSY.has(code)) {
      const holder = readHolder(pidFile);
      const who = holder === undefined ? "another process" : `process ${holder}`;
      throw new AiosError("E_CONFLICT", `the data directory ${dir} is in use by ${who} (lock file ${path})`, {
        retryable: false,
        details: { ...(holder === undefined ? {} : { holderPid: holder }), lockFile: path, dataDir: dir },
      });
    }
    throw storageError(e, path);
  }
  try {
    const fd = openSync(pidFile, "w", 0o600);
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
  } catch {
    // The pid file only names the holder in an error; the lock is held without it.
  }
  held.add(db);
  let released = false;
  return {
    path,
    release: () => {
      if (released) return;
      released = true;
      if (readHolder(pidFile) === process.pid) rmSync(pidFile, { force: true });
      held.delete(db);
      db.close();
    },
  };
}
