/**
 * Score functions the Market clears with: a bid's *effective price* in micro-credits (lower wins;
 * ties go to the earlier bid). Pure price is the default; reputationScore inflates the price of a
 * worker with a weak reputation, so reputation weighs in clearing without changing what the
 * winner is paid (always its own bid price). Reputation itself comes from planner/reputation
 * (another component), passed in as a plain function so this module does not depend on it.
 * All arithmetic is bigint: a score is money.
 */
import { AiosError } from "../../core/index.js";

export interface BidView {
  readonly taskId: string;
  readonly worker: string;
  /** Micro-credits the worker asks. */
  readonly price: bigint;
  /** The worker's own estimate of its result's quality, 0-1. */
  readonly quality: number;
  /** The worker's estimate of the time it needs, ms. */
  readonly timeMs: number;
}

/** Effective price of a bid (>= 1); lower is better. */
export type ScoreFn = (bid: BidView) => bigint;

export const priceScore: ScoreFn = (bid) => bid.price;

const permille = (x: number, what: string): bigint => {
  if (!Number.isFinite(x) || x < 0 || x > 1) throw new AiosError("E_INVALID_ARG", `${what}: must be in 0..1`, { details: { path: what } });
  return BigInt(Math.round(x * 1000));
};

/**
 * price * (1 + weight * (1 - reputation)): a worker of reputation 1 competes at its price, one of
 * reputation 0 at (1 + weight) times it. `reputation(worker)` returns 0-1 (planner/reputation's
 * global trust, say); unknown workers should get the caller's prior, not 1.
 */
export function reputationScore(reputation: (worker: string) => number, weight: number): ScoreFn {
  const w = permille(weight, "weight");
  return (bid) => {
    const r = permille(reputation(bid.worker), "reputation");
    return (bid.price * (1_000_000n + w * (1000n - r))) / 1_000_000n;
  };
}
