/**
 * Intent and result records that a later handled record of the same batch folds are not stored
 * (ADR 0071). Properties: the state a batch folds to is the same with and without them, live and
 * after a reopen (with or without a compaction), whether records were encoded at append or deferred
 * to the batch's write (ADR 0075); a record someone awaits alone (`append`) is always stored, under
 * the seq it resolved with.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { supersededRecords } from "../../src/store/superseded.js";
import type { JournalRecord } from "../../src/store/index.js";
import { cleanupDirs, openJournal, tempDir } from "./helpers.js";
import { agent, batchesOf, expectReopensTo, fold, picture, reachable, record, viaJson } from "./record-arbitrary.js";

afterEach(cleanupDirs);

/**
 * Records as an agent's turns write them: calls and handled records of a few agents with call numbers
 * close together (so a handled record often folds a call just below, at or just above its own), and
 * letters (plain, keyed, replayable sends) with a handled record for one of a few ids, among every
 * other kind of record.
 */
const callSeq = fc.nat(5);
const letterId = fc.constantFrom("l1", "l2", "l3", "l4");
const turnRecord: fc.Arbitrary<JournalRecord> = fc.oneof(
  { arbitrary: record, weight: 3 },
  { arbitrary: fc.record({ t: fc.constant("spawn" as const), agent, spec: fc.constant({}), status: fc.constant("running" as const), callSeq: fc.constant(0) }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant("result" as const), agent, callSeq, result: fc.nat() }), weight: 4 },
  { arbitrary: fc.record({ t: fc.constant("intent" as const), agent, callSeq, syscall: fc.constant("ToolCall"), args: fc.constant({}) }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant("handled" as const), agent, callSeq, checkpoint: fc.nat() }), weight: 2 },
  // Letters handled in the batch that carries them: plain, keyed, and sends made while handling one.
  { arbitrary: fc.record({ t: fc.constant("enqueue" as const), id: letterId, to: agent, payload: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant("enqueue" as const), id: letterId, to: agent, payload: fc.nat(), key: fc.constantFrom("k1", "k2") }), weight: 1 },
  { arbitrary: fc.record({ t: fc.constant("enqueue" as const), id: letterId, to: agent, from: agent, payload: fc.nat(), cause: letterId, nth: fc.integer({ min: 1, max: 2 }) }), weight: 2 },
  { arbitrary: fc.record({ t: fc.constant("handled" as const), agent, msg: letterId, callSeq, checkpoint: fc.nat() }), weight: 3 },
);

const unreported = (e: unknown): never => {
  throw new Error(`a JSON record was reported as unencodable: ${String(e)}`);
};

const kept = (recs: readonly JournalRecord[]): JournalRecord[] => {
  const drop = supersededRecords(recs);
  return drop === undefined ? [...recs] : recs.filter((_, i) => drop[i] !== 1);
};

const result = (agent: string, callSeq: number): JournalRecord => ({ t: "result", agent, callSeq, result: callSeq });
const handled = (agent: string, callSeq: number, msg?: string): JournalRecord => ({ t: "handled", agent, callSeq, checkpoint: { at: callSeq }, ...(msg === undefined ? {} : { msg }) });
const spawn = (agent: string): JournalRecord => ({ t: "spawn", agent, spec: { name: agent }, status: "running", callSeq: 0 });

describe("superseded records", () => {
  it("drops exactly the intents and results a later handled record of their agent folds", () => {
    const recs = [spawn("a"), spawn("b"), result("a", 1), result("b", 1), result("a", 2), handled("a", 2), result("a", 3), { t: "intent", agent: "b", callSeq: 2, syscall: "ToolCall", args: {} } as JournalRecord, handled("b", 1)];
    expect(kept(recs)).toEqual([spawn("a"), spawn("b"), handled("a", 2), result("a", 3), { t: "intent", agent: "b", callSeq: 2, syscall: "ToolCall", args: {} }, handled("b", 1)]);
    // Nothing to fold: no work, no array.
    expect(supersededRecords([spawn("a"), result("a", 1)])).toBeUndefined();
    expect(supersededRecords([handled("a", 3), result("a", 1)])).toBeUndefined(); // the handled came first
  });

  it("drops a letter handled in its batch unless its key or its sender's replay note must outlive the batch", async () => {
    const dir = tempDir();
    const { journal } = await openJournal(dir, { compactOnClose: Infinity });
    const letter = (id: string, to: string, more: Partial<Extract<JournalRecord, { t: "enqueue" }>> = {}): JournalRecord => ({ t: "enqueue", id, to, payload: id, ...more });
    await Promise.all([spawn("a"), spawn("b"), letter("x", "a"), letter("x2", "a")].map((r) => journal.commit(r)));
    const before = journal.storedRows();
    await Promise.all([
      // Sent by a while it handles x, handled by b: a's handled record for x follows, so both go.
      letter("y", "b", { from: "a", cause: "x", nth: 1 }), handled("b", 0, "y"), handled("a", 0, "x"),
      // Sent by a while it handles x2, handled by b, but a is still handling x2: kept, so a crash
      // that makes a handle x2 again does not send it twice.
      letter("z", "b", { from: "a", cause: "x2", nth: 1 }), handled("b", 0, "z"),
      // Keyed: kept, so b's window of seen keys gets the key.
      letter("k", "b", { key: "dedup-1" }), handled("b", 0, "k"),
    ].map((r) => journal.commit(r)));
    const rows = journal.storedRows() - before;
    expect(rows).toBe(6); // 3 handled records for b, a's for x, and the letters z and k
    await journal.close();
    const again = await openJournal(dir);
    const s = again.journal.state;
    expect(s.wasSent("a", "x2", 1)).toBe(true);
    expect(s.wasSent("a", "x", 1)).toBe(false);
    expect([...(s.agents.get("b")?.seen ?? [])]).toEqual(["dedup-1"]);
    expect([...(s.agents.get("a")?.mailbox.entries() ?? [])].map(([id]) => id)).toEqual(["x2"]);
    await again.journal.close();
  });

  it("a batch folds to the same state without the records it drops", () => {
    fc.assert(
      fc.property(fc.array(turnRecord, { maxLength: 60 }), (generated) => {
        const recs = reachable(generated.map(viaJson));
        expect(picture(fold(kept(recs)))).toEqual(picture(fold(recs)));
      }),
      { numRuns: 1000 },
    );
  });

  it("the journal stores the same state without them, live and after a reopen, with or without a compaction", async () => {
    await fc.assert(
      fc.asyncProperty(
        batchesOf(turnRecord, 12, 6),
        fc.option(fc.nat(5)),
        // Which records are committed deferred (ADR 0075: encoded when the batch is written, if stored).
        fc.nat(),
        async (batches, compactAfter, deferMask) => {
          const dir = tempDir();
          // Inline commits: the property is about what is stored, and a writer thread per run would
          // spend the test's time starting threads.
          const { journal } = await openJournal(dir, { compactMinRows: Number.MAX_SAFE_INTEGER, compactOnClose: Infinity }, { writer: "inline" });
          let stored = journal.storedRows();
          for (const [i, batch] of batches.entries()) {
            // One batch: every record of it appended in one turn, nobody waiting for one alone.
            await Promise.all(batch.map((r, j) => ((deferMask >> (j % 30)) & 1 ? journal.commitDeferred(r, unreported) : journal.commit(r))));
            stored += kept(batch).length;
            expect(journal.storedRows()).toBe(stored);
            if (compactAfter === i) {
              await journal.compact();
              stored = journal.storedRows();
            }
          }
          const want = picture(fold(batches.flat().map(viaJson)));
          expect(picture(journal.state)).toEqual(want);
          await expectReopensTo(journal, dir, want);
        },
      ),
      { numRuns: 30 },
    );
  });

  it("a result someone awaits alone is stored under the seq it resolved with, beside dropped ones", async () => {
    const dir = tempDir();
    const { journal } = await openJournal(dir);
    await journal.append(spawn("a"));
    const start = journal.storedRows();
    const [, , awaited] = await Promise.all([
      journal.commit(result("a", 1)),
      journal.commit(result("a", 2)),
      journal.append(result("a", 3)),
      journal.commit(result("a", 4)),
      journal.commit(handled("a", 4)),
    ]);
    // Two records stored: the awaited result and the handled record; its seq is the row after the spawn's.
    expect(journal.storedRows()).toBe(start + 2);
    expect(awaited).toBe(2);
    await journal.close();
    const again = await openJournal(dir, { compactOnClose: Infinity });
    expect(again.journal.storedRows()).toBe(3);
    expect(again.journal.state.lookup("a", 3)).toEqual({ found: false, inFlight: false }); // folded by the handled record
    await again.journal.close();
  });
});
