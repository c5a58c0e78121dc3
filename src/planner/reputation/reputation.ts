/**
 * Agent reputation (issue #14): six dimensions per agent as Beta posteriors with forgetting, plus a
 * global trust score anchored on pre-trusted seeds.
 *   quality       the critic's score of the agent's results (fraction in [0,1])
 *   reliability   tasks completed vs failed or abandoned
 *   timeliness    results within the deadline
 *   costAccuracy  realized cost within `costTolerance` of the bid
 *   bidHonesty    not bidding far under the realized cost (bid shading: realized > bid x (1 + shadeTolerance))
 *   cooperation   peer ratings, each weighted by the rater's trust (so Sybils' praise is worth ~0)
 * The first five come from what the system measured (critic verdicts, the executor's clock, the
 * ledger), not from peers, so peers cannot inflate them; peer ratings feed cooperation and the trust
 * graph, after the anti-gaming gate (gaming.ts). Trust flows along a rating only in proportion to
 * the rated agent's critic-verified competence ((quality mean - floor) / (1 - floor)): a ring of
 * agents whose verified work is poor cannot lift each other however densely they rate. (So
 * `outcome` must be fed from tasks bought by another owner; the lead's wiring owns that rule.)
 * Trust is recomputed lazily after new ratings.
 * `clearingWeight` (trust x quality x honesty, in [0,1]) and `effectiveBid` (a shader's bids scaled
 * by its realized/bid ratio) are what the market uses. Owner of all reputation state; pure data in,
 * numbers out, time from the injected clock.
 */
import { AiosError, type Clock } from "../../core/index.js";
import { emptyBeta, evidence, mean, observe, type BetaState } from "./beta.js";
import { DEFAULT_GAMING, pairDiscount, RatingGate, type Detection, type GamingOptions } from "./gaming.js";
import { eigenTrust, type TrustEdge } from "./trust.js";

export const DIMENSIONS = ["quality", "reliability", "timeliness", "costAccuracy", "bidHonesty", "cooperation"] as const;
export type Dimension = (typeof DIMENSIONS)[number];

export interface ReputationOptions {
  readonly clock: Clock;
  /** Pre-trusted agents (operators' own, audited): trust enters the graph only through them. */
  readonly seeds: readonly string[];
  /** Evidence half-life (default 7 days). */
  readonly halfLifeMs?: number;
  /** EigenTrust teleport probability to the seeds (default 0.2). */
  readonly alpha?: number;
  readonly costTolerance?: number;
  /** Verified quality below which an agent receives no trust from peers (default 0.4). */
  readonly competenceFloor?: number;
  readonly shadeTolerance?: number;
  readonly gaming?: Partial<GamingOptions>;
}

export interface Outcome {
  readonly quality?: number;
  readonly completed?: boolean;
  readonly onTime?: boolean;
}

export interface Rating {
  readonly rater: string;
  readonly target: string;
  /** 1 = fully satisfied, 0 = not at all. */
  readonly score: number;
}

/** Accepted ratings of one ordered pair, aggregated with forgetting (satisfied / unsatisfied mass). */
interface PairState {
  pos: number;
  neg: number;
  count: number;
  at: number;
}

export interface Profile {
  readonly agent: string;
  readonly trust: number;
  readonly dimensions: Readonly<Record<Dimension, { readonly mean: number; readonly evidence: number }>>;
}

export class Reputation {
  private readonly halfLife: number;
  private readonly gamingOpts: GamingOptions;
  private readonly gate: RatingGate;
  private readonly owners = new Map<string, string>();
  private readonly betas = new Map<string, Record<Dimension, BetaState>>();
  private readonly pairs = new Map<string, PairState>();
  private readonly flaggedPairs = new Set<string>();
  private readonly overrun = new Map<string, number>();
  private readonly detections: Detection[] = [];
  private trustCache: Map<string, number> | undefined;

  constructor(private readonly o: ReputationOptions) {
    if (o.seeds.length === 0) throw new AiosError("E_CONFIG", "reputation: at least one pre-trusted seed is needed", { details: { path: "seeds" } });
    this.halfLife = o.halfLifeMs ?? 7 * 86_400_000;
    this.gamingOpts = { ...DEFAULT_GAMING, ...o.gaming };
    this.gate = new RatingGate(this.gamingOpts);
    for (const s of o.seeds) this.ensure(s);
  }

  /** Declares an agent and its owner (wash trading is judged by owner). */
  register(agent: string, owner: string): void {
    this.owners.set(agent, owner);
    this.ensure(agent);
  }

  /** What the system measured about a finished task of `agent`. */
  outcome(agent: string, o: Outcome): void {
    const b = this.ensure(agent);
    const now = this.o.clock.now();
    if (o.quality !== undefined) observe(b.quality, o.quality, 1, now, this.halfLife);
    if (o.completed !== undefined) observe(b.reliability, o.completed ? 1 : 0, 1, now, this.halfLife);
    if (o.onTime !== undefined) observe(b.timeliness, o.onTime ? 1 : 0, 1, now, this.halfLife);
  }

  /** A settled task's bid against its realized cost (micro-credits): cost accuracy and bid honesty. */
  costs(agent: string, bid: bigint, realized: bigint): void {
    if (bid <= 0n || realized < 0n) throw new AiosError("E_INVALID_ARG", "reputation costs: bid must be > 0 and realized >= 0", { details: { path: bid <= 0n ? "bid" : "realized" } });
    const b = this.ensure(agent);
    const now = this.o.clock.now();
    const ratio = Number(realized) / Number(bid);
    const tol = this.o.costTolerance ?? 0.1;
    const shade = this.o.shadeTolerance ?? 0.25;
    observe(b.costAccuracy, Math.abs(ratio - 1) <= tol ? 1 : 0, 1, now, this.halfLife);
    const shaded = ratio > 1 + shade;
    observe(b.bidHonesty, shaded ? 0 : 1, 1, now, this.halfLife);
    if (shaded) this.detections.push({ flag: "bid-shading", agents: [agent], at: now });
    // an exponentially weighted overrun ratio, >= 1: what the market multiplies this agent's bids by
    const prev = this.overrun.get(agent) ?? 1;
    this.overrun.set(agent, Math.max(1, 0.7 * prev + 0.3 * ratio));
  }

  /** A peer rating; returns the weight it was given after the anti-gaming gate. */
  rate(r: Rating): number {
    if (!(r.score >= 0 && r.score <= 1)) throw new AiosError("E_INVALID_ARG", "rating score: expected a number in [0, 1]", { details: { path: "score" } });
    this.ensure(r.rater);
    this.ensure(r.target);
    const now = this.o.clock.now();
    const ownerA = this.owners.get(r.rater);
    const sameOwner = ownerA !== undefined && ownerA === this.owners.get(r.target);
    const { weight, flags } = this.gate.weigh(r.rater, r.target, sameOwner, now);
    for (const flag of flags) this.detections.push({ flag, agents: [r.rater, r.target], at: now });
    if (weight > 0) {
      const key = `${r.rater}\u0000${r.target}`;
      const p = this.pairs.get(key) ?? { pos: 0, neg: 0, count: 0, at: now };
      const f = Math.pow(0.5, Math.max(0, now - p.at) / this.halfLife);
      p.pos = p.pos * f + weight * r.score;
      p.neg = p.neg * f + weight * (1 - r.score);
      p.count += 1;
      p.at = now;
      this.pairs.set(key, p);
      this.trustCache = undefined;
    }
    return weight;
  }

  /** Global trust per agent (sums to 1 over known agents). */
  trust(): ReadonlyMap<string, number> {
    if (this.trustCache !== undefined) return this.trustCache;
    const agents = [...this.betas.keys()];
    const index = new Map(agents.map((a, i) => [a, i] as const));
    const now = this.o.clock.now();
    const net = new Map<string, number>();
    const count = new Map<string, number>();
    const volume = new Map<string, number>();
    for (const [key, p] of this.pairs) {
      const [rater = "", target = ""] = key.split("\u0000");
      const f = Math.pow(0.5, Math.max(0, now - p.at) / this.halfLife);
      net.set(key, (p.pos - p.neg) * f);
      count.set(key, p.count);
      volume.set(rater, (volume.get(rater) ?? 0) + p.count);
      volume.set(target, (volume.get(target) ?? 0) + p.count);
    }
    const { factor, pairs } = pairDiscount({ net, count, volume }, this.gamingOpts.pairThreshold);
    for (const p of pairs) {
      const key = p.join("\u0000");
      if (this.flaggedPairs.has(key)) continue;
      this.flaggedPairs.add(key);
      this.detections.push({ flag: "closed-pair", agents: p, at: now });
    }
    const edges: TrustEdge[] = [];
    for (const [key, n] of net) {
      const [from = "", to = ""] = key.split("\u0000");
      // trust flows to an agent only in proportion to its critic-verified competence: peers cannot
      // lift an agent whose measured work is no better than `competenceFloor`
      const w = n * (factor.get(key) ?? 1) * this.competence(to);
      if (w > 0) edges.push({ from: index.get(from) ?? -1, to: index.get(to) ?? -1, weight: w });
    }
    const t = eigenTrust(agents.length, edges, this.o.seeds.map((s) => index.get(s) ?? -1), this.o.alpha === undefined ? {} : { alpha: this.o.alpha });
    this.trustCache = new Map(agents.map((a, i) => [a, t[i] ?? 0]));
    return this.trustCache;
  }

  /** The six dimensions (cooperation: peer ratings weighted by the rater's trust) and trust. */
  profile(agent: string): Profile {
    const b = this.ensure(agent);
    const trust = this.trust();
    const coop = emptyBeta(this.o.clock.now());
    const n = Math.max(1, trust.size);
    for (const [key, p] of this.pairs) {
      const [rater = "", target = ""] = key.split("\u0000");
      if (target !== agent) continue;
      // a rater with average trust (1/n) counts fully; a Sybil with ~0 trust counts ~0
      const w = Math.min(1, (trust.get(rater) ?? 0) * n) * Math.pow(0.5, Math.max(0, coop.at - p.at) / this.halfLife);
      coop.a += w * p.pos;
      coop.b += w * p.neg;
    }
    b.cooperation = coop;
    const dims = {} as Record<Dimension, { mean: number; evidence: number }>;
    for (const d of DIMENSIONS) dims[d] = { mean: mean(b[d]), evidence: evidence(b[d]) };
    return { agent, trust: trust.get(agent) ?? 0, dimensions: dims };
  }

  /** For clearing: trust relative to the best-trusted agent, times quality and bid honesty, in [0,1]. */
  clearingWeight(agent: string): number {
    const trust = this.trust();
    let max = 0;
    for (const v of trust.values()) max = Math.max(max, v);
    const b = this.ensure(agent);
    return max === 0 ? 0 : ((trust.get(agent) ?? 0) / max) * mean(b.quality) * mean(b.bidHonesty);
  }

  /** A bid as the market should read it: scaled up by the agent's observed overrun (never down). */
  effectiveBid(agent: string, bid: bigint): bigint {
    const r = this.overrun.get(agent) ?? 1;
    return (bid * BigInt(Math.round(r * 1_000_000))) / 1_000_000n;
  }

  /** (quality mean - floor) / (1 - floor), clamped to [0, 1]; the prior (no evidence) gives 0 below 0.5 floors. */
  competence(agent: string): number {
    const q = mean(this.ensure(agent).quality);
    const floor = this.o.competenceFloor ?? 0.4;
    if (this.o.seeds.includes(agent)) return 1;
    return Math.min(1, Math.max(0, (q - floor) / (1 - floor)));
  }

  /** Everything the gate and the pair rule flagged, oldest first. */
  flagged(): readonly Detection[] {
    return this.detections;
  }

  private ensure(agent: string): Record<Dimension, BetaState> {
    let b = this.betas.get(agent);
    if (b === undefined) {
      const now = this.o.clock.now();
      b = { quality: emptyBeta(now), reliability: emptyBeta(now), timeliness: emptyBeta(now), costAccuracy: emptyBeta(now), bidHonesty: emptyBeta(now), cooperation: emptyBeta(now) };
      this.betas.set(agent, b);
      this.trustCache = undefined;
    }
    return b;
  }
}
