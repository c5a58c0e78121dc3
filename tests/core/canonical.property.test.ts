/**
 * core/canonical.ts against a reference written from its definition (keys sorted by UTF-16 code
 * unit at every level, JSON.stringify for the rest): equal on any JSON value, whatever order the
 * keys were inserted in — the encoder skips the sort when an object's keys are already in order.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/core/canonical.js";

function reference(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(reference).join(",")}]`;
  if (typeof v === "object" && v !== null) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${reference(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/** The same object with its keys inserted in the given order (a permutation of them). */
function reordered(v: unknown, flip: boolean): unknown {
  if (Array.isArray(v)) return v.map((x) => reordered(x, flip));
  if (typeof v !== "object" || v === null) return v;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  if (flip) keys.reverse();
  // No prototype: a generated "__proto__" key must become an own key here, as JSON.parse makes it,
  // not set the prototype (which drops the key: seed -1205148358 found that in this helper).
  const out = Object.create(null) as Record<string, unknown>;
  for (const k of keys) out[k] = reordered(o[k], flip);
  return out;
}

describe("canonicalJson", () => {
  it("equals the reference for any JSON value, keys inserted sorted, reversed or as generated", () => {
    fc.assert(
      fc.property(fc.jsonValue({ noUnicodeString: false }), (v) => {
        const want = reference(v);
        expect(canonicalJson(v)).toBe(want);
        expect(canonicalJson(reordered(v, false))).toBe(want);
        expect(canonicalJson(reordered(v, true))).toBe(want);
      }),
      { numRuns: 500 },
    );
  });

  it("keeps a \"__proto__\" key that JSON.parse made an own key", () => {
    const v: unknown = JSON.parse('[{"b":1,"__proto__":{"x":[]}}]');
    expect(canonicalJson(v)).toBe('[{"__proto__":{"x":[]},"b":1}]');
    expect(canonicalJson(reordered(v, true))).toBe('[{"__proto__":{"x":[]},"b":1}]');
  });

  it("orders keys by UTF-16 code unit, numeric-looking keys included", () => {
    expect(canonicalJson({ b: 1, a: 2, "\u00e9": 3, Z: 4, "10": 5, "9": 6 })).toBe('{"10":5,"9":6,"Z":4,"a":2,"b":1,"\u00e9":3}');
  });
});
