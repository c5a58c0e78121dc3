/**
 * The packed form a batch crosses to the SQLite writer thread in (sqlite-writer-protocol.ts): for any
 * rows — bodies from empty to several chunks long, one-byte or two-byte characters, lone surrogates —
 * the thread unpacks exactly the rows the journal packed, in order, each body the same characters
 * whose CRC the journal computed; the bodies travel in chunks of whole rows, none past CHUNK_CHARS
 * unless one body alone is longer.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CHUNK_CHARS, packBatch, unpackBatch } from "../../src/store/sqlite-writer-protocol.js";
import type { JournalRow } from "../../src/store/driver.js";

const body = fc.oneof(
  { weight: 6, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
  { weight: 1, arbitrary: fc.integer({ min: CHUNK_CHARS - 50, max: 2 * CHUNK_CHARS + 50 }).map((n) => "x".repeat(n)) },
  { weight: 1, arbitrary: fc.constant("") },
);
const rows = fc.array(fc.record({ kind: fc.constantFrom("handled", "enqueue", "result"), body, crc: fc.nat() }), { maxLength: 400 })
  .map((rs) => rs.map((r, i): JournalRow => ({ seq: 1000 + i, ...r })));

describe("the writer thread's packed batch", () => {
  it("unpacks exactly the rows packed, in order, from chunks of whole rows", () => {
    fc.assert(
      fc.property(rows, fc.option(fc.nat(), { nil: undefined }), (append, deleteBelow) => {
        const { batch, transfer } = packBatch({ append, ...(deleteBelow === undefined ? {} : { deleteBelow }) });
        expect(transfer).toEqual([batch.nums.buffer, batch.lens.buffer]);
        for (const c of batch.bodies) if (c.length > CHUNK_CHARS) expect(append.some((r) => r.body === c)).toBe(true);
        expect(batch.bodies.join("")).toBe(append.map((r) => r.body).join(""));
        expect(batch.chunkRows.reduce((a, b) => a + b, 0)).toBe(append.length);
        const back = unpackBatch(batch);
        expect(back.append ?? []).toEqual(append);
        expect(back.deleteBelow).toBe(deleteBelow);
      }),
      { numRuns: 500 },
    );
  });

  it("keeps an empty body after a body longer than a chunk in its place (a CI counterexample)", () => {
    const append: JournalRow[] = [
      { seq: 1, kind: "handled", crc: 0, body: "x".repeat(CHUNK_CHARS + 10) },
      { seq: 2, kind: "handled", crc: 0, body: "" },
      { seq: 3, kind: "handled", crc: 0, body: "y".repeat(CHUNK_CHARS + 20) },
      { seq: 4, kind: "handled", crc: 0, body: "{}" },
    ];
    expect(unpackBatch(packBatch({ append }).batch).append).toEqual(append);
  });

  it("packs a relay's batch of 3,000 small rows into a few chunks, not one string", () => {
    const append: JournalRow[] = Array.from({ length: 3000 }, (_, i) => ({ seq: i + 1, kind: "handled", crc: i, body: `{"t":"handled","agent":"ag_${i % 2000}","callSeq":0,"msg":"msg_${i}","checkpoint":${i % 16}}` }));
    const { batch } = packBatch({ append });
    expect(batch.bodies.length).toBeGreaterThan(1);
    for (const c of batch.bodies) expect(c.length).toBeLessThanOrEqual(CHUNK_CHARS);
    expect(unpackBatch(batch).append).toEqual(append);
  });
});
