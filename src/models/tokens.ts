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

/**
 * Per conversation array: its frozen prefix as last counted (by identity) and the running sums, so a
 * conversation re-sent every turn is counted from where it changed (one look-up, not one per message).
 * Only frozen messages join the prefix: a mutable one may change under the same identity.
 */
interface Counted {
  readonly count: TokenCounter;
  readonly refs: ChatMessage[];
  /** sums[k]: tokens of refs[0..k). */
  readonly sums: number[];
}
const conversations = new WeakMap<readonly ChatMessage[], Counted>();

function messagesTokens(messages: readonly ChatMessage[], count: TokenCounter): number {
  let c = conversations.get(messages);
  if (c === undefined || c.count !== count) conversations.set(messages, (c = { count, refs: [], sums: [0] }));
  const { refs, sums } = c;
  const n = Math.min(refs.length, messages.length);
  let i = 0;
  while (i < n && messages[i] === refs[i]) i++;
  refs.length = i;
  sums.length = i + 1;
  let total = sums[i] as number;
  const byMsg = counts(count);
  let extend = true;
  for (let j = i; j < messages.length; j++) {
    const m = messages[j] as ChatMessage;
    total += memoised(m, count, byMsg);
    if (extend && Object.isFrozen(m)) {
      refs.push(m);
      sums.push(total);
    } else extend = false;
  }
  return total;
}

/** Tool-list counts, per list and counter, kept only for lists whose every tool is frozen (unchangeable). */
const toolLists = new WeakMap<readonly ToolSchema[], { readonly count: TokenCounter; readonly n: number }>();

function toolsTokens(tools: readonly ToolSchema[], count: TokenCounter): number {
  const hit = toolLists.get(tools);
  if (hit !== undefined && hit.count === count) return hit.n;
  let n = 0;
  let frozen = Object.isFrozen(tools);
  for (const t of tools) {
    n += 8 + count(t.name) + count(t.description ?? "") + count(JSON.stringify(t.parameters));
    frozen &&= Object.isFrozen(t) && Object.isFrozen(t.parameters);
  }
  if (frozen) toolLists.set(tools, { count, n });
  return n;
}

export function promptTokens(messages: readonly ChatMessage[], tools: readonly ToolSchema[] | undefined, count: TokenCounter): number {
  return messagesTokens(messages, count) + (tools === undefined ? 0 : toolsTokens(tools, count));
}
