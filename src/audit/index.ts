/**
 * audit/: the tamper-evident audit log (issue #5, section 8). Every syscall decision and every
 * lifecycle change becomes an entry in a SHA-256 hash chain stored in `<dataDir>/audit.db`, with
 * RFC 9162 Merkle tree heads, inclusion and consistency proofs, and Ed25519-signed checkpoints every
 * N entries that are also appended to `<dataDir>/audit.checkpoints`. `verifyAudit` (and
 * `auditVerifyCommand` for `aios audit verify`) finds edited, deleted, reordered and truncated
 * entries and a wrong key, naming the first bad entry.
 *
 * Wiring: `boot({ add: [auditSubsystem({ dataDir, signer: rootPrivateKey, redact })] })`.
 */
export { AuditLog, type AuditLogOptions } from "./log.js";
export { AuditReader, type InclusionProof, type ConsistencyProof, type EntryQuery } from "./reader.js";
export { auditSubsystem, type AuditService, type AuditSubsystemOptions } from "./subsystem.js";
export { LogAuditSink, LifecycleRecorder, DEFAULT_LIFECYCLE_EVENTS } from "./sink.js";
export { verifyAudit, type AuditVerifyOptions } from "./verify.js";
export type { AuditProblem, AuditProblemKind, AuditVerifyResult } from "./verify-types.js";
export { auditVerifyCommand, type AuditVerifyCommandResult } from "./command.js";
export { auditPaths, type AuditPaths } from "./db.js";
export { agentView, isPacked, packBatch, packedSummary, parsePacked, type PackedData, type PackedRow } from "./packed.js";
export { isPackedLifecycle, lifecycleView, packedTransitions, type PackedTransition } from "./transitions.js";
export { syscallContent, lifecycleContent, type AuditContent, type AuditEntry, type AuditKind } from "./entry.js";
export {
  ed25519Signer,
  ed25519Verifier,
  multiKeyVerifier,
  keyIdOf,
  checkpointVerifies,
  type Checkpoint,
  type CheckpointSigner,
  type CheckpointVerifier,
  type VerifierInput,
} from "./signing.js";
export { MerkleTree, MerkleAccumulator, splitPoint, type TreeHead } from "./merkle.js";
export { verifyInclusion, verifyConsistency } from "./merkle-verify.js";
export { leafHash, nodeHash, chainHash, EMPTY_ROOT, GENESIS } from "./hashing.js";
export { canonicalize } from "./canonical.js";
