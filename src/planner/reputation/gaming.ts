/**
 * Anti-gaming rules for peer ratings, applied before a rating carries any weight:
 *  - self ratings and wash trading between agents of one owner: weight 0 (flag "wash");
 *  - rating floods: per (rater, target) within `floodWindowMs` the n-th rating weighs 1/n (the
 *    total grows like ln n, not n) and past `floodMax` it weighs 0 (flag "flood");
 *  - tit-for-tat: a rating of someone who rated you within `reciprocityWindowMs` weighs
 *    `reciprocalWeight` (flag "reciprocal");
 * and when trust is computed (pairDiscount):
 *  - closed pairs trading back and forth: when i and j both rate each other positively and their
 *    mutual ratings are a share e > `pairThreshold` of the smaller one's whole rating volume, both
 *    directions are scaled by (1 - e) (flag "closed-pair"). Rings larger than pairs are what the
 *    seed anchoring of trust.ts is for.
 * All times come from the injected clock; the rules are deterministic.
 */

export interface GamingOptions {
  readonly floodWindowMs: number;
  readonly floodMax: number;
  readonly reciprocityWindowMs: number;
  readonly reciprocalWeight: number;
  readonly pairThreshold: number;
}

export const DEFAULT_GAMING: GamingOptions = {
  floodWindowMs: 3_600_000,
  floodMax: 5,
  reciprocityWindowMs: 600_000,
  reciprocalWeight: 0.25,
  pairThreshold: 0.3,
};

export type GamingFlag = "wash" | "flood" | "reciprocal" | "closed-pair" | "bid-shading";

export interface Detection {
  readonly flag: GamingFlag;
  readonly agents: readonly string[];
  readonly at: number;
}

/** Ingest-time weight of one rating (1 = a full rating) and the flags it raised. */
export class RatingGate {
  private readonly recent = new Map<string, number[]>();
  private readonly lastRated = new Map<string, number>();

  constructor(private readonly o: GamingOptions) {}

  weigh(rater: string, target: string, sameOwner: boolean, now: number): { weight: number; flags: GamingFlag[] } {
    if (rater === target || sameOwner) return { weight: 0, flags: ["wash"] };
    const key = `${rater}\u0000${target}`;
    const times = (this.recent.get(key) ?? []).filter((t) => now - t < this.o.floodWindowMs);
    times.push(now);
    this.recent.set(key, times);
    const flags: GamingFlag[] = [];
    let weight = 1 / times.length;
    if (times.length > this.o.floodMax) {
      weight = 0;
      flags.push("flood");
    }
    const back = this.lastRated.get(`${target}\u0000${rater}`);
    if (back !== undefined && now - back < this.o.reciprocityWindowMs) {
      weight *= this.o.reciprocalWeight;
      flags.push("reciprocal");
    }
    this.lastRated.set(key, now);
    return { weight, flags };
  }
}

export interface PairStats {
  /** Positive net opinion of each ordered pair "i\0j". */
  readonly net: ReadonlyMap<string, number>;
  /** Rating count of each ordered pair. */
  readonly count: ReadonlyMap<string, number>;
  /** Ratings given plus received, per agent. */
  readonly volume: ReadonlyMap<string, number>;
}

/** Scale factors for closed pairs (absent: 1) and the pairs found. */
export function pairDiscount(s: PairStats, threshold: number): { factor: Map<string, number>; pairs: [string, string][] } {
  const factor = new Map<string, number>();
  const pairs: [string, string][] = [];
  for (const [key, n] of s.net) {
    const [i = "", j = ""] = key.split("\u0000");
    if (i >= j || n <= 0) continue;
    const rev = `${j}\u0000${i}`;
    if ((s.net.get(rev) ?? 0) <= 0) continue;
    const mutual = (s.count.get(key) ?? 0) + (s.count.get(rev) ?? 0);
    const e = mutual / Math.max(1, Math.min(s.volume.get(i) ?? 0, s.volume.get(j) ?? 0));
    if (e > threshold) {
      const f = Math.max(0, 1 - e);
      factor.set(key, f);
      factor.set(rev, f);
      pairs.push([i, j]);
    }
  }
  return { factor, pairs };
}
