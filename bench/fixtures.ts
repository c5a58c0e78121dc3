/**
 * What the agent-step suites share: the tool `add(a, b)` a user would define, and the scripted model
 * that answers a run with five calls of it, one per turn, each adding 1 to the last result, then a
 * final text with the sum (6 model turns, 5 tool calls).
 */
import { z } from "zod";
import type { ChatRequest, ReplayTurnInput } from "../src/models/index.js";
import { defineTool, type Tool } from "../src/tools/index.js";

/** `name(a, b) = a + b`, pure, needing no capability beyond the tool's own. */
export function addTool(name = "add"): Tool<{ a: number; b: number }, number> {
  return defineTool({
    name,
    description: "adds two numbers",
    input: z.strictObject({ a: z.number(), b: z.number() }),
    sideEffect: false,
    requires: () => [],
    execute: async ({ a, b }) => a + b,
  });
}

/** The scripted model's answer to `req`: another call of `tool` until five were made, then the sum. */
export function fiveAdds(tool: string, req: ChatRequest): ReplayTurnInput {
  let calls = 0;
  let last = 0;
  for (const m of req.messages) {
    if (m.role === "tool") {
      calls++;
      last = Number(m.content);
    }
  }
  return calls < 5
    ? { toolCalls: [{ name: tool, args: { a: last, b: 1 } }], usage: { promptTokens: 10, completionTokens: 5 } }
    : { text: String(last), usage: { promptTokens: 10, completionTokens: 1 } };
}
