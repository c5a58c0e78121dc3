/**
 * Owner-only files and directories for everything a data directory holds (issue #15.4): the journal
 * carries agents' arguments and results, the audit log who did what, memory what agents stored, the
 * security stores keys and grants. Nothing there is for other local users, so directories are 0700
 * and files 0600 whatever the process umask. A SQLite database file is created here before SQLite
 * opens it: SQLite gives its -wal, -shm and -journal files the database file's own mode.
 */
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from "node:fs";

/** Creates `dir` (and its parents) if needed and makes it 0700. */
export function ownerOnlyDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
}

/**
 * Creates `file` empty if it does not exist, and makes it 0600 (an existing file keeps its content).
 * An existing file is never opened here: closing any descriptor of a file drops every POSIX (fcntl)
 * lock this process holds on it, SQLite's and the data-directory lock's included.
 */
export function ownerOnlyFile(file: string): void {
  try {
    closeSync(openSync(file, "wx", 0o600));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
}

/** ownerOnlyFile for a SQLite database and whichever of its side files exist. */
export function ownerOnlyDatabase(file: string): void {
  if (file === ":memory:" || file === "") return;
  ownerOnlyFile(file);
  for (const side of [file + "-wal", file + "-shm", file + "-journal"]) {
    try {
      if ((statSync(side).mode & 0o077) !== 0) chmodSync(side, 0o600);
    } catch {
      // absent: SQLite creates it later with the database file's mode
    }
  }
}
