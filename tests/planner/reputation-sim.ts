/**
 * The adversarial reputation simulation (issue #14): 20 honest agents (distinct owners, true quality
 * drawn in [0.5, 0.95], three of them the pre-trusted seeds) and a Sybil ring twice as large (40
 * agents under 4 owners). Every round (one simulated hour) each honest agent buys 2 tasks: with
 * probability `explore` from any other agent uniformly (so 2/3 of those land on Sybils), otherwise
 * from an agent drawn in proportion to the reputation's clearingWeight (reputation weighs in
 * clearing); it rates the worker 1 or 0 by the worker's true quality, and the critic's score of the
 * result goes in as `outcome.quality`. Sybils work for honest buyers at quality `baitQuality` (they
 * earn what attack edges they can), and every round they: wash-trade with a same-owner member, rate
 * a fixed cross-owner partner and are rated back at once (reciprocal pairs), rate 3 random ring
 * members from other owners (collusion the rules cannot see: the seeds must hold it), flood one
 * ring member with 20 ratings, and bad-mouth a random honest agent. Seeded and deterministic.
 */
import { SeededRandom, SimulatedClock } from "../../src/core/index.js";
import { Reputation } from "../../src/planner/index.js";

export interface SimOptions {
  readonly seed: number;
  readonly rounds?: number;
  readonly explore?: number;
  readonly baitQuality?: number;
  readonly alpha?: number;
  readonly capacity?: number;
}

export interface SimResult {
  readonly honestMedian: number;
  readonly ringMean: number;
  readonly ringMax: number;
  /** Honest agents among the 10 most trusted. */
  readonly top10Honest: number;
  /** Overlap of the 10 most trusted with the 10 honest agents of highest true quality. */
  readonly top10Quality: number;
  readonly flags: Readonly<Record<string, number>>;
}

export function simulate(o: SimOptions): SimResult {
  const rnd = new SeededRandom(o.seed);
  const clock = new SimulatedClock();
  const honest = Array.from({ length: 20 }, (_, i) => `h${i}`);
  const ring = Array.from({ length: 40 }, (_, i) => `s${i}`);
  const quality = new Map<string, number>(honest.map((h) => [h, 0.5 + 0.45 * rnd.next()]));
  const rep = new Reputation({ clock, seeds: ["h0", "h1", "h2"], ...(o.alpha === undefined ? {} : { alpha: o.alpha }) });
  honest.forEach((h) => rep.register(h, `owner-${h}`));
  ring.forEach((s, i) => rep.register(s, `sybil-owner-${i % 4}`));
  const all = [...honest, ...ring];
  const explore = o.explore ?? 0.1;
  const bait = o.baitQuality ?? 0.3;
  const capacity = o.capacity ?? 3;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd.next() * xs.length)] as T;
  for (let round = 0; round < (o.rounds ?? 60); round++) {
    clock.advance(3_600_000);
    // the market reads reputation once per round (clearing batch), not per task
    const weights = new Map(all.map((a) => [a, rep.clearingWeight(a)] as const));
    const load = new Map<string, number>();
    for (const buyer of honest) {
      for (let k = 0; k < 2; k++) {
        // a worker takes at most `capacity` tasks a round: work spreads over the trusted, as in a market
        const others = all.filter((a) => a !== buyer && (load.get(a) ?? 0) < capacity);
        let worker: string;
        if (rnd.next() < explore) worker = pick(others);
        else {
          const w = others.map((a) => (weights.get(a) ?? 0) + 1e-9);
          let x = rnd.next() * w.reduce((s, v) => s + v, 0);
          worker = others[others.length - 1] as string;
          for (let i = 0; i < others.length; i++) {
            x -= w[i] as number;
            if (x <= 0) { worker = others[i] as string; break; }
          }
        }
        load.set(worker, (load.get(worker) ?? 0) + 1);
        const q = quality.get(worker) ?? bait;
        const ok = rnd.next() < q;
        rep.outcome(worker, { quality: ok ? 1 : 0, completed: true, onTime: ok });
        rep.rate({ rater: buyer, target: worker, score: ok ? 1 : 0 });
      }
    }
    ring.forEach((s, i) => {
      rep.rate({ rater: s, target: ring[(i + 4) % 40] as string, score: 1 }); // same owner: wash trading
      const partner = ring[i % 2 === 0 ? i + 1 : i - 1] as string; // other owner (i%4 differs)
      rep.rate({ rater: s, target: partner, score: 1 });
      rep.rate({ rater: partner, target: s, score: 1 });
      for (let k = 0; k < 3; k++) {
        const t = pick(ring.filter((x, j) => j % 4 !== i % 4 && x !== partner));
        rep.rate({ rater: s, target: t, score: 1 });
      }
      const victim = ring[(i + 7) % 40] as string;
      for (let k = 0; k < 20; k++) rep.rate({ rater: s, target: victim, score: 1 });
      rep.rate({ rater: s, target: pick(honest), score: 0 });
    });
  }
  const trust = rep.trust();
  const t = (a: string): number => trust.get(a) ?? 0;
  const hs = honest.map(t).sort((a, b) => a - b);
  const honestMedian = ((hs[9] ?? 0) + (hs[10] ?? 0)) / 2;
  const rs = ring.map(t);
  const top10 = [...all].sort((a, b) => t(b) - t(a)).slice(0, 10);
  const bestTrue = new Set([...honest].sort((a, b) => (quality.get(b) ?? 0) - (quality.get(a) ?? 0)).slice(0, 10));
  const flags: Record<string, number> = {};
  for (const d of rep.flagged()) flags[d.flag] = (flags[d.flag] ?? 0) + 1;
  return {
    honestMedian,
    ringMean: rs.reduce((s, v) => s + v, 0) / rs.length,
    ringMax: Math.max(...rs),
    top10Honest: top10.filter((a) => a.startsWith("h")).length / 10,
    top10Quality: top10.filter((a) => bestTrue.has(a)).length / 10,
    flags,
  };
}
