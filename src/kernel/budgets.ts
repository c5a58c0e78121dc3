/**
 * Budgets (DESIGN "The door": admit and settle). An agent's spec budget (tokens, credits) is the
 * kernel's to enforce, once, here: the door admits a counted call (a syscall whose definition reports
 * real usage, e.g. LlmInvoke) only while every budget holder in its chain has budget left, and settles
 * the call's real usage onto all of them. The chain is the agent and its creators (spawn-rule.ts): a
 * child's use is charged to the budget it was carved from.
 *
 * Concurrency: a holder admits one counted call at a time; the others wait for it to settle and are
 * then checked again. So a budget of N is never exceeded by more than one call's usage, however many
 * calls an agent (or its children) make at once.
 */
import { AiosError } from "../core/index.js";
import type { CallUsage } from "../abi/index.js";
import type { Proc } from "./proc.js";
import { creatorOf } from "./spawn-rule.js";

const gates = new WeakMap<Proc, (() => void)[]>();

/** The agent and its creators that have a token or credit budget, nearest first. */
export function budgetHolders(p: Proc): Proc[] {
  const out: Proc[] = [];
  for (let h: Proc | null = p; h !== null; h = creatorOf(h.parent)) {
    const b = h.spec.budget;
    if (b !== undefined && (b.tokens !== undefined || b.credits !== undefined)) out.push(h);
  }
  return out;
}

function spent(h: Proc): AiosError | undefined {
  const b = h.spec.budget;
  const u = h.usage;
  if (b?.tokens !== undefined && u.tokens >= b.tokens) {
    return new AiosError("E_QUOTA", `agent ${h.spec.name} (${h.id}): tokens budget exhausted (${u.tokens} of ${b.tokens})`, { details: { agent: h.id, budget: "tokens", limit: b.tokens, used: u.tokens } });
  }
  if (b?.credits !== undefined && u.credits >= b.credits) {
    return new AiosError("E_QUOTA", `agent ${h.spec.name} (${h.id}): credits budget exhausted (${u.credits} of ${b.credits})`, { details: { agent: h.id, budget: "credits", limit: b.credits, used: u.credits } });
  }
  return undefined;
}

/**
 * Admits a counted call for `p`: resolves with the holders it gated (release them with settle), or
 * rejects with E_QUOTA naming the holder whose budget is spent. Synchronous (no promise) when free.
 */
export function admitBudget(p: Proc): Proc[] | Promise<Proc[]> {
  const holders = budgetHolders(p);
  if (holders.length === 0) return holders;
  const busy = holders.find((h) => gates.has(h));
  if (busy !== undefined) return new Promise<void>((r) => gates.get(busy)?.push(r)).then(() => admitBudget(p));
  for (const h of holders) {
    const err = spent(h);
    if (err !== undefined) throw err;
  }
  for (const h of holders) gates.set(h, []);
  return holders;
}

/** Charges real usage to every holder (and the agent itself) and opens their gates. */
export function settleBudget(p: Proc, holders: readonly Proc[], usage: CallUsage | undefined): void {
  if (usage !== undefined && (usage.tokens > 0 || usage.credits > 0)) {
    for (let h: Proc | null = p; h !== null; h = creatorOf(h.parent)) charge(h, usage);
  }
  for (const h of holders) {
    const waiting = gates.get(h);
    gates.delete(h);
    if (waiting !== undefined) for (const w of waiting) w();
  }
}

function charge(h: Proc, usage: CallUsage): void {
  if (Object.isFrozen(h.usage)) h.usage = { tokens: 0, credits: 0, wallTimeMs: 0 };
  h.usage.tokens += usage.tokens;
  h.usage.credits += usage.credits;
}
