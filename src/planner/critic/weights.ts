/**
 * The critic's five dimensions and their default weights (documented in docs/adr, "critic scoring"):
 *   correctness   0.35  the answer says what is true (agrees with the reference; tests pass)
 *   completeness  0.20  it covers what the reference / question asks for
 *   faithfulness  0.20  its claims are supported by the given sources, and its citations point at them
 *   safety        0.15  no leaked secrets, no destructive commands, nothing the deployment forbids
 *   format        0.10  it parses and matches the declared output schema
 * Correctness weighs most because a fluent wrong answer is the costliest failure; safety and format
 * also act as hard vetoes (a 0 there rejects whatever the sum), so their weight only ranks near-misses.
 * Weights are configurable; they must be non-negative and sum to 1.
 */
import { AiosError } from "../../core/index.js";

export const CRITIC_DIMENSIONS = ["correctness", "completeness", "faithfulness", "safety", "format"] as const;
export type CriticDimension = (typeof CRITIC_DIMENSIONS)[number];
export type CriticWeights = Readonly<Record<CriticDimension, number>>;

export const DEFAULT_WEIGHTS: CriticWeights = { correctness: 0.35, completeness: 0.2, faithfulness: 0.2, safety: 0.15, format: 0.1 };
export const DEFAULT_THRESHOLD = 0.85;

export function checkWeights(w: CriticWeights): CriticWeights {
  let sum = 0;
  for (const d of CRITIC_DIMENSIONS) {
    const v = w[d];
    if (!(v >= 0)) throw new AiosError("E_CONFIG", `critic weights.${d}: expected a number >= 0`, { details: { path: `weights.${d}` } });
    sum += v;
  }
  if (Math.abs(sum - 1) > 1e-9) throw new AiosError("E_CONFIG", `critic weights: must sum to 1 (they sum to ${sum})`, { details: { path: "weights" } });
  return w;
}
