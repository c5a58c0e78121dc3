/**
 * agent.request: sends a request to another agent as the calling agent and returns its reply — how
 * an LLM agent delegates to a teammate. The door checks `tool:agent.request#call` and
 * `agent:<to>#send` on the tool call (the same capability AgentRequest needs), so the tool grants
 * nothing a code agent's ctx.request would not. The request travels as a letter from the caller:
 * tracing on, it carries the tool call's span, and the recipient's handling joins the caller's trace.
 * A side effect: a durable caller's replayed call returns the journaled reply instead of asking again.
 */
import { z } from "zod";
import { AiosError } from "../core/index.js";
import { defineTool, eraseTool, type AnyTool } from "./tool.js";

const Input = z.strictObject({
  to: z.string().min(1).max(256),
  message: z.unknown(),
  timeoutMs: z.number().int().positive().max(600_000).optional(),
});

export function requestTool(): AnyTool {
  return eraseTool(
    defineTool({
      name: "agent.request",
      description: "Send a request (message) to another agent by id and wait for its reply.",
      input: Input,
      sideEffect: true,
      requires: (a) => [{ resource: `agent:${a.to}`, action: "send" }],
      async execute(a, ctx) {
        if (ctx.request === undefined) throw new AiosError("E_TOOL", "agent.request needs a kernel (build toolsSubsystem into it)");
        return ctx.request(a.to, a.message, a.timeoutMs);
      },
    }),
  );
}
