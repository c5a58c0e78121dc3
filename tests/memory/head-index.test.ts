import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HeadIndex } from "../../src/memory/head-index.js";

describe("HeadIndex (head version hash -> record rowid)", () => {
  it("answers exactly like a map of current heads, whatever the sequence of head changes, prefix collisions included", () => {
    // Hashes share their first 8 characters often (a 2-letter alphabet there), so probe paths collide.
    const hash = fc.tuple(fc.stringMatching(/^[ab]{8}$/), fc.integer({ min: 0, max: 40 })).map(([p, n]) => `${p}${n.toString(16).padStart(56, "0")}`);
    const op = fc.tuple(fc.integer({ min: 1, max: 300 }), fc.array(hash, { maxLength: 3 }));
    fc.assert(fc.property(fc.array(op, { maxLength: 600 }), fc.array(hash, { maxLength: 30 }), (ops, probes) => {
      const rows = new Map<number, readonly string[]>();
      const idx = new HeadIndex((r) => rows.get(r));
      for (const [rowid, heads] of ops) {
        // What Catalog.put does: the row is replaced first, then its old heads leave and its new ones enter.
        const prev = rows.get(rowid) ?? [];
        const next = [...new Set(heads)];
        rows.set(rowid, next);
        for (const h of prev) idx.remove(h, rowid);
        for (const h of next) idx.add(h, rowid);
      }
      for (const heads of rows.values()) for (const h of heads) expect(rows.get(idx.get(h) as number)).toContain(h);
      for (const h of probes) {
        const owners = [...rows].filter(([, hs]) => hs.includes(h)).map(([r]) => r);
        const got = idx.get(h);
        if (owners.length === 0) expect(got).toBeUndefined();
        else expect(owners).toContain(got);
      }
    }), { numRuns: 300 });
  });

  it("keeps finding every head across growth from an empty table to 100,000 records", () => {
    const rows = new Map<number, readonly string[]>();
    const idx = new HeadIndex((r) => rows.get(r));
    const h = (i: number): string => (i * 2654435761 >>> 0).toString(16).padStart(8, "0") + i.toString(16).padStart(56, "0");
    for (let r = 1; r <= 100_000; r++) {
      rows.set(r, [h(r)]);
      idx.add(h(r), r);
    }
    for (let r = 1; r <= 100_000; r += 997) expect(idx.get(h(r))).toBe(r);
    expect(idx.get(h(100_001))).toBeUndefined();
  });
});
