/**
 * ToolCall's hand-written argument check (src/tools/syscall.ts isPlainToolCall) must never accept
 * what the zod schema rejects, and must cover the ordinary call shape.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isPlainToolCall, ToolCallArgs } from "../../src/tools/syscall.js";

const ordinary = fc.record({
  tool: fc.string({ minLength: 1, maxLength: 128 }),
  args: fc.jsonValue(),
  idempotencyKey: fc.string({ minLength: 1, maxLength: 256 }),
}, { requiredKeys: ["tool"] });

const odd = fc.oneof(fc.anything(), fc.constant(undefined), fc.string({ maxLength: 300 }), fc.integer(), fc.constant(""));
const mutated = fc.oneof(
  ordinary,
  fc.tuple(ordinary, fc.constantFrom("tool", "args", "idempotencyKey", "extra", "__proto__"), odd).map(([o, k, v]) => Object.assign({ ...o }, { [k]: v })),
  ordinary.map((o) => Object.assign(Object.create(null) as object, o)),
  ordinary.map((o) => Object.assign(new (class Call {})(), o)),
  fc.anything(),
);

describe("ToolCall's fast argument check", () => {
  it("never accepts what zod rejects", () => {
    fc.assert(fc.property(mutated, (raw) => {
      if (isPlainToolCall(raw)) expect(ToolCallArgs.safeParse(raw).success).toBe(true);
    }), { numRuns: 3000 });
  });

  it("accepts the ordinary call shape and leaves the rest to zod", () => {
    fc.assert(fc.property(ordinary, (raw) => {
      expect(isPlainToolCall(raw)).toBe(true);
    }));
    expect(isPlainToolCall({ tool: "math.add", args: { a: 1 }, extra: 1 })).toBe(false);
    expect(isPlainToolCall({ tool: "x".repeat(129) })).toBe(false);
    expect(isPlainToolCall({ tool: "t", args: {}, idempotencyKey: "" })).toBe(false);
    expect(isPlainToolCall({ tool: "t" })).toBe(true); // no args: the tool gets {}
    expect(ToolCallArgs.safeParse({ tool: "t" }).success).toBe(true);
    expect(isPlainToolCall({ tool: "math.add", args: { a: 1, b: 2 } })).toBe(true);
  });
});
