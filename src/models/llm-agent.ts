/**
 * The LLM agent program (`kind: llm`): a built-in AgentLogic running the tool-calling loop. Each
 * model turn is `ctx.sys.LlmInvoke`, each tool call `ctx.sys.ToolCall` — the agent has no other door.
 * Per user turn (the goal, or a later request): fit the conversation to the window, ask the model,
 * run its tool calls, repeat until it answers without tool calls; validate a structured answer
 * against spec.output with at most `maxRepairs` repair turns. Budgets (spec.maxSteps, budget.tokens,
 * budget.credits, budget.wallTimeMs) are checked before every model turn and end the agent with
 * E_QUOTA. An identical tool call repeated `loopLimit` times is not run again; the model is told so,
 * and two more repeats end the agent. Cancellation (kill, pause) arrives as the syscalls' AbortSignal.
 * The whole state is the conversation (llm-state.ts), so a paused or crashed agent resumes from its
 * checkpoint; a turn interrupted mid-way is re-run from its last completed step.
 */
import { z } from "zod";
import { AiosError, isAiosError, type Clock, type EventBus } from "../core/index.js";
import type { AgentContext, AgentLogic, AgentSpec } from "../abi/index.js";
import "./events.js";
import { fitContext, summaryPrompt, type OverflowStrategy } from "./context.js";
import type { LlmInvokeArgs, LlmInvokeResult } from "./llm-syscall.js";
import { restoreState, snapshotState, type LlmState } from "./llm-state.js";
import { runMemoryTool } from "./memory-tools.js";
import { compileOutputSchema } from "./output-schema.js";
import { promptTokens, type TokenCounter } from "./tokens.js";
import type { ChatMessage, ToolSchema } from "./types.js";

export interface LlmAgentDeps {
  readonly clock: Clock;
  readonly events: EventBus;
  /** The window and token counter of a model (or route) name. */
  window(model: string): { contextSize: number; count: TokenCounter };
  /**
   * The JSON Schema descriptions of the tools named in spec.tools, frozen. The same list object comes
   * back for the same names while the catalog is unchanged, so every agent of a spec shares it (and
   * the validation and token-count caches keyed by it).
   */
  toolSchemas(names: readonly string[]): readonly ToolSchema[];
  readonly strategy: OverflowStrategy;
  readonly summarizer?: string;
  readonly reserveTokens: number;
  readonly maxRepairs: number;
  readonly loopLimit: number;
  readonly defaultMaxSteps: number;
  readonly maxTokens?: number;
}

/** What the agent answers a request with. */
export interface LlmAnswer {
  readonly output: unknown;
  readonly text: string;
  readonly steps: number;
  readonly usage: { readonly promptTokens: number; readonly completionTokens: number; readonly cost: number };
}

const Input = z.union([
  z.string(),
  z.looseObject({ goal: z.string() }),
  z.looseObject({ text: z.string() }),
  z.looseObject({ type: z.literal("start") }),
]);

function quota(spec: AgentSpec, what: string, limit: number, used: number): AiosError {
  return new AiosError("E_QUOTA", `agent ${spec.name}: ${what} budget exhausted (${used} of ${limit})`, { details: { budget: what, limit, used } });
}

export function llmAgentLogic(spec: AgentSpec, deps: LlmAgentDeps): AgentLogic<LlmState, unknown> {
  const model = spec.model;
  if (model === undefined) throw new AiosError("E_INVALID_SPEC", `agent ${spec.name}: model: an llm agent needs a model`, { details: { path: "model" } });
  const check = spec.output === undefined ? undefined : compileOutputSchema(spec.output, spec.name);
  // Frozen: the same list goes out every turn, so its token count is cached once (tokens.ts).
  const tools = deps.toolSchemas(spec.tools);
  const maxSteps = spec.maxSteps ?? deps.defaultMaxSteps;
  const win = deps.window(model);
  const roomCap = Math.max(1, Math.floor(win.contextSize / 4));

  // The structured-output request is the same every turn: built once.
  const output = spec.output === undefined ? undefined : { schema: spec.output };
  const invoke = (ctx: AgentContext, messages: readonly ChatMessage[], maxTokens: number | undefined): Promise<LlmInvokeResult> => {
    const args: { -readonly [K in keyof LlmInvokeArgs]: LlmInvokeArgs[K] } = { model, messages };
    if (tools.length > 0) args.tools = tools;
    if (maxTokens !== undefined) args.maxTokens = maxTokens;
    if (output !== undefined) args.output = output;
    // The kernel's SyscallMap types LlmInvoke loosely; this module's parse/handler give it these types.
    return ctx.sys.LlmInvoke(args as { model: string; messages: unknown[] }) as Promise<LlmInvokeResult>;
  };

  // Token and credit budgets are the door's (every LlmInvoke is admitted within them and settled
  // onto them); the loop keeps only what is its own: steps and wall time.
  const checkBudgets = (s: LlmState): void => {
    if (s.steps >= maxSteps) throw quota(spec, "steps", maxSteps, s.steps);
    const b = spec.budget;
    const elapsed = deps.clock.now() - s.startedAt;
    if (b?.wallTimeMs !== undefined && elapsed >= b.wallTimeMs) throw quota(spec, "wallTimeMs", b.wallTimeMs, elapsed);
  };

  /** Fits the conversation into the window; synchronous (no promise) when it fits as it is. */
  const fit = (s: LlmState, ctx: AgentContext, reserve: number): Promise<void> | undefined => {
    if (promptTokens(s.messages, tools, win.count) <= win.contextSize - reserve) return undefined;
    return refit(s, ctx, reserve);
  };
  const refit = async (s: LlmState, ctx: AgentContext, reserve: number): Promise<void> => {
    const fitted = await fitContext(s.messages, tools, {
      contextSize: win.contextSize,
      reserveTokens: reserve,
      count: win.count,
      strategy: deps.strategy,
      summarize: async (turns) => {
        const r = await ctx.sys.LlmInvoke({ model: deps.summarizer ?? model, messages: summaryPrompt(turns) }) as LlmInvokeResult;
        s.promptTokens += r.usage.promptTokens;
        s.completionTokens += r.usage.completionTokens;
        s.cost += r.cost;
        return r.text;
      },
    });
    if (fitted.strategy === "none") return;
    s.messages.splice(0, s.messages.length, ...fitted.messages);
    deps.events.emit("llm.context", { strategy: fitted.strategy, dropped: fitted.dropped, tokensBefore: fitted.tokensBefore, tokensAfter: fitted.tokensAfter }, ctx.self);
  };

  /**
   * The answer to a tool call the loop guard refuses (the same call repeated), or undefined when the
   * call may run; too many repeats end the run. Synchronous, as is everything around the call's own
   * await in the turn's loop: an async function per tool call was a frame and a promise per call.
   */
  const loopRefusal = (s: LlmState, ctx: AgentContext, name: string, args: Record<string, unknown>): string | undefined => {
    const fp = name + "\u0000" + JSON.stringify(args);
    s.repeats = fp === s.lastCall ? s.repeats + 1 : 1;
    s.lastCall = fp;
    if (s.repeats < deps.loopLimit) return undefined;
    deps.events.emit("llm.loop", { tool: name, repeats: s.repeats }, ctx.self, "warn");
    if (s.repeats >= deps.loopLimit + 2) {
      throw new AiosError("E_MODEL_OUTPUT", `agent ${spec.name}: loop: ${name} called ${s.repeats} times in a row with the same arguments`, { retryable: false, details: { tool: name, repeats: s.repeats } });
    }
    return JSON.stringify({ error: { code: "E_LOOP", message: `identical call repeated ${s.repeats} times; not run again. Use the earlier result or change approach.` } });
  };

  /** Runs one tool call of the model's: a memory syscall offered as a tool, else a ToolCall. */
  const runTool = (ctx: AgentContext, name: string, args: Record<string, unknown>): Promise<unknown> =>
    // memory.* are the memory syscalls offered as tools (memory-tools.ts); the rest are ToolCalls.
    runMemoryTool(ctx, name, args) ?? ctx.sys.ToolCall({ tool: name, args });

  const turn = async (s: LlmState, ctx: AgentContext): Promise<LlmAnswer> => {
    let repairs = 0;
    for (;;) {
      checkBudgets(s);
      const left = spec.budget?.tokens === undefined ? undefined : spec.budget.tokens - s.promptTokens - s.completionTokens;
      const wanted = left === undefined ? deps.maxTokens : Math.max(1, Math.min(left, deps.maxTokens ?? left));
      // Room for the answer fits the model: never more than a quarter of its window (a 1,024-token
      // default reserve on a 512-token model left no room for any prompt: issue #11.1).
      const maxTokens = wanted === undefined ? undefined : Math.min(wanted, roomCap);
      const fitting = fit(s, ctx, Math.min(maxTokens ?? deps.reserveTokens, roomCap));
      if (fitting !== undefined) await fitting;
      const r = await invoke(ctx, s.messages, maxTokens);
      s.steps++;
      s.promptTokens += r.usage.promptTokens;
      s.completionTokens += r.usage.completionTokens;
      s.cost += r.cost;
      if (deps.events.wants("llm.step")) deps.events.emit("llm.step", { step: s.steps, toolCalls: r.toolCalls.map((c) => c.name), finishReason: r.finishReason }, ctx.self);
      if (r.toolCalls.length > 0) {
        s.messages.push({ role: "assistant", content: r.text, toolCalls: r.toolCalls });
        // Indexed: the result is frozen, and for-of over a frozen array steps through an object per element.
        const calls = r.toolCalls;
        for (let i = 0; i < calls.length; i++) {
          const c = calls[i] as (typeof calls)[number];
          let content = loopRefusal(s, ctx, c.name, c.args);
          if (content === undefined) {
            try {
              const out = await runTool(ctx, c.name, c.args);
              content = typeof out === "string" ? out : JSON.stringify(out ?? null);
            } catch (e) {
              content = toolFailure(e);
            }
          }
          s.messages.push({ role: "tool", toolCallId: c.id, name: c.name, content });
        }
        continue;
      }
      s.messages.push({ role: "assistant", content: r.text });
      let output: unknown = r.text;
      if (check !== undefined) {
        const v = check(r.text);
        if (!v.ok) {
          if (repairs >= deps.maxRepairs) {
            throw new AiosError("E_MODEL_OUTPUT", `agent ${spec.name}: the final answer failed its schema after ${repairs} repairs: ${v.reason}`, { retryable: false, details: { reason: v.reason } });
          }
          repairs++;
          deps.events.emit("llm.repair", { attempt: repairs, reason: v.reason }, ctx.self, "warn");
          s.messages.push({ role: "user", content: `Your answer was rejected: ${v.reason}. Reply with only the corrected JSON.` });
          continue;
        }
        output = v.value;
      }
      return { output, text: r.text, steps: s.steps, usage: { promptTokens: s.promptTokens, completionTokens: s.completionTokens, cost: s.cost } };
    }
  };

  return {
    init(_ctx, args) {
      const goalArg = typeof args === "object" && args !== null && typeof (args as { goal?: unknown }).goal === "string" ? (args as { goal: string }).goal : undefined;
      const goal = goalArg ?? spec.goal;
      const messages: ChatMessage[] = [];
      if (spec.instructions !== undefined && spec.instructions !== "") messages.push({ role: "system", content: spec.instructions });
      if (goal !== undefined) messages.push({ role: "user", content: goal });
      return { messages, steps: 0, promptTokens: 0, completionTokens: 0, cost: 0, startedAt: deps.clock.now(), pending: goal !== undefined, lastCall: "", repeats: 0 };
    },
    async receive(state, message, ctx) {
      const p = Input.safeParse(message);
      if (!p.success) throw new AiosError("E_INVALID_ARG", `agent ${spec.name}: expected a string, {goal}, {text} or {type:"start"} message`, { details: { path: "message" } });
      const m = p.data;
      const text = typeof m === "string" ? m : typeof m["goal"] === "string" ? m["goal"] : typeof m["text"] === "string" ? m["text"] : undefined;
      // Work on a copy: a turn that throws leaves the checkpointed state as it was before the turn.
      const s: LlmState = { ...state, messages: [...state.messages] };
      if (text !== undefined) s.messages.push({ role: "user", content: text });
      else if (!s.pending) throw new AiosError("E_INVALID_ARG", `agent ${spec.name}: start: there is no goal to work on`, { details: { path: "message" } });
      s.pending = false;
      const answer = await turn(s, ctx);
      ctx.reply(answer);
      return s;
    },
    snapshot: snapshotState,
    restore: restoreState,
    // Answers and tool results are read, copied into messages, never changed (ADR 0075).
    leavesResultsIntact: true,
  };
}

/** A failed tool call as the model sees it; cancellation and exhausted quotas end the run instead. */
function toolFailure(e: unknown): string {
  // The model can recover from a failed tool; it cannot from cancellation or exhausted quotas.
  if (!isAiosError(e) || e.code === "E_CANCELLED" || e.code === "E_SHUTDOWN" || e.code === "E_QUOTA") throw e;
  return JSON.stringify({ error: { code: e.code, message: e.message } });
}
