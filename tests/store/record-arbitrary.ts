/**
 * Journal records as fast-check generates them, and how the store's properties compare states: shared
 * by the replay and the superseded-record properties.
 */
import fc from "fast-check";
import { expect } from "vitest";
import { JournalState, type Journal, type JournalRecord } from "../../src/store/index.js";
import { openJournal } from "./helpers.js";

export const agent = fc.constantFrom("a", "b", "c");
const status = fc.constantFrom("pending", "running", "paused", "completed", "failed", "killed" as const);
// What JSON gives back: the journal stores JSON, and fc.jsonValue() may produce -0, which JSON turns
// into 0 (toEqual tells them apart).
const json = fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);

/** Arbitrary records over a few agents and message ids, so they hit each other often. */
export const record: fc.Arbitrary<JournalRecord> = fc.oneof(
  fc.record({ t: fc.constant("spawn" as const), agent, spec: json, status: fc.constantFrom("pending", "running" as const), callSeq: fc.nat(20) }),
  fc.record({ t: fc.constant("transition" as const), agent, to: status, op: fc.constantFrom("pause", "resume", "exit") }),
  fc.record({ t: fc.constant("enqueue" as const), id: fc.constantFrom("m1", "m2", "m3", "m4", "m5"), to: agent, payload: json }),
  // A replayable send (ADR 0016): the sender's note rides the recipient's letter.
  fc.record({
    t: fc.constant("enqueue" as const), id: fc.constantFrom("m1", "m2", "m3", "m4", "m5", "m6"), to: agent, from: agent, payload: json,
    cause: fc.constantFrom("m1", "m2", "m3", "m4", "m5"), nth: fc.integer({ min: 1, max: 3 }),
  }),
  fc.record({ t: fc.constant("handled" as const), agent, msg: fc.constantFrom("m1", "m2", "m3", "m4", "m5"), checkpoint: json, callSeq: fc.nat(20) }),
  fc.record({ t: fc.constant("intent" as const), agent, callSeq: fc.nat(20), syscall: fc.constant("ToolCall"), args: json }),
  fc.record({ t: fc.constant("result" as const), agent, callSeq: fc.nat(20), result: json }),
);

/** A plain, order-preserving picture of a state for deep equality. */
export function picture(s: JournalState): unknown {
  return [...s.agents.values()].map((a) => ({
    agent: a.agent,
    spec: a.spec,
    parent: a.parent,
    status: a.status,
    checkpoint: a.checkpoint,
    callSeq: a.callSeq,
    mailbox: [...a.mailbox.entries()],
    calls: [...a.calls.entries()].sort((x, y) => x[0] - y[0]),
    sent: [...(a.sent ?? new Map<string, number | number[]>())].map(([m, n]) => [m, (typeof n === "number" ? [n] : [...n]).sort()]).sort(),
    seen: [...(a.seen ?? [])],
  }));
}

export function fold(records: readonly JournalRecord[]): JournalState {
  const s = new JournalState();
  for (const r of records) s.apply(r);
  return s;
}

/**
 * The kernel journals a send's `cause` only while the sender handles that letter, i.e. while the
 * letter is in the sender's journaled mailbox (kernel.ts, letterId). A generated send note whose
 * cause is not there at that point is not a journal the kernel can write — and with made-up ids
 * reused across agents it lets a later letter of the same id look like the cause after compaction
 * reorders the records — so it is dropped.
 */
export function reachable(records: readonly JournalRecord[]): JournalRecord[] {
  const s = new JournalState();
  const out: JournalRecord[] = [];
  for (const r of records) {
    if (r.t === "enqueue" && r.cause !== undefined && r.from !== undefined && s.agents.get(r.from)?.mailbox.has(r.cause) !== true) continue;
    s.apply(r);
    out.push(r);
  }
  return out;
}

/** JSON round trip: what the journal stores is the JSON form (e.g. -0 becomes 0). */
export const viaJson = (r: JournalRecord): JournalRecord => JSON.parse(JSON.stringify(r)) as JournalRecord;

/**
 * Batches of records (one to `maxBatch` each, one to `maxBatches` of them), without the send notes
 * the kernel could not have journaled (reachable, over all the batches in order).
 */
export function batchesOf(rec: fc.Arbitrary<JournalRecord>, maxBatch: number, maxBatches: number): fc.Arbitrary<JournalRecord[][]> {
  return fc.array(fc.array(rec, { minLength: 1, maxLength: maxBatch }), { minLength: 1, maxLength: maxBatches }).map((generated) => {
    const keep = new Set(reachable(generated.flat()));
    return generated.map((b) => b.filter((r) => keep.has(r)));
  });
}

/** Closes `journal`, reopens the store in `dir` and expects no loss and the state pictured by `want`. */
export async function expectReopensTo(journal: Journal, dir: string, want: unknown): Promise<void> {
  await journal.close();
  const again = await openJournal(dir);
  expect(again.journal.recovery.loss).toBeUndefined();
  expect(picture(again.journal.state)).toEqual(want);
  await again.journal.close();
}
