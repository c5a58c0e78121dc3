/** The result vocabulary of `verifyAudit` (shared by the entry scan, the checkpoint audit and the CLI). */
import type { TreeHead } from "./merkle.js";

export type AuditProblemKind =
  /** entries missing from the middle of the log */
  | "deleted"
  /** an entry sits at another entry's position */
  | "reordered"
  /** an entry's content (or a column beside it) no longer matches what was hashed */
  | "edited"
  /** entries signed by a checkpoint are gone from the end of the log */
  | "truncated"
  /** a checkpoint's signature does not verify with the trusted key */
  | "signature"
  /** a validly signed checkpoint disagrees with the entries as stored */
  | "checkpoint-mismatch"
  /** the checkpoint file and the database disagree, or a due checkpoint is absent */
  | "checkpoint-file"
  /** entries follow a "seal" checkpoint without an "open" at its size: appended without the key */
  | "appended"
  /** entries that no trusted checkpoint covers although one must (or the pinned head) */
  | "unsigned"
  /** the metadata (checkpoint interval) disagrees with what the checkpoints signed */
  | "metadata"
  /** aggregates of allowed calls do not account for every call (one removed, a count edited) */
  | "aggregate"
  /** an archived segment is missing (not retired), replaced or out of place */
  | "segment";

export interface AuditProblem {
  /** The first entry the problem concerns (1-based). */
  readonly seq: number;
  readonly kind: AuditProblemKind;
  readonly message: string;
}

export interface AuditVerifyResult {
  readonly ok: boolean;
  /** Rows read from the database. */
  readonly entries: number;
  /** The highest sequence number stored (= entries when nothing was deleted). */
  readonly lastSeq: number;
  /** The tree head recomputed from the stored entries. */
  readonly head: TreeHead;
  readonly checkpoints: { readonly total: number; readonly verified: number; readonly lastSignedSize: number };
  readonly keyId: string | null;
  /**
   * True when the trust root came from outside the data dir (a public key or a signed head passed
   * in). False: the key was read from audit.pub beside the log, which whoever can rewrite the log
   * can rewrite too, so "ok" then only means "consistent".
   */
  readonly pinned: boolean;
  readonly wrongKey: boolean;
  readonly firstBad: AuditProblem | null;
  /** Sorted by seq; at most `maxProblems` of them (problemCount says how many there were). */
  readonly problems: AuditProblem[];
  readonly problemCount: number;
}
