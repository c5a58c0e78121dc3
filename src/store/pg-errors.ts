/**
 * Maps PostgreSQL failures onto the error taxonomy, by SQLSTATE (never by message text):
 * 53100 disk_full / 53200 out_of_memory -> E_STORAGE_FULL (retryable; nothing was committed),
 * XX001 data_corrupted / XX002 index_corrupted -> E_CORRUPT, a lost or refused connection ->
 * E_STORAGE marked retryable (details.connection), anything else -> E_STORAGE naming the SQLSTATE
 * (the StorageDriver contract's three codes; driver.ts).
 *
 * `commitOutcome` says whether a failure during COMMIT left the outcome unknown: an error with a
 * SQLSTATE of class 23 (integrity) or 40 (rollback) means the server rolled back; a dropped
 * connection means it may or may not have committed (pg-driver.ts then reads back to decide).
 */
import { AiosError } from "../core/index.js";

export function sqlState(e: unknown): string | undefined {
  if (typeof e === "object" && e !== null && "code" in e && typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  return undefined;
}

/** True for failures of the connection itself (no SQLSTATE from the server, or a shutdown one). */
export function isConnectionError(e: unknown): boolean {
  const s = sqlState(e);
  if (s !== undefined) return s.startsWith("08") || s === "57P01" || s === "57P02" || s === "57P03";
  return true; // ECONNREFUSED, ECONNRESET, "Connection terminated", a timeout: no server answer
}

/** Whether a COMMIT that threw may nevertheless have committed. */
export function commitOutcomeUnknown(e: unknown): boolean {
  const s = sqlState(e);
  if (s === undefined) return true;
  return !(s.startsWith("23") || s.startsWith("40") || s.startsWith("25"));
}

/** Converts a thrown node-postgres error into an AiosError; `what` says what we were doing. */
export function toPgStoreError(e: unknown, what: string, location: string): AiosError {
  if (e instanceof AiosError) return e;
  const state = sqlState(e);
  const msg = e instanceof Error ? e.message : String(e);
  const details = { sqlstate: state ?? null, location };
  if (state === "53100" || state === "53200") {
    return new AiosError("E_STORAGE_FULL", `${what}: PostgreSQL at ${location} is out of space (${state}: ${msg}); nothing was written`, { cause: e, details });
  }
  if (state === "XX001" || state === "XX002") {
    return new AiosError("E_CORRUPT", `${what}: PostgreSQL at ${location} reports damaged data (${state}: ${msg})`, { cause: e, details });
  }
  if (isConnectionError(e)) {
    return new AiosError("E_STORAGE", `${what}: PostgreSQL at ${location} cannot be reached (${state ?? "no connection"}: ${msg})`, {
      cause: e,
      retryable: true,
      details: { ...details, connection: true },
    });
  }
  return new AiosError("E_STORAGE", `${what}: ${state}: ${msg}`, { cause: e, details });
}
