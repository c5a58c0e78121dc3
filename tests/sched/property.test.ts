/**
 * Invariants under random interleavings of acquire, release, abort, yield and inheritance, for every
 * policy: slots never exceed capacity, no free slot idles while a request waits, no request is
 * granted twice per queueing or lost (each ends released or cancelled), and the counters balance.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SimulatedClock } from "../../src/core/index.js";
import { InferenceScheduler, POLICY_NAMES, type Lease, type PolicyName } from "../../src/sched/index.js";
import { tick } from "./helpers.js";

type Op =
  | { k: "acq"; agent: number; prio: number; tokens: number; deadline: number | null; preemptible: boolean }
  | { k: "rel"; i: number }
  | { k: "abort"; i: number }
  | { k: "yield"; i: number }
  | { k: "inherit"; agent: number; prio: number }
  | { k: "time"; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    k: fc.constant("acq" as const),
    agent: fc.nat(5),
    prio: fc.integer({ min: -3, max: 3 }),
    tokens: fc.nat(100),
    deadline: fc.option(fc.nat(1_000)),
    preemptible: fc.boolean(),
  }),
  fc.record({ k: fc.constant("rel" as const), i: fc.nat(50) }),
  fc.record({ k: fc.constant("abort" as const), i: fc.nat(50) }),
  fc.record({ k: fc.constant("yield" as const), i: fc.nat(50) }),
  fc.record({ k: fc.constant("inherit" as const), agent: fc.nat(5), prio: fc.integer({ min: -3, max: 5 }) }),
  fc.record({ k: fc.constant("time" as const), ms: fc.nat(500) }),
);

interface Req {
  readonly id: number;
  readonly ac: AbortController;
  grants: number;
  lease: Lease | undefined;
  ended: "released" | "cancelled" | undefined;
  yielding: boolean;
}

async function run(policy: PolicyName, capacity: number, ops: readonly Op[]): Promise<void> {
  const clock = new SimulatedClock(0);
  const s = new InferenceScheduler({ clock, pools: { p: { capacity, policy, agingMs: 50 } } });
  const pool = s.pool("p");
  const reqs: Req[] = [];
  const check = (): void => {
    const st = pool.stats();
    expect(st.inUse).toBeLessThanOrEqual(capacity);
    if (st.queued > 0) expect(st.inUse).toBe(capacity);
    const holding = reqs.filter((r) => r.lease !== undefined && r.ended === undefined && !r.yielding).length;
    expect(holding).toBe(st.inUse);
  };
  const pick = (i: number, f: (r: Req) => boolean): Req | undefined => {
    const c = reqs.filter(f);
    return c[i % Math.max(1, c.length)];
  };
  for (const o of ops) {
    if (o.k === "acq") {
      const r: Req = { id: reqs.length, ac: new AbortController(), grants: 0, lease: undefined, ended: undefined, yielding: false };
      reqs.push(r);
      s.lease("p", {
        agent: `a${o.agent}`,
        priority: o.prio,
        tokens: o.tokens,
        preemptible: o.preemptible,
        signal: r.ac.signal,
        ...(o.deadline === null ? {} : { deadline: o.deadline }),
      }).then(
        (l) => {
          r.grants++;
          r.lease = l;
        },
        () => {
          r.ended = "cancelled";
        },
      );
    } else if (o.k === "rel") {
      const r = pick(o.i, (x) => x.lease !== undefined && x.ended === undefined && !x.yielding);
      if (r !== undefined) {
        r.lease?.release({ tokens: 7 });
        r.ended = "released";
      }
    } else if (o.k === "abort") {
      pick(o.i, (x) => x.ended === undefined)?.ac.abort();
    } else if (o.k === "yield") {
      const r = pick(o.i, (x) => x.lease !== undefined && x.ended === undefined && !x.yielding && x.lease.preemption.requested);
      if (r?.lease !== undefined) {
        r.yielding = true;
        r.lease.yield().then(
          () => {
            r.yielding = false;
            r.grants++;
          },
          () => {
            r.yielding = false;
            r.ended = "cancelled";
          },
        );
      }
    } else if (o.k === "inherit") {
      s.inherit(`a${o.agent}`, "donor", o.prio);
    } else {
      clock.advance(o.ms);
    }
    await tick();
    check();
  }
  // Drain: release everything held until nothing is left; every request must end exactly once.
  for (let guard = 0; guard < 1_000; guard++) {
    const held = reqs.filter((r) => r.lease !== undefined && r.ended === undefined && !r.yielding);
    if (held.length === 0) break;
    for (const r of held) {
      r.lease?.release();
      r.ended = "released";
    }
    await tick();
    check();
  }
  for (const r of reqs) {
    expect(r.ended).toBeDefined();
    if (r.ended === "released") expect(r.grants).toBeGreaterThanOrEqual(1);
  }
  const st = pool.stats();
  expect(st).toMatchObject({ inUse: 0, queued: 0 });
  expect(st.released + st.cancelled).toBe(reqs.length);
  // A grant is one per queueing: first grants plus resumes after a yield.
  const grants = reqs.reduce((a, r) => a + r.grants, 0);
  expect(st.granted).toBe(grants);
}

describe("scheduler invariants (property)", () => {
  for (const policy of POLICY_NAMES) {
    it(`${policy}: capacity respected, nothing lost or granted twice`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 3 }), fc.array(op, { maxLength: 60 }), (cap, ops) => run(policy, cap, ops)),
        { numRuns: 150 },
      );
    });
  }
});
