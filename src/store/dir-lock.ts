/**
 * One owner per data directory. The lock is a file `aios.lock` created exclusively (O_EXCL) holding
 * the owner's pid; a lock whose pid no longer runs is stale (the owner was killed) and is taken over.
 * Node has no flock(2), so liveness is checked with kill(pid, 0). A live holder is refused with an
 * error naming its pid, so "another daemon holds the data dir" is never a mystery.
 */
import { openSync, writeSync, closeSync, readFileSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { AiosError } from "../core/index.js";

export interface DirLock {
  readonly path: string;
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else — still a live holder.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readHolder(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8").trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function acquireDirLock(dir: string): DirLock {
  const path = join(dir, "aios.lock");
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      try {
        writeSync(fd, `${process.pid}\n`);
      } catch (e) {
        // Created but not written (a full disk): an empty lock would read as stale to everyone.
        closeSync(fd);
        unlinkSync(path);
        throw e;
      }
      closeSync(fd);
      let released = false;
      return {
        path,
        release: () => {
          if (released) return;
          released = true;
          if (readHolder(path) === process.pid) unlinkSync(path);
        },
      };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOSPC" || code === "EDQUOT") {
        throw new AiosError("E_STORAGE_FULL", `cannot create the lock file ${path}: the disk is full (${code}); nothing was written`, { cause: e, details: { lockFile: path } });
      }
      if (code !== "EEXIST") {
        throw new AiosError("E_STORAGE", `cannot create the lock file ${path}: ${(e as Error).message}`, { cause: e, details: { lockFile: path } });
      }
      const holder = readHolder(path);
      if (holder !== undefined && alive(holder)) {
        throw new AiosError("E_CONFLICT", `the data directory ${dir} is in use by process ${holder} (lock file ${path})`, {
          retryable: false,
          details: { holderPid: holder, lockFile: path, dataDir: dir },
        });
      }
      // Stale (holder dead) or half-written lock: remove it and try again.
      try {
        unlinkSync(path);
      } catch {
        /* another process removed it first; retry the exclusive create */
      }
    }
  }
  throw new AiosError("E_CONFLICT", `could not take the lock ${path}: another process keeps taking it`, { details: { lockFile: path } });
}
