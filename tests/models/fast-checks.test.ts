/**
 * The hand-written fast paths in front of zod (src/models/fast-checks.ts) must never widen what the
 * schemas accept: check(x) => schema accepts x, with the same output where the check builds one.
 * And they must actually cover the shapes the agent step sends, or they save nothing.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChatMessageSchema, ReplayTurnSchema, ToolSchemaSchema } from "../../src/models/index.js";
import { invokeFields, isChatMessage, isToolSchema, replayTurn } from "../../src/models/fast-checks.js";
import { ArgsSchema } from "../../src/models/llm-syscall.js";

/** Any value, or (often) one of `base`'s fields changed, dropped or joined by a stray one. */
function mutated<T extends Record<string, unknown>>(base: fc.Arbitrary<T>): fc.Arbitrary<unknown> {
  const odd = fc.oneof(fc.anything(), fc.constant(undefined), fc.constant(""), fc.integer(), fc.string(), fc.constant(Symbol("s")));
  const change = fc.tuple(base, fc.string(), odd, fc.nat(4)).map(([b, key, value, how]) => {
    const keys = Object.keys(b);
    const k = keys.length > 0 && how < 3 ? (keys[how % keys.length] as string) : key;
    const o: Record<string, unknown> = { ...b };
    if (how === 1) delete o[k];
    else o[k] = value;
    return o;
  });
  const protoSwap = base.map((b) => Object.assign(Object.create(null) as object, b));
  const instance = base.map((b) => Object.assign(new (class Msg {})(), b));
  return fc.oneof(base, change, protoSwap, instance, fc.anything());
}

// An own "__proto__" key is legal JSON but left to zod on purpose; the coverage test needs ordinary keys.
const args = fc.dictionary(fc.string().filter((k) => k !== "__proto__"), fc.jsonValue(), { maxKeys: 3 });
const anyArgs = fc.oneof(args, fc.dictionary(fc.constantFrom("__proto__", "a"), fc.jsonValue(), { maxKeys: 2 }));
const toolCall = fc.record({ id: fc.string({ minLength: 1 }), name: fc.string({ minLength: 1 }), args });
const anyToolCall = fc.record({ id: fc.string({ minLength: 1 }), name: fc.string({ minLength: 1 }), args: anyArgs });
const anyMessage = fc.record({ role: fc.constant("assistant"), content: fc.string(), toolCalls: fc.array(anyToolCall, { maxLength: 2 }) });
const message = fc.oneof(
  fc.record({ role: fc.constantFrom("system", "user"), content: fc.string() }),
  fc.record({ role: fc.constant("assistant"), content: fc.string(), toolCalls: fc.array(toolCall, { maxLength: 2 }) }, { requiredKeys: ["role", "content"] }),
  fc.record({ role: fc.constant("tool"), toolCallId: fc.string({ minLength: 1 }), name: fc.string({ minLength: 1 }), content: fc.string() }),
);
const toolSchema = fc.record({ name: fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/), description: fc.string(), parameters: args }, { requiredKeys: ["name", "parameters"] });
const invoke = fc.record({
  model: fc.string(), messages: fc.array(message, { maxLength: 3 }), tools: fc.array(toolSchema, { maxLength: 2 }),
  maxTokens: fc.oneof(fc.integer({ min: -2, max: 10 }), fc.double()), temperature: fc.double({ min: -1, max: 3 }),
}, { requiredKeys: ["messages"] });
const turn = fc.record({
  text: fc.string(),
  toolCalls: fc.array(fc.record({ id: fc.string(), name: fc.string(), args }, { requiredKeys: ["name"] }), { maxLength: 2 }),
  usage: fc.record({ promptTokens: fc.integer({ min: -1, max: 100 }), completionTokens: fc.integer({ min: 0, max: 100 }) }),
}, { requiredKeys: [] });

describe("fast checks never accept what zod rejects", () => {
  it("chat messages", () => {
    fc.assert(fc.property(fc.oneof(mutated(message), mutated(anyMessage)), (m) => {
      if (isChatMessage(m)) expect(ChatMessageSchema.safeParse(m).success).toBe(true);
    }), { numRuns: 3000 });
  });

  it("tool schemas", () => {
    fc.assert(fc.property(mutated(toolSchema), (t) => {
      if (isToolSchema(t)) expect(ToolSchemaSchema.safeParse(t).success).toBe(true);
    }), { numRuns: 2000 });
  });

  it("LlmInvoke arguments, with the same fields zod outputs", () => {
    fc.assert(fc.property(mutated(invoke), (a) => {
      const fast = invokeFields(a);
      if (fast === undefined) return;
      const z = ArgsSchema.safeParse(a);
      expect(z.success).toBe(true);
      expect(fast).toEqual(z.data);
    }), { numRuns: 3000 });
  });

  it("replay turns, with the same output (defaults filled) zod gives", () => {
    fc.assert(fc.property(mutated(turn), (t) => {
      const fast = replayTurn(t);
      if (fast === undefined) return;
      const z = ReplayTurnSchema.safeParse(t);
      expect(z.success).toBe(true);
      expect(fast).toEqual(z.data);
    }), { numRuns: 3000 });
  });
});

describe("fast checks cover the shapes an agent step sends", () => {
  it("accepts every well-formed message, tool schema, argument object and plain turn", () => {
    fc.assert(fc.property(message, toolSchema, (m, t) => {
      expect(isChatMessage(m)).toBe(true);
      expect(isToolSchema(t)).toBe(true);
      expect(invokeFields({ model: "m", messages: [m], tools: [t], maxTokens: 5, temperature: 0.5 })).toBeDefined();
    }));
    expect(replayTurn({ toolCalls: [{ name: "math.add", args: { a: 1, b: 1 } }], usage: { promptTokens: 10, completionTokens: 5 } }))
      .toEqual({ text: "", toolCalls: [{ name: "math.add", args: { a: 1, b: 1 } }], usage: { promptTokens: 10, completionTokens: 5 } });
  });

  it("leaves the unusual to zod: class instances, symbol keys, __proto__ keys, error turns", () => {
    expect(isChatMessage(Object.assign(new (class X {})(), { role: "user", content: "x" }))).toBe(false);
    expect(isChatMessage({ role: "assistant", content: "", toolCalls: [{ id: "1", name: "t", args: { [Symbol("k")]: 1 } }] })).toBe(false);
    expect(isChatMessage(JSON.parse('{"role":"assistant","content":"","toolCalls":[{"id":"1","name":"t","args":{"__proto__":{"x":1}}}]}'))).toBe(false);
    expect(replayTurn({ error: { code: "E_MODEL", message: "down" } })).toBeUndefined();
    expect(invokeFields({ messages: [{ role: "user", content: "x" }], output: { schema: {} } })).toBeUndefined();
  });
});
