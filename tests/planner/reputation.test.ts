/**
 * Reputation: Beta posteriors forget on the injected clock; the anti-gaming gate (wash trading by
 * owner, floods with diminishing weight and a cap, tit-for-tat, closed pairs) discounts what it
 * should; bid shading lowers bid honesty and raises the bids the market reads; trust enters only at
 * the seeds. Then the adversarial simulation (reputation-sim.ts) on three seeds: a Sybil ring twice
 * the honest population gains <= 5 % of the honest median trust on average, and >= 9 of the 10 most
 * trusted agents are honest.
 */
import { describe, expect, it } from "vitest";
import { SimulatedClock } from "../../src/core/index.js";
import { eigenTrust, emptyBeta, mean, observe, Reputation } from "../../src/planner/index.js";
import { simulate } from "./reputation-sim.js";

const DAY = 86_400_000;

describe("reputation", () => {
  it("Beta evidence halves every half-life, so old merit fades", () => {
    const b = emptyBeta(0);
    for (let i = 0; i < 20; i++) observe(b, 1, 1, 0, 7 * DAY);
    expect(mean(b)).toBeCloseTo(21 / 22, 6);
    observe(b, 0, 1, 7 * DAY, 7 * DAY);
    expect(b.a).toBeCloseTo(10, 6);
    expect(b.b).toBeCloseTo(1, 6);
    for (let i = 0; i < 10; i++) observe(b, 0, 1, 14 * DAY, 7 * DAY);
    expect(mean(b)).toBeLessThan(0.4);
  });

  it("gives wash trades no weight, floods diminishing then no weight, tit-for-tat a quarter", () => {
    const clock = new SimulatedClock();
    const rep = new Reputation({ clock, seeds: ["seed"] });
    rep.register("a", "acme");
    rep.register("b", "acme");
    rep.register("c", "other");
    expect(rep.rate({ rater: "a", target: "b", score: 1 })).toBe(0);
    const flood = Array.from({ length: 8 }, () => rep.rate({ rater: "a", target: "c", score: 1 }));
    expect(flood).toEqual([1, 1 / 2, 1 / 3, 1 / 4, 1 / 5, 0, 0, 0]);
    expect(rep.rate({ rater: "c", target: "a", score: 1 })).toBe(0.25);
    clock.advance(2 * 3_600_000);
    expect(rep.rate({ rater: "a", target: "c", score: 1 })).toBe(1);
    const flags = new Set(rep.flagged().map((d) => d.flag));
    expect(flags).toEqual(new Set(["wash", "flood", "reciprocal"]));
  });

  it("discounts a closed pair trading back and forth, and detects it", () => {
    const clock = new SimulatedClock();
    const rep = new Reputation({ clock, seeds: ["seed"] });
    for (const a of ["seed", "x", "y", "z"]) rep.register(a, a);
    for (const a of ["seed", "x", "y", "z"]) for (let i = 0; i < 5; i++) rep.outcome(a, { quality: 1 });
    rep.rate({ rater: "seed", target: "x", score: 1 });
    rep.rate({ rater: "seed", target: "z", score: 1 });
    for (let h = 0; h < 30; h++) {
      clock.advance(3_600_000);
      rep.rate({ rater: "x", target: "y", score: 1 });
      clock.advance(3_600_000);
      rep.rate({ rater: "y", target: "x", score: 1 });
    }
    const t = rep.trust();
    expect(rep.flagged().some((d) => d.flag === "closed-pair" && d.agents.join() === "x,y")).toBe(true);
    // y's only support is its closed partner: it gets nothing; z, rated once by the seed, gets trust
    expect(t.get("y") ?? 0).toBeLessThan(1e-9);
    expect(t.get("z") ?? 0).toBeGreaterThan(0.05);
  });

  it("bid shading lowers bid honesty and scales the bids the market reads", () => {
    const rep = new Reputation({ clock: new SimulatedClock(), seeds: ["seed"] });
    for (let i = 0; i < 10; i++) {
      rep.costs("honest", 1000n, 1040n);
      rep.costs("shader", 1000n, 2000n);
    }
    const h = rep.profile("honest").dimensions;
    const s = rep.profile("shader").dimensions;
    expect(h.bidHonesty.mean).toBeGreaterThan(0.9);
    expect(h.costAccuracy.mean).toBeGreaterThan(0.9);
    expect(s.bidHonesty.mean).toBeLessThan(0.1);
    const hb = rep.effectiveBid("honest", 1000n);
    expect(hb >= 1030n && hb <= 1040n).toBe(true);
    expect(rep.effectiveBid("shader", 1000n)).toBeGreaterThan(1900n);
    expect(rep.flagged().filter((d) => d.flag === "bid-shading")).toHaveLength(10);
  });

  it("trust enters only at the seeds: a ring with no honest inflow gets nothing", () => {
    // 0,1 honest (0 seed); 2..9 a ring rating itself densely
    const edges = [{ from: 0, to: 1, weight: 1 }, { from: 1, to: 0, weight: 1 }];
    for (let i = 2; i < 10; i++) for (let j = 2; j < 10; j++) if (i !== j) edges.push({ from: i, to: j, weight: 5 });
    const t = eigenTrust(10, edges, [0]);
    expect((t[0] ?? 0) + (t[1] ?? 0)).toBeCloseTo(1, 9);
    for (let i = 2; i < 10; i++) expect(t[i]).toBe(0);
  });

  it("adversarial simulation: a Sybil ring twice the honest population stays under 5 % of the honest median", () => {
    for (const seed of [1, 2, 3]) {
      const r = simulate({ seed });
      const meanPct = (100 * r.ringMean) / r.honestMedian;
      const maxPct = (100 * r.ringMax) / r.honestMedian;
      console.log(`reputation sim seed ${seed}: ring mean ${meanPct.toFixed(2)} % / max ${maxPct.toFixed(2)} % of honest median; top-10 honest ${r.top10Honest}, top-10 true-quality overlap ${r.top10Quality}; flags ${JSON.stringify(r.flags)}`);
      expect(meanPct).toBeLessThanOrEqual(5);
      expect(r.top10Honest).toBeGreaterThanOrEqual(0.9);
      for (const f of ["wash", "flood", "reciprocal"]) expect(r.flags[f] ?? 0).toBeGreaterThan(0);
    }
  }, 60_000);
});
