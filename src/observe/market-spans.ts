/**
 * The planner's market steps as spans: `market {op}` for each Contract Net syscall (post, bid,
 * refuse, award, done, fail, verdict) and `critic judge` for CriticVerdict. A plan's own calls are
 * made as its poster, which carries the plan's span, and a worker bids while it handles the plan's
 * call for proposals (a handling span under the plan's): so a plan's round — post, every bid, the
 * award with its escrow reservation, the work, the critic's judgement and the verdict that posts or
 * voids the escrow — is one subtree of the plan's trace. Money crosses as decimal strings of
 * micro-credits and stays one here (an attribute has no bigint). Names live in semconv.ts.
 */
import type { Span } from "@opentelemetry/api";
import { num, obj, str } from "./loose-values.js";
import { AIOS_ATTR, SPAN } from "./semconv.js";

export const MARKET_SYSCALLS = ["MarketPost", "MarketBid", "MarketRefuse", "MarketAward", "MarketDone", "MarketFail", "MarketVerdict", "CriticVerdict"] as const;

/** The span's name: `critic judge`, or `market {op}` (MarketPost -> `market post`). */
export function marketSpanName(name: string): string {
  return name === "CriticVerdict" ? SPAN.criticJudge : SPAN.market(name.slice("Market".length).toLowerCase());
}

/** The request's attributes (the critic's answer and question are the worker's and the user's text: not attributes). */
export function marketRequest(span: Span, name: string, args: unknown): void {
  const a = obj(args);
  const task = str(a["taskId"]) ?? str(a["subject"]);
  if (task !== undefined) span.setAttribute(AIOS_ATTR.MARKET_TASK, task);
  switch (name) {
    case "MarketPost": {
      const budget = str(a["budget"]);
      if (budget !== undefined) span.setAttribute(AIOS_ATTR.MARKET_BUDGET, budget);
      break;
    }
    case "MarketBid": {
      const price = str(a["price"]);
      const quality = num(a["quality"]);
      if (price !== undefined) span.setAttribute(AIOS_ATTR.MARKET_PRICE, price);
      if (quality !== undefined) span.setAttribute(AIOS_ATTR.MARKET_QUALITY, quality);
      break;
    }
    case "MarketVerdict":
      span.setAttribute(AIOS_ATTR.ESCROW, a["accept"] === true ? "post" : "void");
      span.setAttribute(AIOS_ATTR.ESCROW_RESERVATION, `task:${task ?? ""}`);
      break;
    case "CriticVerdict": {
      const worker = str(a["worker"]);
      if (worker !== undefined) span.setAttribute(AIOS_ATTR.MARKET_WORKER, worker);
    }
  }
}

/** The result's attributes: an award's worker, price and escrow reservation; the critic's verdict. */
export function marketOutcome(span: Span, name: string, result: unknown): void {
  const r = obj(result);
  if (name === "MarketAward") {
    const awards = Object.values(obj(r["awards"]));
    span.setAttribute(AIOS_ATTR.MARKET_AWARDS, awards.length);
    // One task per award call from a plan; a call auction's several awards are in the market view.
    if (awards.length !== 1) return;
    const award = obj(awards[0]);
    const worker = str(award["worker"]);
    const price = str(award["price"]);
    const reservation = str(award["reservation"]);
    if (worker !== undefined) span.setAttribute(AIOS_ATTR.MARKET_WORKER, worker);
    if (price !== undefined) span.setAttribute(AIOS_ATTR.MARKET_PRICE, price);
    span.setAttribute(AIOS_ATTR.ESCROW, "reserve");
    if (reservation !== undefined) span.setAttribute(AIOS_ATTR.ESCROW_RESERVATION, reservation);
  } else if (name === "CriticVerdict") {
    const score = num(r["score"]);
    const threshold = num(r["threshold"]);
    if (typeof r["accept"] === "boolean") span.setAttribute(AIOS_ATTR.CRITIC_ACCEPT, r["accept"]);
    if (score !== undefined) span.setAttribute(AIOS_ATTR.CRITIC_SCORE, score);
    if (threshold !== undefined) span.setAttribute(AIOS_ATTR.CRITIC_THRESHOLD, threshold);
  }
}
