/**
 * AiosError codes on the wire: each code maps to one HTTP status, and the body is always
 * `{ "error": SerializedError }`, so a client rebuilds the same AiosError (fromSerialized) and the CLI
 * prints the same `error: <code>: <message>` whether it ran in-process or through the daemon.
 */
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { toAiosError, type ErrorCode, type SerializedError } from "../core/index.js";

const STATUS: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  E_INVALID_ARG: 400,
  E_INVALID_SPEC: 400,
  E_AUTH: 401,
  E_CAP_DENIED: 403,
  E_POLICY: 403,
  E_APPROVAL_DENIED: 403,
  E_NO_AGENT: 404,
  E_NOT_FOUND: 404,
  E_NO_TOOL: 404,
  E_NO_SYSCALL: 404,
  E_NO_HANDLE: 404,
  E_CONFLICT: 409,
  E_ILLEGAL_TRANSITION: 409,
  E_VETOED: 409,
  E_AGENT_CRASHED: 422,
  E_AGENT_STOPPED: 422,
  // Not a refusal: the request was journaled and will be handled after a restart (issue #19.3).
  E_DEFERRED: 202,
  E_QUOTA: 429,
  E_RATE_LIMITED: 429,
  E_MAILBOX_FULL: 429,
  E_SHUTDOWN: 503,
  E_UNAVAILABLE: 503,
  E_TIMEOUT: 504,
};

export function httpStatusOf(code: ErrorCode): ContentfulStatusCode {
  return STATUS[code] ?? 500;
}

export function errorBody(e: unknown): { status: ContentfulStatusCode; body: { error: SerializedError } } {
  const err = toAiosError(e);
  return { status: httpStatusOf(err.code), body: { error: err.toJSON() } };
}
