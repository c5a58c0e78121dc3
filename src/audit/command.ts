/**
 * `aios audit verify` without the CLI: the CLI engineer calls auditVerifyCommand(dataDir) and
 * prints `report`, exiting with `exitCode` — 0 intact, 1 tampering found, 2 could not verify
 * (no log, no key, unreadable).
 */
import { toAiosError } from "../core/index.js";
import type { VerifierInput } from "./signing.js";
import { verifyAudit } from "./verify.js";
import type { AuditVerifyResult } from "./verify-types.js";

export interface AuditVerifyCommandResult {
  readonly ok: boolean;
  readonly exitCode: 0 | 1 | 2;
  /** Human-readable report, one finding per line. */
  readonly report: string;
  /** The structured result (absent when verification could not run). */
  readonly result?: AuditVerifyResult;
}

export function auditVerifyCommand(dataDir: string, options: { publicKey?: VerifierInput; head?: string; maxProblems?: number } = {}): AuditVerifyCommandResult {
  let r: AuditVerifyResult;
  try {
    r = verifyAudit({ dataDir, ...options });
  } catch (e) {
    const err = toAiosError(e);
    return { ok: false, exitCode: 2, report: `audit verify: cannot verify ${dataDir}: ${err.code} ${err.message}` };
  }
  const lines: string[] = [];
  if (!r.pinned) {
    lines.push("UNPINNED: the key was read from audit.pub in the data dir; whoever can rewrite the log can rewrite that file too. Pass --pubkey (and --head) from outside the data dir.");
  }
  lines.push(
    `audit log ${dataDir}: ${r.entries} entries (last seq ${r.lastSeq}), tree head size ${r.head.size} root ${r.head.root.toString("hex")}`,
    `checkpoints: ${r.checkpoints.verified} of ${r.checkpoints.total} verify with key ${r.keyId ?? "(custom verifier)"}; last signed size ${r.checkpoints.lastSignedSize}`,
  );
  if (r.ok) {
    const unsigned = r.lastSeq - r.checkpoints.lastSignedSize;
    lines.push(unsigned > 0 ? `OK: intact; entries ${r.checkpoints.lastSignedSize + 1}..${r.lastSeq} are chained but not yet covered by a signed checkpoint` : "OK: intact");
    return { ok: true, exitCode: 0, report: lines.join("\n"), result: r };
  }
  if (r.wrongKey) lines.push("WRONG KEY: no checkpoint verifies with the given public key");
  const first = r.firstBad;
  if (first !== null) lines.push(`TAMPERED: first bad entry seq ${first.seq} (${first.kind}): ${first.message}`);
  lines.push(`${r.problemCount} problem(s)${r.problemCount > r.problems.length ? `, first ${r.problems.length} shown` : ""}:`);
  for (const p of r.problems) lines.push(`  seq ${p.seq} ${p.kind}: ${p.message}`);
  return { ok: false, exitCode: 1, report: lines.join("\n"), result: r };
}
