/**
 * The one error taxonomy (DESIGN invariant 5). Every error that crosses a module boundary is an
 * AiosError with a stable string code, a retryable flag and an optional cause. Bad input names the
 * field that is wrong in `details.path`.
 */

export const ERROR_CODES = {
  E_INVALID_ARG: { retryable: false, summary: "an argument failed validation" },
  E_INVALID_SPEC: { retryable: false, summary: "an agent spec failed validation" },
  E_CAP_DENIED: { retryable: false, summary: "no capability allows this action" },
  E_POLICY: { retryable: false, summary: "a policy rule denied this action" },
  E_APPROVAL_DENIED: { retryable: false, summary: "a person denied the approval request" },
  E_QUOTA: { retryable: false, summary: "a quota or budget is exhausted" },
  E_RATE_LIMITED: { retryable: true, summary: "a rate limit was hit; retry later" },
  E_TIMEOUT: { retryable: true, summary: "the operation timed out" },
  E_CANCELLED: { retryable: false, summary: "the operation was cancelled" },
  E_NO_AGENT: { retryable: false, summary: "no such agent" },
  E_NO_SYSCALL: { retryable: false, summary: "no such syscall" },
  E_NO_HANDLE: { retryable: false, summary: "no such async handle" },
  E_ILLEGAL_TRANSITION: { retryable: false, summary: "the lifecycle transition is not allowed" },
  E_VETOED: { retryable: false, summary: "a pre-operation hook vetoed the operation" },
  E_MAILBOX_FULL: { retryable: true, summary: "the recipient's mailbox is full" },
  E_AGENT_CRASHED: { retryable: false, summary: "the agent crashed while handling the message" },
  E_AGENT_STOPPED: { retryable: false, summary: "the agent stopped before answering" },
  E_SANDBOX: { retryable: false, summary: "the sandbox refused or failed" },
  E_MODEL: { retryable: true, summary: "the model backend failed" },
  E_MODEL_OUTPUT: { retryable: true, summary: "the model answered with malformed output" },
  E_CONTEXT_OVERFLOW: { retryable: false, summary: "the prompt does not fit the model's context window" },
  E_AUTH: { retryable: false, summary: "authentication failed" },
  E_TOOL: { retryable: false, summary: "the tool failed" },
  E_NO_TOOL: { retryable: false, summary: "no such tool" },
  E_STORAGE: { retryable: false, summary: "the storage driver failed" },
  E_STORAGE_FULL: { retryable: true, summary: "the disk is full; nothing was written" },
  E_CORRUPT: { retryable: false, summary: "stored data failed its checksum" },
  E_SCHEMA_VERSION: { retryable: false, summary: "the data was written by a newer schema" },
  E_EFFECT_UNKNOWN: { retryable: false, summary: "a side effect was in flight at a crash; whether it ran is unknown" },
  E_CONFIG: { retryable: false, summary: "the configuration is invalid" },
  E_SHUTDOWN: { retryable: false, summary: "the kernel is shutting down" },
  E_DEFERRED: { retryable: false, summary: "accepted and journaled; it will be handled after the kernel restarts, but no reply will come" },
  E_INTERNAL: { retryable: false, summary: "an internal invariant failed" },
  E_NOT_FOUND: { retryable: false, summary: "the requested item does not exist" },
  E_CONFLICT: { retryable: true, summary: "a concurrent change conflicted" },
  E_UNAVAILABLE: { retryable: true, summary: "the daemon or service cannot be reached" },
} as const satisfies Record<string, { retryable: boolean; summary: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface AiosErrorOptions {
  readonly cause?: unknown;
  readonly retryable?: boolean;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** Marks AiosErrors across copies of this module (see `Symbol.hasInstance` below). */
const BRAND = Symbol.for("aios.AiosError");

export class AiosError extends Error {
  /**
   * `instanceof AiosError` holds for an AiosError made by another copy of this module: the CLI from
   * dist/ runs agent modules that import src/ through tsx, and an application may hold two
   * installed versions. Without it their errors would read as E_INTERNAL.
   */
  static override [Symbol.hasInstance](v: unknown): boolean {
    return typeof v === "object" && v !== null && (v as { [BRAND]?: unknown })[BRAND] === true;
  }

  override readonly name = "AiosError";
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: AiosErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
    this.details = options.details ?? {};
  }

  /** A plain-data form for the wire, the journal and events. */
  toJSON(): SerializedError {
    return {
      code: this.code,
      message: this.message,
      retryable: this.retryable,
      ...(Object.keys(this.details).length > 0 ? { details: this.details } : {}),
      ...(this.cause === undefined ? {} : { cause: describeCause(this.cause) }),
    };
  }
}
Object.defineProperty(AiosError.prototype, BRAND, { value: true });

export interface SerializedError {
  readonly code: ErrorCode;
  readonly message: string;
  readonly retryable: boolean;
  readonly details?: Readonly<Record<string, unknown>>;
  readonly cause?: string;
}

export function isAiosError(e: unknown, code?: ErrorCode): e is AiosError {
  return e instanceof AiosError && (code === undefined || e.code === code);
}

/** Wraps any thrown value into an AiosError, keeping AiosErrors as they are. */
export function toAiosError(e: unknown, fallback: ErrorCode = "E_INTERNAL"): AiosError {
  if (e instanceof AiosError) return e;
  return new AiosError(fallback, describeCause(e), { cause: e });
}

export function fromSerialized(s: SerializedError): AiosError {
  const code: ErrorCode = s.code in ERROR_CODES ? s.code : "E_INTERNAL";
  return new AiosError(code, s.message, { retryable: s.retryable, ...(s.details ? { details: s.details } : {}) });
}

function describeCause(c: unknown): string {
  // V8's stack overflow names no cause; in a request it is a value nested past any check's depth.
  if (c instanceof RangeError && c.message === "Maximum call stack size exceeded") return `a value nests too deeply to handle (${c.message})`;
  if (c instanceof Error) return c.message;
  if (typeof c === "string") return c;
  try {
    return JSON.stringify(c);
  } catch {
    return String(c);
  }
}
