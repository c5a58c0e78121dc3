/**
 * Maps SQLite failures onto the error taxonomy. SQLITE_FULL is a full disk; an I/O error while the
 * file system has no free blocks is one too (SQLite reports ENOSPC on a WAL write or fsync as
 * SQLITE_IOERR_*), so we ask the file system rather than guess from the message. Damage to the file
 * (SQLITE_CORRUPT, SQLITE_NOTADB, short reads) is E_CORRUPT: never retried, always reported.
 */
import { statfsSync } from "node:fs";
import { AiosError } from "../core/index.js";

function sqliteCode(e: unknown): string | undefined {
  if (typeof e === "object" && e !== null && "code" in e && typeof e.code === "string") return e.code;
  return undefined;
}

/** Free bytes on the file system holding `dir`, or undefined when it cannot be asked. */
export function freeBytes(dir: string): number | undefined {
  try {
    const s = statfsSync(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return undefined;
  }
}

export function isCorruption(e: unknown): boolean {
  const code = sqliteCode(e) ?? "";
  return code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB" || code === "SQLITE_IOERR_SHORT_READ";
}

/** Converts a thrown SQLite error into an AiosError; `what` says what we were doing. */
export function toStoreError(e: unknown, what: string, dir: string): AiosError {
  if (e instanceof AiosError) return e;
  const code = sqliteCode(e) ?? "unknown";
  const msg = e instanceof Error ? e.message : String(e);
  const free = freeBytes(dir);
  if (code === "SQLITE_FULL" || (code.startsWith("SQLITE_IOERR") && free !== undefined && free < 64 * 1024)) {
    return new AiosError("E_STORAGE_FULL", `${what}: the disk holding ${dir} is full (${code}); nothing was written`, {
      cause: e,
      details: { sqlite: code, freeBytes: free ?? null },
    });
  }
  if (isCorruption(e)) {
    return new AiosError("E_CORRUPT", `${what}: the database in ${dir} is damaged (${code}: ${msg})`, { cause: e, details: { sqlite: code } });
  }
  return new AiosError("E_STORAGE", `${what}: ${code}: ${msg}`, { cause: e, details: { sqlite: code } });
}
