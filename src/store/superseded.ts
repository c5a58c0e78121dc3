/**
 * Call records a batch need not store (ADR 0071). A `handled` record folds every call of its agent up
 * to its `callSeq` into the checkpoint it carries: the state drops those calls' intent and result
 * records when it applies it (state.ts). When such a record is in the same batch as the handled
 * record that supersedes it, the batch is one transaction, so no reader — recovery after a crash,
 * the live state, a compaction — can ever see the record without the handled record after it: the
 * batch stores the same state without it. A durable LLM agent's run is the common case: each model
 * and tool call journals a result nobody waits for, and the handled record at the end of the turn,
 * in the same batch, folds them all.
 */
import type { JournalRecord } from "./records.js";

/**
 * Which records of `recs` (one batch, in append order) a later `handled` record of the same agent
 * in the same batch supersedes, or undefined when none is: a backward pass keeping, per agent, the
 * highest callSeq a later handled record folds.
 */
export function supersededCalls(recs: readonly JournalRecord[]): Uint8Array | undefined {
  let folded: Map<string, number> | undefined;
  let drop: Uint8Array | undefined;
  for (let i = recs.length - 1; i >= 0; i--) {
    const r = recs[i] as JournalRecord;
    if (r.t === "handled") {
      folded ??= new Map();
      const seen = folded.get(r.agent);
      if (seen === undefined || r.callSeq > seen) folded.set(r.agent, r.callSeq);
    } else if ((r.t === "result" || r.t === "intent") && folded !== undefined) {
      const upTo = folded.get(r.agent);
      if (upTo !== undefined && r.callSeq <= upTo) (drop ??= new Uint8Array(recs.length))[i] = 1;
    }
  }
  return drop;
}
