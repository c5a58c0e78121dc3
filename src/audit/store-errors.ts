/**
 * Errors at the audit store's edges (issue #19.6): whatever goes wrong reading or opening audit.db
 * leaves here as an AiosError naming the file — a damaged page is E_CORRUPT (never a raw
 * SQLITE_CORRUPT), a full disk E_STORAGE_FULL, a stored value that no longer parses (a checkpoint
 * row cut short) E_CORRUPT, not a bare SyntaxError or RangeError.
 */
import { dirname } from "node:path";
import { AiosError } from "../core/index.js";
import { toStoreError } from "../store/index.js";

export function auditStoreError(e: unknown, file: string, what: string): AiosError {
  if (e instanceof AiosError) {
    return e.message.includes(file) ? e : new AiosError(e.code, `${what} (${file}): ${e.message}`, { cause: e, retryable: e.retryable, details: { ...e.details, file } });
  }
  if (e instanceof Error && (e.name === "SqliteError" || "code" in e)) {
    const mapped = toStoreError(e, `${what} (${file})`, dirname(file));
    return new AiosError(mapped.code, mapped.message, { cause: e, details: { ...mapped.details, file } });
  }
  const msg = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return new AiosError("E_CORRUPT", `${what}: a value stored in ${file} is damaged (${msg}); run aios audit verify`, { cause: e, details: { file } });
}
