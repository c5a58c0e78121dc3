/**
 * Global trust, EigenTrust-style and anchored on pre-trusted seeds: t = (1 - alpha) * C^T t + alpha * p
 * where C is the row-normalised local trust matrix (c_ij = max(s_ij, 0) / sum_j max(s_ij, 0)) and p
 * is uniform over the seeds ONLY. A rater with no positive opinion teleports its mass to the seeds
 * too. So trust enters the graph only at the seeds and reaches an agent only along positive ratings
 * from agents that already have trust: a Sybil ring can rate itself as much as it likes, its total
 * mass is bounded by what flows into it over honest edges (about (1-alpha)/alpha times that inflow),
 * however many members it has — majority structure never wins (SybilRank's argument, with
 * EigenTrust's iteration). Power iteration to an L1 change below `epsilon`.
 */

export interface TrustEdge {
  readonly from: number;
  readonly to: number;
  /** Net opinion (satisfied minus unsatisfied, after discounts); only positive values carry trust. */
  readonly weight: number;
}

export interface TrustOptions {
  /** Teleport probability to the seeds (default 0.2). */
  readonly alpha?: number;
  readonly epsilon?: number;
  readonly maxIterations?: number;
}

/** Trust per agent index (sums to 1). `seeds` must be non-empty. */
export function eigenTrust(n: number, edges: readonly TrustEdge[], seeds: readonly number[], o: TrustOptions = {}): Float64Array {
  const alpha = o.alpha ?? 0.2;
  const eps = o.epsilon ?? 1e-10;
  const maxIt = o.maxIterations ?? 200;
  const p = new Float64Array(n);
  const uniqueSeeds = [...new Set(seeds)].filter((s) => s >= 0 && s < n);
  if (uniqueSeeds.length === 0) throw new RangeError("eigenTrust: at least one seed is needed");
  for (const s of uniqueSeeds) p[s] = 1 / uniqueSeeds.length;
  const rowSum = new Float64Array(n);
  const pos = edges.filter((e) => e.weight > 0 && e.from !== e.to && e.from >= 0 && e.from < n && e.to >= 0 && e.to < n);
  for (const e of pos) rowSum[e.from] = (rowSum[e.from] ?? 0) + e.weight;
  let t = Float64Array.from(p);
  for (let it = 0; it < maxIt; it++) {
    const next = new Float64Array(n);
    let dangling = 0;
    for (let i = 0; i < n; i++) if ((rowSum[i] ?? 0) === 0) dangling += t[i] ?? 0;
    for (const e of pos) next[e.to] = (next[e.to] ?? 0) + (1 - alpha) * (t[e.from] ?? 0) * (e.weight / (rowSum[e.from] ?? 1));
    for (let i = 0; i < n; i++) next[i] = (next[i] ?? 0) + ((1 - alpha) * dangling + alpha) * (p[i] ?? 0);
    let diff = 0;
    for (let i = 0; i < n; i++) diff += Math.abs((next[i] ?? 0) - (t[i] ?? 0));
    t = next;
    if (diff < eps) break;
  }
  return t;
}
