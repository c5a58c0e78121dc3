/**
 * settledSpec (abi/settled-spec.ts): a spec input may be cached by identity only when nothing in it
 * can change — frozen through and through, but for the values a parsed spec keeps by reference.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { settledSpec } from "../../src/abi/index.js";

function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null) {
    for (const x of Object.values(v)) deepFreeze(x);
    Object.freeze(v);
  }
  return v;
}

const logic = { receive: (s: unknown) => s };

describe("settledSpec", () => {
  it("holds for a spec frozen through and through, and not for one with anything left open", () => {
    expect(settledSpec(deepFreeze({ name: "a", kind: "code", logic: "echo", capabilities: ["agent#spawn"], budget: { tokens: 5 } }))).toBe(true);
    expect(settledSpec({ name: "a", kind: "code", logic: "echo" })).toBe(false);
    expect(settledSpec(Object.freeze({ name: "a", kind: "code", capabilities: ["agent#spawn"] }))).toBe(false);
    expect(settledSpec(Object.freeze({ name: "a", kind: "supervisor", children: Object.freeze([{ name: "c", kind: "code", logic: "echo" }]) }))).toBe(false);
    expect(settledSpec(deepFreeze({ name: "a", kind: "supervisor", children: [{ name: "c", kind: "code", logic: "echo" }] }))).toBe(true);
  });

  it("leaves out what a parsed spec keeps by reference: its logic and its args, at any level", () => {
    const args = { n: 1 };
    expect(settledSpec(Object.freeze({ name: "a", kind: "code", logic, args }))).toBe(true);
    expect(settledSpec(deepFreeze({ name: "s", kind: "supervisor", children: [{ name: "c", kind: "code", logic: "echo" }] }))).toBe(true);
    const child = Object.freeze({ name: "c", kind: "code", logic, args });
    expect(settledSpec(Object.freeze({ name: "s", kind: "supervisor", children: Object.freeze([child]) }))).toBe(true);
  });

  it("is true after a deep freeze and false once any nested object is an unfrozen copy (property)", () => {
    const value = fc.letrec((tie) => ({
      leaf: fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null)),
      node: fc.oneof({ depthSize: "small" }, tie("leaf"), fc.array(tie("node"), { maxLength: 3 }), fc.dictionary(fc.constantFrom("a", "b", "mailbox", "budget"), tie("node"), { maxKeys: 3 })),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom("name", "tools", "capabilities", "budget", "mailbox", "children"), value, { maxKeys: 4 }), fc.nat(), (spec, pick) => {
        const frozen = deepFreeze(structuredClone(spec));
        expect(settledSpec(frozen)).toBe(true);
        // Every nested object of a fresh copy; all frozen but one (never under logic or args: the keys above).
        const open = structuredClone(spec);
        const nested: object[] = [];
        const walk = (o: unknown): void => {
          if (typeof o !== "object" || o === null) return;
          for (const v of Object.values(o)) {
            if (typeof v === "object" && v !== null) nested.push(v as object);
            walk(v);
          }
        };
        walk(open);
        if (nested.length === 0) return;
        const thawed = nested[pick % nested.length];
        const freezeBut = (o: unknown): void => {
          if (typeof o !== "object" || o === null) return;
          for (const v of Object.values(o)) freezeBut(v);
          if (o !== thawed) Object.freeze(o);
        };
        freezeBut(open);
        expect(settledSpec(open)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
