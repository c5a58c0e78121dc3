/**
 * Properties (fast-check): journal replay — the state recovered after reopening equals the state the
 * journal held before it closed, and equals a direct fold of every record; compaction — folding
 * `toRecords()` reproduces the state exactly, also after a compaction written to disk; snapshot plus
 * tail — a journal that compacted itself automatically (its live state rewritten as a snapshot, the
 * history before it dropped) and then stopped without compacting at close, as after kill -9, reopens
 * to exactly the state a fold of every record gives, and never held more rows than its compaction
 * threshold once a batch had settled (issue #17.6: the tail a restart reads is bounded).
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { join } from "node:path";
import { FileAckMark, Journal, JournalState, SqliteDriver, type JournalOptions, type JournalRecord } from "../../src/store/index.js";
import { cleanupDirs, openJournal, tempDir } from "./helpers.js";

afterEach(cleanupDirs);

const agent = fc.constantFrom("a", "b", "c");
const status = fc.constantFrom("pending", "running", "paused", "completed", "failed", "killed" as const);
// What JSON gives back: the journal stores JSON, and fc.jsonValue() may produce -0, which JSON turns
// into 0 (toEqual tells them apart).
const json = fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);

/** Arbitrary records over a few agents and message ids, so they hit each other often. */
const record: fc.Arbitrary<JournalRecord> = fc.oneof(
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
function picture(s: JournalState): unknown {
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
  }));
}

function fold(records: readonly JournalRecord[]): JournalState {
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
function reachable(records: readonly JournalRecord[]): JournalRecord[] {
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
const viaJson = (r: JournalRecord): JournalRecord => JSON.parse(JSON.stringify(r)) as JournalRecord;

describe("journal properties", () => {
  it("compaction is lossless: fold(toRecords(state)) equals state, and size() counts toRecords()", () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 80 }), (records) => {
        const s = fold(reachable(records.map(viaJson)));
        expect(picture(fold(s.toRecords()))).toEqual(picture(s));
        // The incrementally kept size (the compaction trigger) equals a recount.
        expect(s.size()).toBe(s.toRecords().length);
      }),
      { numRuns: 500 },
    );
  });

  it("replay: reopening yields the state before close, with and without a compaction in between", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(record, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 8 }),
        fc.option(fc.nat(7)),
        async (generated, compactAfter) => {
          const keep = new Set(reachable(generated.flat()));
          const batches = generated.map((b) => b.filter((r) => keep.has(r)));
          const dir = tempDir();
          const { journal } = await openJournal(dir, { compactMinRows: Number.MAX_SAFE_INTEGER });
          for (const [i, batch] of batches.entries()) {
            await Promise.all(batch.map((r) => journal.append(r)));
            if (compactAfter === i) await journal.compact();
          }
          const before = picture(journal.state);
          expect(before).toEqual(picture(fold(batches.flat().map(viaJson))));
          await journal.close();
          const again = await openJournal(dir);
          expect(again.journal.recovery.loss).toBeUndefined();
          expect(picture(again.journal.state)).toEqual(before);
          await again.journal.close();
        },
      ),
      { numRuns: 25 },
    );
  });

  it("snapshot + tail: automatic compactions, then a stop without one, reopen to the full replay's state", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(record, { minLength: 1, maxLength: 10 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 1, max: 4 }),
        async (generated, compactMinRows, compactRatio) => {
          const keep = new Set(reachable(generated.flat()));
          const batches = generated.map((b) => b.filter((r) => keep.has(r)));
          const dir = tempDir();
          // compactOnClose: Infinity — the close writes no snapshot, like a daemon killed after its
          // last acknowledgement: the next open reads the last automatic snapshot plus the tail.
          // Inline commits: the property is about what is stored, and a writer thread per run would
          // spend the test's time starting threads.
          const open = (o: JournalOptions) => Journal.open(SqliteDriver.open(dir, { writer: "inline" }), { ack: new FileAckMark(join(dir, "journal.ack")), ...o });
          const journal = await open({ compactMinRows, compactRatio, compactOnClose: Infinity });
          let appended = 0;
          for (const batch of batches) {
            await Promise.all(batch.map((r) => journal.append(r)));
            appended += batch.length;
            await journal.flush();
            expect(journal.storedRows()).toBeLessThan(journal.compactionThreshold());
          }
          const stored = journal.storedRows();
          const full = picture(fold(batches.flat().map(viaJson)));
          expect(picture(journal.state)).toEqual(full);
          await journal.close();
          const again = await open({ compactOnClose: Infinity });
          expect(again.recovery.loss).toBeUndefined();
          expect(again.recovery.findings).toEqual([]);
          // What the reopen read: the snapshot and the tail, as stored.
          expect(again.recovery.records).toBe(stored);
          expect(stored).toBeLessThanOrEqual(Math.max(appended, again.state.size()));
          expect(picture(again.state)).toEqual(full);
          await again.close();
        },
      ),
      { numRuns: 20 },
    );
  });
});
