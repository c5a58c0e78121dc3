/**
 * Property (fast-check): whatever bits are flipped in the SQLite file, recovery never loses data
 * silently. Either opening fails with an AiosError, or the journal reports a loss, or every record
 * is there — and the records it does return are exactly the original prefix, in order.
 */
import { readFileSync, writeFileSync, cpSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAiosError } from "../../src/core/index.js";
import { Journal, SqliteDriver } from "../../src/store/index.js";
import { cleanupDirs, openJournal, tempDir } from "./helpers.js";

const N = 600;
let pristine = "";

beforeAll(async () => {
  pristine = tempDir("aios-pristine-");
  const { journal } = await openJournal(pristine);
  await journal.append({ t: "spawn", agent: "a", spec: { name: "a" }, status: "running", callSeq: 0 });
  await Promise.all(Array.from({ length: N - 1 }, (_, i) => journal.append({ t: "enqueue", id: `m${i + 2}`, to: "a", payload: { n: i + 2, pad: "p".repeat(i % 50) } })));
  await journal.close();
});
afterAll(cleanupDirs);

describe("random damage to the database file", () => {
  it("is reported or harmless, never silent, and the kept prefix is exact", async () => {
    const size = readFileSync(join(pristine, "aios.db")).length;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ at: fc.nat(size - 1), bit: fc.nat(7) }), { minLength: 1, maxLength: 4 }), async (flips) => {
        const dir = tempDir("aios-flip-");
        cpSync(pristine, dir, { recursive: true });
        const file = join(dir, "aios.db");
        const bytes = readFileSync(file);
        for (const f of flips) bytes[f.at] = bytes[f.at]! ^ (1 << f.bit);
        writeFileSync(file, bytes);
        let journal: Journal;
        try {
          journal = await Journal.open(SqliteDriver.open(dir));
        } catch (e) {
          expect(isAiosError(e), String(e instanceof Error ? e.stack : e)).toBe(true); // refused loudly, e.g. E_CORRUPT on a damaged header
          return;
        }
        try {
          const { records, lost } = journal.recovery;
          if (lost === undefined) expect(records).toBe(N);
          else {
            expect(lost.fromSeq).toBe(records + 1);
            expect(lost.count).toBe(lost.toSeq - lost.fromSeq + 1);
          }
          const mail = [...(journal.state.agents.get("a")?.mailbox.values() ?? [])];
          expect(mail.length).toBe(Math.max(0, records - 1));
          mail.forEach((m, i) => expect(m).toEqual({ t: "enqueue", id: `m${i + 2}`, to: "a", payload: { n: i + 2, pad: "p".repeat(i % 50) } }));
        } finally {
          await journal.close();
        }
      }),
      { numRuns: Number(process.env["AIOS_FLIP_RUNS"] ?? 60) },
    );
  }, 120_000);
});
