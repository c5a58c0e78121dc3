/**
 * The CLI's exit codes — a documented contract for scripts (also in `aios --help` and the README):
 *   0 ok · 1 the operation failed · 2 usage or bad input · 3 cannot reach the daemon · 4 audit
 *   verification failed · 130/143 stopped by SIGINT/SIGTERM · 141 its output was closed. An error
 *   maps to its code by its AiosError code.
 */
import type { ErrorCode } from "../core/index.js";

export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, UNREACHABLE: 3, AUDIT_FAILED: 4, INTERRUPTED: 130, OUTPUT_CLOSED: 141, TERMINATED: 143 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_TABLE = `Exit codes:
  0  ok
  1  the operation failed (the error's code says why: E_NO_AGENT, E_CAP_DENIED, ...)
  2  usage error or bad input (unknown option, invalid spec or argument: E_INVALID_ARG, E_INVALID_SPEC)
  3  cannot reach the daemon (none is running for this data dir, or it does not answer: E_UNAVAILABLE)
  4  audit verification failed (the log was tampered with or cannot be verified)
  130, 143  stopped by Ctrl-C (SIGINT) or SIGTERM, after cleaning up (a command that drains, like up, exits 0)
  141  its output was closed (\`aios demo | head\`): it stopped quietly and cleaned up`;

const USAGE_CODES: ReadonlySet<ErrorCode> = new Set(["E_INVALID_ARG", "E_INVALID_SPEC"]);

export function exitCodeFor(code: ErrorCode): ExitCode {
  if (USAGE_CODES.has(code)) return EXIT.USAGE;
  if (code === "E_UNAVAILABLE") return EXIT.UNREACHABLE;
  return EXIT.FAILED;
}
