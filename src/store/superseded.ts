/**
 * Records a batch need not store (ADR 0071). A batch is one transaction, so no reader — recovery
 * after a crash, the live state, a compaction — can ever see one of its records without the rest:
 * a record whose every effect on the state a later record of the same batch undoes leaves the same
 * state unstored. Two kinds:
 *
 * - Calls: a `handled` record folds every call of its agent up to its `callSeq` into the checkpoint
 *   it carries (state.ts drops those calls' intent and result records). A durable LLM agent's run is
 *   the common case: each model and tool call journals a result nobody waits for, and the handled
 *   record at the end of the turn, in the same batch, folds them all.
 * - Letters: a durable agent takes a letter into its mailbox as soon as its record is appended
 *   (ADR 0052), so a busy agent often handles it before the batch is written. An `enqueue` record
 *   whose recipient's `handled` record for it follows in the batch added the letter to a mailbox and
 *   that record took it out again. It is left out only when nothing else of it must outlive the
 *   batch: it carries no de-duplication key (the handled record would move it into the recipient's
 *   window of seen keys) and, if it is a replayable send (ADR 0016), the sender's handled record for
 *   the letter it was handling also follows (until then a crash must not make the sender send again).
 */
import type { JournalRecord } from "./records.js";

/**
 * Which records of `recs` (one batch, in append order) later records of the same batch supersede,
 * or undefined when none is: one backward pass keeping, per agent, the highest callSeq a later
 * handled record folds, and per message id the agent whose later handled record acknowledges it
 * (message ids are unique: the kernel's id generator makes them).
 */
export function supersededRecords(recs: readonly JournalRecord[]): Uint8Array | undefined {
  let folded: Map<string, number> | undefined;
  let acked: Map<string, string> | undefined;
  let drop: Uint8Array | undefined;
  for (let i = recs.length - 1; i >= 0; i--) {
    const r = recs[i] as JournalRecord;
    let gone = false;
    if (r.t === "handled") {
      folded ??= new Map();
      const seen = folded.get(r.agent);
      if (seen === undefined || r.callSeq > seen) folded.set(r.agent, r.callSeq);
      if (r.msg !== undefined) (acked ??= new Map()).set(r.msg, r.agent);
    } else if (r.t === "result" || r.t === "intent") {
      const upTo = folded?.get(r.agent);
      gone = upTo !== undefined && r.callSeq <= upTo;
    } else if (r.t === "enqueue" && acked !== undefined) {
      gone = r.key === undefined && r.sent === undefined && acked.get(r.id) === r.to && (r.cause === undefined || (r.from !== undefined && acked.get(r.cause) === r.from));
    }
    if (gone) (drop ??= new Uint8Array(recs.length))[i] = 1;
  }
  return drop;
}
