import { describe, expect, it } from "vitest";
import { SimulatedClock } from "../../src/core/index.js";
import type { Lease, SchedRequest } from "../../src/sched/index.js";
import { jain, newPool, saturate, tick } from "./helpers.js";
import type { PolicyName } from "../../src/sched/index.js";

/** Blocks the single slot, queues `reqs`, then releases one at a time and returns the grant order. */
async function grantOrder(policy: PolicyName, reqs: readonly (SchedRequest & { name: string })[], clock = new SimulatedClock()): Promise<string[]> {
  const pool = newPool({ policy }, clock);
  const blocker = await pool.acquire({ agent: "blocker" });
  const order: string[] = [];
  const leases: Lease[] = [];
  for (const r of reqs) {
    void pool.acquire(r).then((l) => {
      order.push(r.name);
      leases.push(l);
    });
  }
  blocker.release();
  for (let i = 0; i < reqs.length; i++) {
    await tick();
    leases[i]?.release();
  }
  await tick();
  return order;
}

describe("policy order", () => {
  it("FIFO serves in arrival order regardless of agent or priority", async () => {
    const order = await grantOrder("fifo", [
      { name: "a1", agent: "a", priority: -5 },
      { name: "b1", agent: "b", priority: 10 },
      { name: "a2", agent: "a" },
      { name: "c1", agent: "c" },
    ]);
    expect(order).toEqual(["a1", "b1", "a2", "c1"]);
  });

  it("round robin takes one request per agent per turn", async () => {
    const order = await grantOrder("round-robin", [
      { name: "a1", agent: "a" },
      { name: "a2", agent: "a" },
      { name: "a3", agent: "a" },
      { name: "b1", agent: "b" },
      { name: "c1", agent: "c" },
      { name: "b2", agent: "b" },
    ]);
    expect(order).toEqual(["a1", "b1", "c1", "a2", "b2", "a3"]);
  });

  it("strict priority serves higher classes first, FIFO within a class", async () => {
    const order = await grantOrder("priority", [
      { name: "low1", agent: "a", priority: -1 },
      { name: "mid1", agent: "b", priority: 0 },
      { name: "high1", agent: "c", priority: 5 },
      { name: "mid2", agent: "d", priority: 0 },
      { name: "high2", agent: "e", priority: 5 },
    ]);
    expect(order).toEqual(["high1", "high2", "mid1", "mid2", "low1"]);
  });

  it("EDF serves the earliest deadline first and deadline-less requests last", async () => {
    const clock = new SimulatedClock(0);
    const order = await grantOrder(
      "edf",
      [
        { name: "d300", agent: "a", deadline: 300 },
        { name: "none", agent: "b" },
        { name: "d100", agent: "c", deadline: 100 },
        { name: "d200", agent: "d", deadline: 200 },
      ],
      clock,
    );
    expect(order).toEqual(["d100", "d200", "d300", "none"]);
  });

  it("WFQ alternates between equally weighted agents even when one floods", async () => {
    const order = await grantOrder("wfq", [
      { name: "a1", agent: "a", tokens: 10 },
      { name: "a2", agent: "a", tokens: 10 },
      { name: "a3", agent: "a", tokens: 10 },
      { name: "b1", agent: "b", tokens: 10 },
      { name: "b2", agent: "b", tokens: 10 },
    ]);
    expect(order).toEqual(["a1", "b1", "a2", "b2", "a3"]);
  });
});

describe("aging", () => {
  async function lowWaitUnderHighStream(agingMs: number | undefined): Promise<number | undefined> {
    const clock = new SimulatedClock(0);
    const pool = newPool({ policy: "priority", ...(agingMs === undefined ? {} : { agingMs }) }, clock);
    let current = await pool.acquire({ agent: "h0", priority: 10 });
    let lowGrantedAt: number | undefined;
    void pool.acquire({ agent: "low", priority: 0 }).then((l) => {
      lowGrantedAt = clock.now();
      current = l;
    });
    // A new high-priority request every 10 ms, each served for 10 ms: high alone saturates the slot.
    for (let t = 0; t < 5_000 && lowGrantedAt === undefined; t += 10) {
      void pool.acquire({ agent: `h${t}`, priority: 10 }).then((l) => {
        current = l;
      });
      clock.advance(10);
      current.release();
      await tick();
    }
    return lowGrantedAt;
  }

  it("without aging, a steady high-priority stream starves low priority", async () => {
    expect(await lowWaitUnderHighStream(undefined)).toBeUndefined();
  });

  it("with aging, low priority is served after about (priority gap x agingMs)", async () => {
    const at = await lowWaitUnderHighStream(100);
    expect(at).toBeDefined();
    // gap of 10 levels at 100 ms per level: served once it has waited ~1 s
    expect(at).toBeGreaterThanOrEqual(900);
    expect(at).toBeLessThanOrEqual(1_200);
  });
});

describe("fair shares (WFQ)", () => {
  it("equal weights give equal token shares (Jain >= 0.99) across 50 agents", async () => {
    const pool = newPool({ policy: "wfq", capacity: 4 });
    const clients = Array.from({ length: 50 }, (_, i) => ({ agent: `a${i}`, tokens: 10 + (i % 5) * 20 }));
    const served = await saturate(pool, clients, 2, 5_000);
    expect(served.size).toBe(50);
    expect(jain([...served.values()])).toBeGreaterThanOrEqual(0.99);
  });

  it("weights 1:2:3 give token shares within +-5%", async () => {
    const pool = newPool({ policy: "wfq", capacity: 2 });
    const clients = [
      { agent: "w1", weight: 1, tokens: 50 },
      { agent: "w2", weight: 2, tokens: 30 },
      { agent: "w3", weight: 3, tokens: 70 },
    ];
    const served = await saturate(pool, clients, 3, 6_000);
    const total = [...served.values()].reduce((a, b) => a + b, 0);
    for (const c of clients) {
      const share = (served.get(c.agent) ?? 0) / total;
      expect(Math.abs(share / (c.weight / 6) - 1)).toBeLessThanOrEqual(0.05);
    }
  });

  it("tenants share equally however many agents each runs (per-tenant virtual time)", async () => {
    const pool = newPool({ policy: "wfq", capacity: 2 });
    const clients = [{ agent: "solo", tenant: "A", tokens: 20 }, ...Array.from({ length: 10 }, (_, i) => ({ agent: `b${i}`, tenant: "B", tokens: 20 }))];
    const served = await saturate(pool, clients, 2, 4_000);
    const a = served.get("solo") ?? 0;
    const b = [...served.entries()].filter(([k]) => k.startsWith("b")).reduce((s, [, v]) => s + v, 0);
    expect(Math.abs(a / (a + b) - 0.5)).toBeLessThanOrEqual(0.025);
  });

  it("FIFO ignores weights (the contrast WFQ fixes)", async () => {
    const pool = newPool({ policy: "fifo", capacity: 2 });
    const served = await saturate(pool, [{ agent: "w1", weight: 1, tokens: 10 }, { agent: "w3", weight: 3, tokens: 10 }], 3, 3_000);
    expect(Math.abs((served.get("w1") ?? 0) - (served.get("w3") ?? 0))).toBeLessThanOrEqual(30);
  });
});
