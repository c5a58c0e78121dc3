/**
 * A2A's error taxonomy (spec 3.3.2, 5.4) over AiosError: an A2A error is an AiosError whose
 * `details.a2a` names the A2A type, so it flows through the same code paths as every other error
 * and is mapped only at the binding (JSON-RPC code, HTTP status, google.rpc.ErrorInfo reason).
 * A plain AiosError from the kernel maps by its code: E_INVALID_ARG is InvalidParams, E_AUTH is an
 * authentication error, E_CAP_DENIED / E_POLICY / E_QUOTA are authorization errors, the rest internal.
 */
import { AiosError, toAiosError, type ErrorCode } from "../../core/index.js";

export const A2A_ERRORS = {
  TaskNotFoundError: { rpc: -32001, http: 404, status: "NOT_FOUND", reason: "TASK_NOT_FOUND", aios: "E_NOT_FOUND" },
  TaskNotCancelableError: { rpc: -32002, http: 400, status: "FAILED_PRECONDITION", reason: "TASK_NOT_CANCELABLE", aios: "E_CONFLICT" },
  PushNotificationNotSupportedError: { rpc: -32003, http: 400, status: "FAILED_PRECONDITION", reason: "PUSH_NOTIFICATION_NOT_SUPPORTED", aios: "E_UNAVAILABLE" },
  UnsupportedOperationError: { rpc: -32004, http: 400, status: "FAILED_PRECONDITION", reason: "UNSUPPORTED_OPERATION", aios: "E_CONFLICT" },
  ContentTypeNotSupportedError: { rpc: -32005, http: 400, status: "INVALID_ARGUMENT", reason: "CONTENT_TYPE_NOT_SUPPORTED", aios: "E_INVALID_ARG" },
  InvalidAgentResponseError: { rpc: -32006, http: 500, status: "INTERNAL", reason: "INVALID_AGENT_RESPONSE", aios: "E_INTERNAL" },
  ExtendedAgentCardNotConfiguredError: { rpc: -32007, http: 400, status: "FAILED_PRECONDITION", reason: "EXTENDED_AGENT_CARD_NOT_CONFIGURED", aios: "E_UNAVAILABLE" },
  ExtensionSupportRequiredError: { rpc: -32008, http: 400, status: "FAILED_PRECONDITION", reason: "EXTENSION_SUPPORT_REQUIRED", aios: "E_INVALID_ARG" },
  VersionNotSupportedError: { rpc: -32009, http: 400, status: "FAILED_PRECONDITION", reason: "VERSION_NOT_SUPPORTED", aios: "E_INVALID_ARG" },
} as const satisfies Record<string, { rpc: number; http: number; status: string; reason: string; aios: ErrorCode }>;

export type A2aErrorType = keyof typeof A2A_ERRORS;

export function a2aError(type: A2aErrorType, message: string, meta: Record<string, string> = {}): AiosError {
  return new AiosError(A2A_ERRORS[type].aios, message, { details: { a2a: type, ...meta } });
}

/** The binding-neutral form of any error: what each binding turns into its own representation. */
export interface WireError {
  readonly rpc: number;
  readonly http: number;
  readonly status: string;
  readonly message: string;
  readonly details: readonly Record<string, unknown>[];
}

const DOMAIN = "a2a-protocol.org";

export function toWireError(e: unknown, now: string): WireError {
  const err = toAiosError(e);
  const d = (err.details ?? {}) as Record<string, unknown>;
  const type = typeof d["a2a"] === "string" && d["a2a"] in A2A_ERRORS ? (d["a2a"] as A2aErrorType) : undefined;
  if (type !== undefined) {
    const m = A2A_ERRORS[type];
    const metadata: Record<string, string> = { timestamp: now };
    for (const [k, v] of Object.entries(d)) if (k !== "a2a" && typeof v === "string") metadata[k] = v;
    return { rpc: m.rpc, http: m.http, status: m.status, message: err.message, details: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: m.reason, domain: DOMAIN, metadata }] };
  }
  const info = (reason: string): Record<string, unknown> => ({ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason, domain: "aios", metadata: { code: err.code, timestamp: now } });
  switch (err.code) {
    case "E_INVALID_ARG":
    case "E_INVALID_SPEC": {
      const field = typeof d["path"] === "string" ? d["path"] : "params";
      return { rpc: -32602, http: 400, status: "INVALID_ARGUMENT", message: err.message, details: [{ "@type": "type.googleapis.com/google.rpc.BadRequest", fieldViolations: [{ field, description: err.message }] }] };
    }
    case "E_AUTH":
      return { rpc: -32600, http: 401, status: "UNAUTHENTICATED", message: err.message, details: [info("UNAUTHENTICATED")] };
    case "E_CAP_DENIED":
    case "E_POLICY":
    case "E_APPROVAL_DENIED":
      return { rpc: -32600, http: 403, status: "PERMISSION_DENIED", message: err.message, details: [info("PERMISSION_DENIED")] };
    case "E_QUOTA":
    case "E_RATE_LIMITED":
      return { rpc: -32603, http: 429, status: "RESOURCE_EXHAUSTED", message: err.message, details: [info("RESOURCE_EXHAUSTED")] };
    case "E_NOT_FOUND":
    case "E_NO_AGENT":
      return { rpc: -32601, http: 404, status: "NOT_FOUND", message: err.message, details: [info("NOT_FOUND")] };
    case "E_SHUTDOWN":
    case "E_UNAVAILABLE":
      return { rpc: -32603, http: 503, status: "UNAVAILABLE", message: err.message, details: [info("UNAVAILABLE")] };
    default:
      return { rpc: -32603, http: 500, status: "INTERNAL", message: err.message, details: [info("INTERNAL")] };
  }
}

/** Zod issues as one InvalidParams error naming the first bad field under `prefix`. */
export function invalidParams(prefix: string, issues: readonly { path: readonly PropertyKey[]; message: string }[]): AiosError {
  const first = issues[0];
  const path = [prefix, ...(first?.path ?? []).map(String)].filter((s) => s !== "").join(".");
  return new AiosError("E_INVALID_ARG", `${path || "params"}: ${first?.message ?? "invalid"}`, { details: { path: path || "params" } });
}
