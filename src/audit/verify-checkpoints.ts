/**
 * The checkpoint half of verification: gather the signed checkpoints from the file and the
 * database, check each signature with the trusted key, and cross-check the two copies (the file is
 * the witness for the database's tail; the database rows are the witness for the file's). Produces
 * the trusted tree heads the entry scan compares against, and the problems found so far.
 */
import type { CheckpointFileRead } from "./checkpoint-file.js";
import type { Db } from "./db.js";
import { checkpointSchema, checkpointVerifies, type Checkpoint, type CheckpointVerifier } from "./signing.js";
import type { AuditProblem } from "./verify-types.js";

export interface CheckpointAudit {
  /** Signature-valid checkpoints (and the pinned head), one per size, ascending. */
  readonly trusted: Checkpoint[];
  /** Every signature-valid checkpoint, several per size possible (open, seal). */
  readonly valid: readonly Checkpoint[];
  readonly total: number;
  readonly verified: number;
  readonly problems: AuditProblem[];
  readonly wrongKey: boolean;
  readonly fileSizes: ReadonlySet<number>;
  readonly dbSizes: ReadonlySet<number>;
  /** Database checkpoints absent from the file, by size (the caller re-reads the file once). */
  readonly missingFromFile: ReadonlyMap<number, AuditProblem>;
}

/**
 * `file` must be read before the database snapshot begins: a live writer commits a checkpoint row
 * before appending it to the file, so every checkpoint in a file read earlier is in the snapshot,
 * and a live writer's progress is never mistaken for a truncated database. The opposite race (a
 * row committed, its line not yet appended) is what `missingFromFile` lets the caller re-check.
 */
export function auditCheckpoints(db: Db, file: CheckpointFileRead, verifier: CheckpointVerifier, pinned?: { head: Checkpoint; checkSignature: boolean }): CheckpointAudit {
  const problems: AuditProblem[] = [];
  const missingFromFile = new Map<number, AuditProblem>();
  const fromDb: Checkpoint[] = [];
  for (const [size, line] of db.prepare("SELECT size, line FROM audit_checkpoints ORDER BY size").raw().all() as [number, string][]) {
    const parsed = safeJson(line);
    const cp = checkpointSchema.safeParse(parsed);
    if (cp.success && cp.data.size === size) fromDb.push(cp.data);
    else problems.push({ seq: 1, kind: "checkpoint-mismatch", message: `the database's checkpoint row for size ${size} is not a valid checkpoint (edited)` });
  }
  const all = [...file.checkpoints, ...fromDb].sort((a, b) => a.size - b.size);
  const rangeStart = (size: number): number => {
    let prev = 0;
    for (const c of all) if (c.size < size) prev = Math.max(prev, c.size);
    return prev + 1;
  };

  const trustedBySize = new Map<number, Checkpoint>();
  /** Every signature-valid checkpoint (an "open" or "seal" may share a size with another). */
  const valid: Checkpoint[] = [];
  if (pinned !== undefined) {
    // The operator's pin is trusted as data; its signature is checked when a key was pinned too.
    if (pinned.checkSignature && !checkpointVerifies(verifier, pinned.head)) {
      problems.push({ seq: 1, kind: "signature", message: `the pinned head (size ${pinned.head.size}) does not verify with the given key` });
    } else {
      trustedBySize.set(pinned.head.size, pinned.head);
      valid.push(pinned.head);
    }
  }
  let verified = 0;
  let foreignKey = 0;
  const seen = new Set<string>();
  for (const cp of all) {
    const id = `${cp.size}|${cp.sig}|${cp.chain}|${cp.root}|${cp.ts}|${cp.keyId}`;
    if (seen.has(id)) continue;
    seen.add(id);
    if (!checkpointVerifies(verifier, cp)) {
      const otherKey = verifier.knows !== undefined ? !verifier.knows(cp.keyId) : verifier.keyId !== undefined && cp.keyId !== verifier.keyId;
      if (otherKey) foreignKey++;
      problems.push({
        seq: rangeStart(cp.size),
        kind: "signature",
        message: otherKey
          ? `checkpoint at size ${cp.size} is signed by key ${cp.keyId}, and does not verify with the given key ${verifier.keyId ?? "?"} (wrong key?)`
          : `checkpoint at size ${cp.size} has a bad signature (forged or edited)`,
      });
      continue;
    }
    verified++;
    valid.push(cp);
    const prior = trustedBySize.get(cp.size);
    if (prior !== undefined && (prior.chain !== cp.chain || prior.root !== cp.root)) {
      problems.push({ seq: rangeStart(cp.size), kind: "checkpoint-mismatch", message: `two validly signed checkpoints disagree about the first ${cp.size} entries (the log was forked)` });
    } else if (prior === undefined) trustedBySize.set(cp.size, cp);
  }

  const fileSizes = new Set(file.checkpoints.map((c) => c.size));
  const dbSizes = new Set(fromDb.map((c) => c.size));
  for (const s of dbSizes) {
    if (!fileSizes.has(s)) missingFromFile.set(s, { seq: rangeStart(s), kind: "checkpoint-file", message: `checkpoint at size ${s} is in the database but missing from the checkpoint file (file truncated or edited)` });
  }
  for (const s of fileSizes) {
    // The entries stay witnessed by the file, so this names the checkpoint's own size, not its range.
    if (!dbSizes.has(s)) problems.push({ seq: s, kind: "checkpoint-file", message: `checkpoint at size ${s} is in the checkpoint file but was deleted from the database` });
  }
  let goodBefore = 0;
  const fileOrder = file.checkpoints.map((c) => c.size);
  for (const b of file.bad) {
    goodBefore = fileOrder.slice(0, Math.max(0, b.line - 1)).reduce((m, s) => Math.max(m, s), goodBefore);
    problems.push({ seq: goodBefore + 1, kind: "checkpoint-file", message: `line ${b.line} of the checkpoint file: ${b.problem}` });
  }
  const distinct = seen.size;
  return {
    trusted: [...trustedBySize.values()].sort((a, b) => a.size - b.size),
    valid,
    total: distinct,
    verified,
    problems,
    wrongKey: distinct > 0 && verified === 0 && foreignKey > 0,
    fileSizes,
    dbSizes,
    missingFromFile,
  };
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}
