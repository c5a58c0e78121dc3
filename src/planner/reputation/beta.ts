/**
 * A Beta posterior with exponential forgetting: evidence for "success" (alpha) and "failure" (beta)
 * above a uniform Beta(1,1) prior, decayed by half every `halfLifeMs` of (injected-clock) time before
 * each update and each read. Why Beta: outcomes are pass/fail or a fraction in [0,1], the mean
 * (alpha/(alpha+beta)) and the uncertainty (few observations stay near 0.5) come for free, and updates
 * are O(1). Why forgetting: an agent that was good last month and cheats today must lose its
 * standing in days, not in as many observations as it ever earned (the ADR has the numbers).
 */

export interface BetaState {
  /** Success evidence above the prior. */
  a: number;
  /** Failure evidence above the prior. */
  b: number;
  /** Time of the last decay (ms). */
  at: number;
}

export function emptyBeta(at: number): BetaState {
  return { a: 0, b: 0, at };
}

/** Decays the evidence to time `now` (never forward-dated: an older `now` is ignored). */
export function decay(s: BetaState, now: number, halfLifeMs: number): void {
  if (now <= s.at) return;
  const f = Math.pow(0.5, (now - s.at) / halfLifeMs);
  s.a *= f;
  s.b *= f;
  s.at = now;
}

/** Adds an observation: `x` in [0,1] is the success fraction, `w` its weight (1 = one observation). */
export function observe(s: BetaState, x: number, w: number, now: number, halfLifeMs: number): void {
  decay(s, now, halfLifeMs);
  const v = Math.min(1, Math.max(0, x));
  s.a += w * v;
  s.b += w * (1 - v);
}

/** Posterior mean with the Beta(1,1) prior. */
export function mean(s: BetaState): number {
  return (1 + s.a) / (2 + s.a + s.b);
}

/** Evidence mass (observations' weight still remembered). */
export function evidence(s: BetaState): number {
  return s.a + s.b;
}
