import { describe, expect, it } from "vitest";
import { SimulatedClock, type AgentId, type TenantId } from "../../src/core/index.js";
import type { Caller } from "../../src/abi/index.js";
import { Quotas, TokenBucket } from "../../src/sched/index.js";

function thrown(fn: () => void): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

function caller(agent: string, extra: { tenant?: string; spec?: unknown } = {}): Caller & { spec?: unknown } {
  return {
    agent: agent as AgentId,
    tenant: (extra.tenant ?? "default") as TenantId,
    name: agent,
    capabilities: [],
    taint: new Set(),
    priority: 0,
    ...(extra.spec === undefined ? {} : { spec: extra.spec }),
  };
}

describe("token budgets", () => {
  it("an agent's budget is exhausted with E_QUOTA (not retryable) once used up", () => {
    const q = new Quotas({ clock: new SimulatedClock(), config: { agent: { tokens: 100 } } });
    q.admit({ agent: "a" });
    q.record({ agent: "a" }, 60);
    q.admit({ agent: "a" });
    expect(thrown(() => q.admit({ agent: "a" }, 50))).toMatchObject({ code: "E_QUOTA", retryable: false });
    q.record({ agent: "a" }, 50);
    expect(() => q.admit({ agent: "a" })).toThrow(/agent a token budget exhausted: used 110 of 100/);
    q.admit({ agent: "b" }); // other agents are unaffected
    expect(q.used("agent", "a")).toBe(110);
  });

  it("a tenant budget is shared by its agents; per-name and per-tenant overrides apply", () => {
    const q = new Quotas({ clock: new SimulatedClock(), config: { tenants: { acme: { tokens: 100 } }, agents: { big: { tokens: 10 } } } });
    q.record({ agent: "a1", tenant: "acme" }, 70);
    q.record({ agent: "a2", tenant: "acme" }, 30);
    expect(thrown(() => q.admit({ agent: "a3", tenant: "acme" }))).toMatchObject({ code: "E_QUOTA", details: ({ tenant: "acme" }) });
    q.admit({ agent: "a3", tenant: "other" });
    q.record({ agent: "id-1", name: "big" }, 10);
    expect(() => q.admit({ agent: "id-1", name: "big" })).toThrow(/token budget/);
  });

  it("on the kernel path, only configured syscalls count; settle charges the real tokens", () => {
    const q = new Quotas({ clock: new SimulatedClock(), config: { agent: { tokens: 5 } } });
    // A spec's own budget is the door's (kernel/budgets.ts, tests/kernel/one-door.test.ts), not sched's.
    const c = caller("a", { spec: { budget: { tokens: 1 } } });
    q.charge(c, "LlmInvoke", {});
    q.settle(c, "ToolCall", { tokens: 100 }); // not counted
    expect(q.used("agent", "a")).toBe(0);
    q.settle(c, "LlmInvoke", { tokens: 5 });
    expect(q.used("agent", "a")).toBe(5);
    expect(thrown(() => q.charge(c, "LlmInvoke", {}))).toMatchObject({ code: "E_QUOTA" });
    q.charge(c, "ToolCall", {}); // not counted
  });
});

describe("rate limits", () => {
  it("requests per minute: the third call in a minute waits with retryAfterMs, then passes", () => {
    const clock = new SimulatedClock(0);
    const q = new Quotas({ clock, config: { agent: { rpm: 2 } } });
    q.admit({ agent: "a" });
    q.admit({ agent: "a" });
    let err: unknown;
    try {
      q.admit({ agent: "a" });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: "E_RATE_LIMITED", retryable: true, details: { retryAfterMs: 30_000 } });
    clock.advance(29_999);
    expect(thrown(() => q.admit({ agent: "a" }))).toMatchObject({ code: "E_RATE_LIMITED" });
    clock.advance(1);
    q.admit({ agent: "a" });
  });

  it("tokens per minute: usage beyond the bucket is debt that delays the next call", () => {
    const clock = new SimulatedClock(0);
    const q = new Quotas({ clock, config: { agent: { tpm: 6_000 } } });
    q.admit({ agent: "a" });
    q.record({ agent: "a" }, 9_000); // 3,000 tokens of debt at 100 tokens/s
    try {
      q.admit({ agent: "a" });
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: "E_RATE_LIMITED", details: { retryAfterMs: 30_010 } });
    }
    clock.advance(30_010);
    q.admit({ agent: "a" });
  });

  it("a rejected call consumes nothing: the agent's bucket survives a tenant-level rejection", () => {
    const clock = new SimulatedClock(0);
    const q = new Quotas({ clock, config: { agent: { rpm: 2 }, tenant: { rpm: 1 } } });
    q.admit({ agent: "a" });
    expect(() => q.admit({ agent: "a" })).toThrow(/tenant default requests per minute/);
    clock.advance(60_000); // tenant refilled; the agent still has its second request
    q.admit({ agent: "a" });
  });

  it("bad config is E_CONFIG naming the field", () => {
    expect(thrown(() => new Quotas({ clock: new SimulatedClock(), config: { agent: { rpm: -1 } } }))).toMatchObject({ code: "E_CONFIG", details: ({ path: "quotas.agent.rpm" }) });
  });
});

describe("TokenBucket", () => {
  it("refills continuously up to capacity on the injected clock", () => {
    const clock = new SimulatedClock(0);
    const b = new TokenBucket(60, clock); // 1 per second
    b.take(60);
    expect(b.retryAfterMs(1)).toBe(1_000);
    clock.advance(500);
    expect(b.available()).toBeCloseTo(0.5);
    clock.advance(3_600_000);
    expect(b.available()).toBe(60);
  });
});
