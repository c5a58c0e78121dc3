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
import { FileAckMark, Journal, SqliteDriver, type JournalOptions } from "../../src/store/index.js";
import { cleanupDirs, openJournal, tempDir } from "./helpers.js";
import { batchesOf, expectReopensTo, fold, picture, reachable, record, viaJson } from "./record-arbitrary.js";

afterEach(cleanupDirs);

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
        batchesOf(record, 8, 8),
        fc.option(fc.nat(7)),
        async (batches, compactAfter) => {
          const dir = tempDir();
          const { journal } = await openJournal(dir, { compactMinRows: Number.MAX_SAFE_INTEGER });
          for (const [i, batch] of batches.entries()) {
            await Promise.all(batch.map((r) => journal.append(r)));
            if (compactAfter === i) await journal.compact();
          }
          const before = picture(journal.state);
          expect(before).toEqual(picture(fold(batches.flat().map(viaJson))));
          await expectReopensTo(journal, dir, before);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("snapshot + tail: automatic compactions, then a stop without one, reopen to the full replay's state", async () => {
    await fc.assert(
      fc.asyncProperty(
        batchesOf(record, 10, 8),
        fc.integer({ min: 1, max: 24 }),
        fc.integer({ min: 1, max: 4 }),
        async (batches, compactMinRows, compactRatio) => {
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
