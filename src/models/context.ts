/**
 * The context manager: keeps a conversation inside a model's window. Accounting uses the model's own
 * tokenizer when the provider has one (local) and the documented estimate otherwise (tokens.ts).
 * When the prompt plus the reserved output would not fit, a strategy makes room:
 *   drop_oldest — remove the oldest turns;
 *   summarize   — replace the oldest turns with a model-written summary;
 *   fail        — E_CONTEXT_OVERFLOW.
 * Invariants: system messages and the goal (the first user message) are never dropped; the latest
 * turn is never dropped; an assistant turn with tool calls is dropped together with its tool results
 * (a tool result without its call is rejected by the APIs). If the pinned part alone does not fit,
 * the answer is E_CONTEXT_OVERFLOW, never a silently truncated goal.
 */
import { AiosError } from "../core/index.js";
import type { ChatMessage, ToolSchema } from "./types.js";
import { messageTokens, promptTokens, type TokenCounter } from "./tokens.js";

export type OverflowStrategy = "drop_oldest" | "summarize" | "fail";

export interface WindowOptions {
  readonly contextSize: number;
  /** Tokens kept free for the answer. */
  readonly reserveTokens: number;
  readonly count: TokenCounter;
  readonly strategy: OverflowStrategy;
  /** Writes a summary of the given turns (summarize strategy). */
  readonly summarize?: (turns: readonly ChatMessage[]) => Promise<string>;
  /** Tokens set aside for the summary message (default 1/8 of the window). */
  readonly summaryTokens?: number;
}

export interface Fitted {
  readonly messages: ChatMessage[];
  readonly dropped: number;
  readonly tokensBefore: number;
  readonly tokensAfter: number;
  readonly strategy: OverflowStrategy | "none";
}

/** Splits into pinned indices and droppable units (arrays of indices, oldest first). */
function units(messages: readonly ChatMessage[]): { pinned: Set<number>; units: number[][] } {
  const pinned = new Set<number>();
  const goal = messages.findIndex((m) => m.role === "user");
  messages.forEach((m, i) => {
    if (m.role === "system" || i === goal) pinned.add(i);
  });
  const out: number[][] = [];
  for (let i = 0; i < messages.length; i++) {
    if (pinned.has(i)) continue;
    const m = messages[i];
    const unit = [i];
    if (m?.role === "assistant" && (m.toolCalls?.length ?? 0) > 0) {
      while (messages[i + 1]?.role === "tool") unit.push(++i);
    }
    out.push(unit);
  }
  return { pinned, units: out };
}

export async function fitContext(messages: readonly ChatMessage[], tools: readonly ToolSchema[] | undefined, o: WindowOptions): Promise<Fitted> {
  const budget = o.contextSize - o.reserveTokens;
  const before = promptTokens(messages, tools, o.count);
  if (before <= budget) return { messages: [...messages], dropped: 0, tokensBefore: before, tokensAfter: before, strategy: "none" };
  const overflow = (why: string): AiosError =>
    new AiosError("E_CONTEXT_OVERFLOW", `the conversation (${before} tokens) does not fit the ${o.contextSize}-token window: ${why}`, {
      details: { tokens: before, contextSize: o.contextSize, reserveTokens: o.reserveTokens },
    });
  if (o.strategy === "fail") throw overflow("the overflow strategy is fail");
  const { pinned, units: us } = units(messages);
  const summaryRoom = o.strategy === "summarize" ? (o.summaryTokens ?? Math.floor(o.contextSize / 8)) : 0;
  let total = before;
  const drop = new Set<number>();
  // Drop whole units, oldest first, never the last one (the turn the model must answer).
  for (let u = 0; u < us.length - 1 && total + summaryRoom > budget; u++) {
    for (const i of us[u] ?? []) {
      drop.add(i);
      const m = messages[i];
      if (m !== undefined) total -= messageTokens(m, o.count);
    }
  }
  if (total + summaryRoom > budget) throw overflow(pinned.size > 0 ? "even the system prompt, goal and latest turn are too long" : "the latest turn is too long");
  let summary: ChatMessage | undefined;
  if (o.strategy === "summarize" && drop.size > 0) {
    if (o.summarize === undefined) throw new AiosError("E_CONFIG", "the summarize strategy needs a summarizer model");
    const raw = await o.summarize(messages.filter((_, i) => drop.has(i)));
    // Clip the summary to its room so it cannot itself overflow.
    let text = `Summary of the earlier conversation: ${raw}`;
    while (text.length > 0 && 4 + o.count(text) > summaryRoom) text = text.slice(0, Math.floor(text.length * 0.8));
    summary = { role: "user", content: text };
  }
  // The summary takes the place of the first dropped turn: after the pinned head, before what is kept.
  const kept: ChatMessage[] = [];
  messages.forEach((m, i) => {
    if (drop.has(i)) {
      if (summary !== undefined) kept.push(summary);
      summary = undefined;
    } else kept.push(m);
  });
  return { messages: kept, dropped: drop.size, tokensBefore: before, tokensAfter: promptTokens(kept, tools, o.count), strategy: o.strategy };
}

/** The summarize strategy's prompt: the turns rendered as plain text. */
export function summaryPrompt(turns: readonly ChatMessage[]): ChatMessage[] {
  const text = turns.map((m) => (m.role === "tool" ? `tool ${m.name}: ${m.content}` : `${m.role}: ${m.content}${m.role === "assistant" && m.toolCalls ? ` [called ${m.toolCalls.map((c) => c.name).join(", ")}]` : ""}`)).join("\n");
  return [
    { role: "system", content: "Summarise the conversation below in a few sentences. Keep facts, numbers, decisions and open questions." },
    { role: "user", content: text },
  ];
}
