/**
 * SmallMap (the journal state's per-agent letters) behaves as a Map under any sequence of sets and
 * deletes, across its switch to a Map past eight entries and back when emptied: the same answers
 * to get/has/size and the same insertion order.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SmallMap } from "../../src/store/small-map.js";

const op = fc.oneof(
  fc.record({ t: fc.constant("set" as const), k: fc.nat(12), v: fc.integer() }),
  fc.record({ t: fc.constant("delete" as const), k: fc.nat(12) }),
);

describe("SmallMap", () => {
  it("answers as a Map does, in insertion order, under random sets and deletes", () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const m = new Map<string, number>();
        const s = new SmallMap<string, number>();
        for (const o of ops) {
          const k = `msg_${o.k}`;
          if (o.t === "set") {
            m.set(k, o.v);
            expect(s.set(k, o.v)).toBe(s);
          } else expect(s.delete(k)).toBe(m.delete(k));
          expect(s.size).toBe(m.size);
          for (let i = 0; i <= 12; i++) {
            expect(s.get(`msg_${i}`)).toBe(m.get(`msg_${i}`));
            expect(s.has(`msg_${i}`)).toBe(m.has(`msg_${i}`));
          }
          expect([...s]).toEqual([...m]);
          expect([...s.keys()]).toEqual([...m.keys()]);
          expect([...s.values()]).toEqual([...m.values()]);
          const each: [string, number][] = [];
          s.forEach((v, k) => each.push([k, v]));
          expect(each).toEqual([...m]);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("keeps a known key's place when it is set again, in both forms", () => {
    const s = new SmallMap<string, number>();
    for (let i = 0; i < 3; i++) s.set(`k${i}`, i);
    s.set("k0", 10);
    expect([...s.keys()]).toEqual(["k0", "k1", "k2"]);
    for (let i = 3; i < 12; i++) s.set(`k${i}`, i);
    s.set("k1", 11);
    expect([...s.entries()].slice(0, 3)).toEqual([["k0", 10], ["k1", 11], ["k2", 2]]);
    for (let i = 0; i < 12; i++) s.delete(`k${i}`);
    expect(s.size).toBe(0);
    s.set("again", 1);
    expect([...s]).toEqual([["again", 1]]);
  });
});
