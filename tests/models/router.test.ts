import { describe, expect, it } from "vitest";
import { AiosError, EventBus, SimulatedClock, asAgentId, flushMicrotasks } from "../../src/core/index.js";
import { ModelRouter, ReplayProvider, parseModelsConfig, type ChatRequest } from "../../src/models/index.js";

const req: ChatRequest = { messages: [{ role: "user", content: "hi" }] };
const agent = asAgentId("ag_1");
const ok = (text: string) => ({ text, usage: { promptTokens: 1000, completionTokens: 500 } });

function router(models: unknown, routes: unknown = {}, clock = new SimulatedClock()) {
  const cfg = parseModelsConfig(models, routes);
  const events = new EventBus(() => clock.now());
  return { r: new ModelRouter({ clock, events, models: cfg.models, routes: cfg.routes, backoff: { initialMs: 100, factor: 2, maxMs: 10_000 }, breaker: { failureThreshold: 2, cooldownMs: 60_000 } }), clock, events };
}

describe("model router", () => {
  it("retries a rate-limited call after the server's Retry-After, on the injected clock", async () => {
    const { r, clock } = router({ a: { provider: "replay", model: "a", turns: [{ error: { code: "E_RATE_LIMITED", message: "slow", retryAfterMs: 5000 } }, ok("done")] } });
    let result: string | undefined;
    const p = r.chat({ agent, tenant: "t", model: "a" }, req).then((x) => (result = x.text));
    await flushMicrotasks();
    await clock.advanceAsync(4_999);
    expect(result).toBeUndefined(); // backoff alone (100 ms) would have retried already
    await clock.advanceAsync(1);
    await p;
    expect(result).toBe("done");
  });

  it("falls back along the chain on a failing backend and charges the backend that answered", async () => {
    const { r } = router({
      main: { provider: "replay", model: "m", maxRetries: 0, fallback: ["backup"], price: { promptPer1k: 10, completionPer1k: 10 }, turns: [{ error: { code: "E_AUTH", message: "bad key" } }] },
      backup: { provider: "replay", model: "b", price: { promptPer1k: 1, completionPer1k: 2 }, turns: [ok("from backup")] },
    });
    const x = await r.chat({ agent, tenant: "acme", model: "main" }, req);
    expect([x.backend, x.text, x.cost]).toEqual(["backup", "from backup", 2]);
    expect(r.accounting.agent(agent)).toEqual({ promptTokens: 1000, completionTokens: 500, cost: 2, calls: 1 });
    expect(r.accounting.tenant("acme").cost).toBe(2);
  });

  it("opens the circuit after repeated backend failures, skips it, and half-opens after the cooldown", async () => {
    const { r, clock } = router({
      flaky: { provider: "replay", model: "f", maxRetries: 0, fallback: ["steady"], loop: true, turns: [{ error: { code: "E_MODEL", message: "HTTP 500" } }] },
      steady: { provider: "replay", model: "s", loop: true, turns: [ok("steady")] },
    });
    for (let i = 0; i < 2; i++) expect((await r.chat({ agent, tenant: "t", model: "flaky" }, req)).backend).toBe("steady");
    expect(r.breakerState("flaky")).toBe("open");
    expect((await r.chat({ agent: asAgentId("ag_2"), tenant: "t", model: "flaky" }, req)).backend).toBe("steady");
    clock.advance(60_000);
    expect(r.breakerState("flaky")).toBe("half_open");
    await r.chat({ agent, tenant: "t", model: "flaky" }, req); // the trial fails -> open again
    expect(r.breakerState("flaky")).toBe("open");
  });

  it("orders candidates by route policy: cheapest, fastest, round robin, fixed", () => {
    const models = {
      dear: { provider: "replay", model: "d", price: { promptPer1k: 5, completionPer1k: 15 } },
      cheap: { provider: "replay", model: "c", price: { promptPer1k: 0.1, completionPer1k: 0.2 } },
      mid: { provider: "replay", model: "m", price: { promptPer1k: 1, completionPer1k: 2 }, fallback: ["dear"] },
    };
    const { r } = router(models, {
      budget: { policy: "cheapest", models: ["dear", "mid", "cheap"] },
      rr: { policy: "round_robin", models: ["dear", "mid", "cheap"] },
      fixed: { policy: "fixed", models: ["mid", "cheap"] },
    });
    expect(r.candidates("budget")).toEqual(["cheap", "mid", "dear"]);
    expect(r.candidates("fixed")).toEqual(["mid", "dear", "cheap"]);
    expect([0, 1, 2, 3].map(() => r.candidates("rr")[0])).toEqual(["dear", "mid", "cheap", "dear"]);
  });

  it("prefers the backend with the lower observed latency under the fastest policy", async () => {
    const clock = new SimulatedClock();
    const cfg = parseModelsConfig({ slow: { provider: "replay", model: "s" }, quick: { provider: "replay", model: "q" } }, { fast: { policy: "fastest", models: ["slow", "quick"] } });
    const delayed = (name: string, ms: number) => {
      const inner = new ReplayProvider({ name, loop: true, turns: [ok(name)] });
      return { name, chat: async (q: ChatRequest) => { await clock.sleep(ms); return inner.chat(q); }, stream: (q: ChatRequest) => inner.stream(q) };
    };
    const r = new ModelRouter({ clock, models: cfg.models, routes: cfg.routes, providers: { slow: delayed("slow", 500), quick: delayed("quick", 20) } });
    for (const m of ["slow", "quick"]) {
      const p = r.chat({ agent, tenant: "t", model: m }, req);
      await clock.advanceAsync(600, 10);
      await p;
    }
    expect(r.candidates("fast")[0]).toBe("quick");
  });

  it("never retries a cancelled call and rejects unknown models and bad config clearly", async () => {
    const { r } = router({ a: { provider: "replay", model: "a", turns: [ok("x")] } });
    const ctl = new AbortController();
    ctl.abort();
    await expect(r.chat({ agent, tenant: "t", model: "a", signal: ctl.signal }, req)).rejects.toMatchObject({ code: "E_CANCELLED" });
    await expect(r.chat({ agent, tenant: "t", model: "zzz" }, req)).rejects.toMatchObject({ code: "E_INVALID_ARG" });
    expect(() => parseModelsConfig({ a: { provider: "openai", model: "x", fallback: ["ghost"] } })).toThrow(/model "a": fallback "ghost"/);
    expect(() => parseModelsConfig({ a: { provider: "gpt", model: "x" } })).toThrow(/entry "a" field provider/);
    expect(() => router({ o: { provider: "anthropic", model: "x" } })).toThrow(AiosError);
  });
});
