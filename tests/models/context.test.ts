import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { estimateTokens, fitContext, promptTokens, restoreState, snapshotState, type ChatMessage, type LlmState } from "../../src/models/index.js";

const sys: ChatMessage = { role: "system", content: "You are careful." };
const goal: ChatMessage = { role: "user", content: "GOAL: find the sum" };

/** A conversation: system, goal, then turns of (assistant with tool calls + results) or (user, assistant). */
const conversation = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant("tools" as const), n: fc.integer({ min: 1, max: 3 }), size: fc.integer({ min: 1, max: 200 }) }),
    fc.record({ kind: fc.constant("chat" as const), n: fc.constant(1), size: fc.integer({ min: 1, max: 400 }) }),
  ),
  { minLength: 1, maxLength: 30 },
).map((turns) => {
  const out: ChatMessage[] = [sys, goal];
  turns.forEach((t, k) => {
    if (t.kind === "tools") {
      const calls = Array.from({ length: t.n }, (_, i) => ({ id: `c${k}_${i}`, name: "math.add", args: { a: k, b: i } }));
      out.push({ role: "assistant", content: "", toolCalls: calls });
      for (const c of calls) out.push({ role: "tool", toolCallId: c.id, name: c.name, content: "x".repeat(t.size) });
    } else {
      out.push({ role: "user", content: "u".repeat(t.size) });
      out.push({ role: "assistant", content: "a".repeat(t.size) });
    }
  });
  return out;
});

describe("context manager", () => {
  it("drop_oldest keeps system prompt, goal and latest turn, never splits tool calls from results, and fits", async () => {
    await fc.assert(
      fc.asyncProperty(conversation, fc.integer({ min: 200, max: 2000 }), async (msgs, contextSize) => {
        const o = { contextSize, reserveTokens: 50, count: estimateTokens, strategy: "drop_oldest" as const };
        let fitted;
        try {
          fitted = await fitContext(msgs, undefined, o);
        } catch (e) {
          expect((e as { code: string }).code).toBe("E_CONTEXT_OVERFLOW");
          return;
        }
        const m = fitted.messages;
        expect(m[0]).toEqual(sys);
        expect(m[1]).toEqual(goal);
        expect(m.at(-1)).toEqual(msgs.at(-1));
        expect(promptTokens(m, undefined, estimateTokens)).toBeLessThanOrEqual(contextSize - 50);
        // Every tool result follows the assistant turn that called it.
        const called = new Set<string>();
        for (const x of m) {
          if (x.role === "assistant") for (const c of x.toolCalls ?? []) called.add(c.id);
          if (x.role === "tool") expect(called.has(x.toolCallId)).toBe(true);
        }
        // What is kept is a subsequence of the original, in order.
        let j = 0;
        for (const x of m) {
          while (j < msgs.length && msgs[j] !== x) j++;
          expect(j).toBeLessThan(msgs.length);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("summarize replaces the dropped turns with one summary after the goal", async () => {
    const msgs: ChatMessage[] = [sys, goal, { role: "user", content: "old ".repeat(300) }, { role: "assistant", content: "older answer ".repeat(100) }, { role: "user", content: "latest question" }];
    let seen: ChatMessage[] = [];
    const f = await fitContext(msgs, undefined, {
      contextSize: 300, reserveTokens: 50, count: estimateTokens, strategy: "summarize",
      summarize: async (turns) => { seen = [...turns]; return "they talked about old things"; },
    });
    expect(seen).toEqual([msgs[2], msgs[3]]);
    expect(f.messages.map((m) => m.content)).toEqual([sys.content, goal.content, "Summary of the earlier conversation: they talked about old things", "latest question"]);
    expect(f.dropped).toBe(2);
  });

  it("fails clearly when the pinned part cannot fit, or when the strategy is fail", async () => {
    const huge: ChatMessage[] = [sys, { role: "user", content: "g".repeat(4000) }, { role: "user", content: "hi" }];
    await expect(fitContext(huge, undefined, { contextSize: 500, reserveTokens: 10, count: estimateTokens, strategy: "drop_oldest" })).rejects.toMatchObject({ code: "E_CONTEXT_OVERFLOW" });
    const msgs: ChatMessage[] = [sys, goal, { role: "user", content: "x".repeat(4000) }, { role: "user", content: "hi" }];
    await expect(fitContext(msgs, undefined, { contextSize: 500, reserveTokens: 10, count: estimateTokens, strategy: "fail" })).rejects.toMatchObject({ code: "E_CONTEXT_OVERFLOW" });
  });

  it("snapshot and restore of a conversation round-trip, and a corrupt checkpoint is rejected", () => {
    fc.assert(
      fc.property(conversation, fc.nat(), (messages, steps) => {
        const s: LlmState = { messages, steps, promptTokens: 10, completionTokens: 5, cost: 0.5, startedAt: 1, pending: false, lastCall: "x", repeats: 1 };
        const back = restoreState(JSON.parse(JSON.stringify(snapshotState(s))));
        expect(back).toEqual(s);
      }),
      { numRuns: 100 },
    );
    expect(() => restoreState({ messages: [{ role: "robot", content: "" }] })).toThrow(/llm agent checkpoint: messages/);
  });
});
