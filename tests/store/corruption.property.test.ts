/**
 * Property (fast-check): whatever bits are flipped in the SQLite file, recovery never loses data
 * silently. By default a loss refuses to open (E_CORRUPT); accepting it, every seq 1..N is either
 * kept or named in a loss range, and what is kept is exactly the original, in order.
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
        const refused = await (async () => Journal.open(SqliteDriver.open(dir)))().then(
          async (j) => {
            await j.close();
            return undefined;
          },
          (e: unknown) => e,
        );
        if (refused !== undefined) expect(isAiosError(refused), refused instanceof Error ? refused.stack : "not an Error").toBe(true);
        let journal: Journal;
        try {
          journal = await Journal.open(SqliteDriver.open(dir), { onLoss: "accept" });
        } catch (e) {
          expect(isAiosError(e), String(e instanceof Error ? e.stack : e)).toBe(true); // refused loudly, e.g. E_CORRUPT on a damaged header
          return;
        }
        try {
          const { records, loss } = journal.recovery;
          if (refused === undefined) expect(loss).toBeUndefined();
          const lost = (seq: number): boolean => loss?.ranges.some((r) => r.fromSeq <= seq && seq <= r.toSeq) ?? false;
          if (loss === undefined) expect(records).toBe(N);
          const expectedIds = lost(1) ? [] : Array.from({ length: N - 1 }, (_, i) => i + 2).filter((seq) => !lost(seq));
          const mail = [...(journal.state.agents.get("a")?.mailbox.values() ?? [])];
          expect(mail.map((m) => m.id)).toEqual(expectedIds.map((seq) => `m${seq}`));
          for (const m of mail) {
            const n = Number(m.id.slice(1));
            expect(m).toEqual({ t: "enqueue", id: `m${n}`, to: "a", payload: { n, pad: "p".repeat((n - 2) % 50) } });
          }
        } finally {
          await journal.close();
        }
      }),
      { numRuns: Number(process.env["AIOS_FLIP_RUNS"] ?? 60) },
    );
  }, 120_000);
});
