import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Counts } from "../../src/core/index.js";

describe("Counts", () => {
  it("holds, for any sequence of adds and removes of outstanding keys, each key's count, and only keys still outstanding", () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 4 })), { maxLength: 200 }), (ops) => {
      const c = new Counts<number>();
      const model = new Map<number, number>();
      for (const [add, k] of ops) {
        const n = model.get(k) ?? 0;
        if (add) {
          c.add(k);
          model.set(k, n + 1);
        } else if (n > 0) {
          c.remove(k);
          model.set(k, n - 1);
        }
      }
      for (let k = 0; k <= 4; k++) {
        expect(c.get(k)).toBe(model.get(k) ?? 0);
        expect(c.has(k)).toBe((model.get(k) ?? 0) > 0);
      }
    }));
  });
});
