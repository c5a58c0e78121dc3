/**
 * Placement is a pure function every node evaluates alike: properties over random clusters.
 * It never picks a full node or one missing a required tag, honours an eligible preferred node,
 * otherwise picks a least-loaded eligible node, and answers undefined only when none is eligible.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { eligible, place, type Candidate } from "../../src/cluster/index.js";

const TAGS = ["gpu", "ssd", "eu"] as const;
const candidate = fc.record({
  node: fc.constantFrom("n0", "n1", "n2", "n3", "n4", "n5"),
  held: fc.nat({ max: 20 }),
  capacity: fc.integer({ min: 1, max: 20 }),
  tags: fc.subarray([...TAGS]),
});
const cluster = fc.uniqueArray(candidate, { selector: (c) => c.node, maxLength: 6 });
const hints = fc.record({ node: fc.constantFrom("n0", "n1", "n9"), tags: fc.subarray([...TAGS], { maxLength: 2 }) }, { requiredKeys: [] });

describe("place", () => {
  it("picks an eligible, least-loaded node (or the eligible preferred one); undefined only when none is eligible", () => {
    fc.assert(
      fc.property(cluster, hints, (nodes: Candidate[], h) => {
        const chosen = place(nodes, h);
        const ok = nodes.filter((c) => eligible(c, h));
        if (chosen === undefined) {
          expect(ok).toEqual([]);
          return;
        }
        const c = nodes.find((n) => n.node === chosen);
        expect(c !== undefined && eligible(c, h)).toBe(true);
        if (h.node !== undefined && ok.some((n) => n.node === h.node)) {
          expect(chosen).toBe(h.node);
          return;
        }
        if (c === undefined) return;
        for (const o of ok) expect(c.held / c.capacity).toBeLessThanOrEqual(o.held / o.capacity);
      }),
      { numRuns: 2_000 },
    );
  });

  it("is order-independent (every node computes the same answer)", () => {
    fc.assert(
      fc.property(cluster, hints, (nodes: Candidate[], h) => {
        expect(place([...nodes].reverse(), h)).toBe(place(nodes, h));
      }),
      { numRuns: 1_000 },
    );
  });
});
