/**
 * PostgreSQL failures mapped onto the one taxonomy, once, at the cluster's storage boundary:
 * the fence's refusal (SQLSTATE AIOSF, raised by the trigger in schema.ts) is E_CONFLICT with
 * `details.reason = "fenced"` and both epochs; a lost or refused connection (PostgreSQL down,
 * restarting, a name that does not resolve yet) is E_UNAVAILABLE (retryable); a login PostgreSQL
 * refuses (role, password, database) is E_CONFIG (retrying cannot help); anything else is E_STORAGE.
 */
import { AiosError } from "../core/index.js";

/** SQLSTATE raised by cluster_fence(): a write under an epoch that is not the lease's current one. */
export const FENCED_SQLSTATE = "AIOSF";

const CONNECTION_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004"]);

const CONNECTION_LOST = /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect)/;

/** Login refusals: invalid_authorization_specification, invalid_password, invalid_catalog_name. */
const LOGIN_CODES: Readonly<Record<string, string>> = { "28000": "refused the login", "28P01": "refused the password", "3D000": "has no such database" };

/** node-postgres asked for a password it was not given (SCRAM), before any SQLSTATE. */
const NO_PASSWORD = /^SASL: .*password must be a string|^The server requested .*password/;

function field(e: unknown, name: string): string | undefined {
  if (typeof e !== "object" || e === null || !(name in e)) return undefined;
  const v: unknown = (e as Record<string, unknown>)[name];
  return typeof v === "string" ? v : undefined;
}

export function isFenced(e: unknown): boolean {
  return e instanceof AiosError && e.code === "E_CONFLICT" && e.details["reason"] === "fenced";
}

/** Maps a thrown pg error (or anything) to an AiosError; `what` says which operation failed. */
export function toClusterError(e: unknown, what: string, details: Readonly<Record<string, unknown>> = {}): AiosError {
  if (e instanceof AiosError) return e;
  const code = field(e, "code");
  const message = field(e, "message") ?? String(e);
  if (code === FENCED_SQLSTATE) {
    const current = Number(field(e, "detail"));
    return new AiosError("E_CONFLICT", `${what}: ${message}`, {
      cause: e,
      retryable: false,
      details: { ...details, reason: "fenced", ...(Number.isSafeInteger(current) ? { currentEpoch: current } : {}) },
    });
  }
  const login = code === undefined ? (NO_PASSWORD.test(message) ? "asked for a password the URL does not give" : undefined) : LOGIN_CODES[code];
  if (login !== undefined) {
    return new AiosError("E_CONFIG", `${what}: PostgreSQL ${login} (${message}): check --postgres`, { cause: e, details: { ...details, path: "postgres", ...(code === undefined ? {} : { sqlstate: code }) } });
  }
  // node-postgres reports a connection that PostgreSQL closed (a restart, a crash) without a code.
  if ((code !== undefined && CONNECTION_CODES.has(code)) || (code === undefined && CONNECTION_LOST.test(message))) {
    return new AiosError("E_UNAVAILABLE", `${what}: PostgreSQL unreachable (${message})`, { cause: e, details: { ...details, ...(code === undefined ? {} : { sqlstate: code }) } });
  }
  return new AiosError("E_STORAGE", `${what}: ${message}`, { cause: e, details: { ...details, ...(code === undefined ? {} : { sqlstate: code }) } });
}
