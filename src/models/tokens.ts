/**
 * Token estimation for models whose tokenizer we do not hold (the HTTP providers). Documented
 * estimate: ceil(characters / 4) per text (the usual English BPE ratio) plus 4 tokens of framing
 * per message and 8 per tool call or tool definition. It errs high for code and low for CJK text;
 * the context manager keeps a safety margin for that reason. Local models count exactly.
 */
import type { ChatMessage, ToolSchema } from "./types.js";

export type TokenCounter = (text: string) => number;

export const estimateTokens: TokenCounter = (text) => Math.ceil(text.length / 4);

/** Counts per (counter, message object): conversations are re-counted every turn, messages rarely change. */
const memo = new WeakMap<TokenCounter, WeakMap<ChatMessage, number>>();

function counts(count: TokenCounter): WeakMap<ChatMessage, number> {
  let byMsg = memo.get(count);
  if (byMsg === undefined) memo.set(count, (byMsg = new WeakMap()));
  return byMsg;
}

function memoised(m: ChatMessage, count: TokenCounter, byMsg: WeakMap<ChatMessage, number>): number {
  const hit = byMsg.get(m);
  if (hit !== undefined && Object.isFrozen(m)) return hit;
  const n = countMessage(m, count);
  byMsg.set(m, n);
  return n;
}

export function messageTokens(m: ChatMessage, count: TokenCounter): number {
  return memoised(m, count, counts(count));
}

function countMessage(m: ChatMessage, count: TokenCounter): number {
  let n = 4 + count(m.content);
  if (m.role === "assistant") for (const c of m.toolCalls ?? []) n += 8 + count(c.name) + count(JSON.stringify(c.args));
  if (m.role === "tool") n += count(m.name);
  return n;
}

export function promptTokens(messages: readonly ChatMessage[], tools: readonly ToolSchema[] | undefined, count: TokenCounter): number {
  let n = 0;
  const byMsg = counts(count); // once per conversation, not per message
  for (const m of messages) n += memoised(m, count, byMsg);
  for (const t of tools ?? []) n += 8 + count(t.name) + count(t.description ?? "") + count(JSON.stringify(t.parameters));
  return n;
}
