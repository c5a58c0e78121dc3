/**
 * Behavioural anomaly detection: agents are judged against their own EWMA baseline, through the real
 * event bus with an injected clock. A steady agent (with noise) raises nothing; a sudden switch of
 * syscall mix, a burst of refusals and a jump in spend each raise one `security.anomaly` naming the
 * kind; a changed behaviour that lasts becomes the new baseline; an ended agent's state is dropped.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventBus, type AgentId, type KernelEvent } from "../../src/core/index.js";
import { AnomalyDetector } from "../../src/observe/index.js";

const WINDOW = 60_000;
const A = "ag_a" as AgentId;
const B = "ag_b" as AgentId;

function setup(): { bus: EventBus; clock: { t: number }; det: AnomalyDetector; seen: KernelEvent<"security.anomaly">[] } {
  const clock = { t: 1_000_000 };
  const bus = new EventBus(() => clock.t);
  const det = new AnomalyDetector(bus, { windowMs: WINDOW });
  bus.subscribe({ types: AnomalyDetector.TYPES }, (e) => det.observe(e));
  const seen: KernelEvent<"security.anomaly">[] = [];
  bus.subscribe({ types: ["security.anomaly"] }, (e) => void seen.push(e as KernelEvent<"security.anomaly">));
  return { bus, clock, det, seen };
}

interface Window {
  readonly calls?: Readonly<Record<string, number>>;
  readonly denied?: number;
  readonly cost?: number;
}

/** Emits one window of an agent's activity, spread over the window, and moves the clock past it. */
async function window(s: ReturnType<typeof setup>, agent: AgentId, w: Window): Promise<void> {
  const start = s.clock.t;
  const items: (() => void)[] = [];
  for (const [name, n] of Object.entries(w.calls ?? {})) for (let i = 0; i < n; i++) items.push(() => s.bus.emit("syscall.completed", { name, ok: true, durationUs: 10 }, agent));
  for (let i = 0; i < (w.denied ?? 0); i++) items.push(() => s.bus.emit("syscall.denied", { name: "ToolCall", reason: "no", code: "E_CAP_DENIED" }, agent));
  if ((w.cost ?? 0) > 0) items.push(() => s.bus.emit("model.call", { model: "m", backend: "m", promptTokens: 1, completionTokens: 1, cost: w.cost ?? 0, durationMs: 1 }, agent));
  items.forEach((emit, i) => {
    s.clock.t = start + Math.floor((i * (WINDOW - 1)) / Math.max(1, items.length));
    emit();
  });
  s.clock.t = start + WINDOW;
  await delivered();
}

/** Two turns: the detector's delivery, then the delivery of what it raised. */
async function delivered(): Promise<void> {
  for (let i = 0; i < 2; i++) await new Promise((r) => setImmediate(r));
}

const steady: Window = { calls: { LlmInvoke: 6, ToolCall: 10, MemoryQuery: 4 }, cost: 3 };

describe("observe: behavioural anomaly detection", () => {
  it("raises nothing for a steady agent with ordinary noise", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 8, max: 12 }), fc.integer({ min: 4, max: 7 }), fc.integer({ min: 3, max: 5 }), fc.double({ min: 2.5, max: 3.5, noNaN: true })), { minLength: 12, maxLength: 12 }), async (ws) => {
        const s = setup();
        for (const [tool, llm, mem, cost] of ws) await window(s, A, { calls: { ToolCall: tool, LlmInvoke: llm, MemoryQuery: mem }, cost });
        s.det.tick(s.clock.t);
        await delivered();
        return s.seen.length === 0;
      }),
      { numRuns: 20 },
    );
  });

  it("raises syscall_mix when the agent suddenly does something else, once, then learns it", async () => {
    const s = setup();
    for (let i = 0; i < 8; i++) await window(s, A, steady);
    await window(s, A, { calls: { AgentSpawn: 15, CapGrant: 10 }, cost: 3 });
    await window(s, A, { calls: { AgentSpawn: 15, CapGrant: 10 }, cost: 3 }); // closes the odd window
    expect(s.seen.map((e) => [e.agent, e.data.kind])).toEqual([[A, "syscall_mix"]]);
    expect(s.seen[0]?.data.observed).toBeGreaterThan(0.9);
    expect(s.seen[0]?.severity).toBe("warn");
    // The new behaviour, kept up, becomes the baseline: no alarm every window.
    for (let i = 0; i < 10; i++) await window(s, A, { calls: { AgentSpawn: 15, CapGrant: 10 }, cost: 3 });
    expect(s.seen.filter((e) => e.data.kind === "syscall_mix").length).toBeLessThanOrEqual(2);
  });

  it("raises denial_rate on a burst of refusals and spend on a jump in cost, per agent", async () => {
    const s = setup();
    for (let i = 0; i < 8; i++) {
      await window(s, A, steady);
    }
    await window(s, A, { calls: { ToolCall: 5, LlmInvoke: 6, MemoryQuery: 4 }, denied: 15, cost: 3 });
    await window(s, A, { ...steady, cost: 60 });
    await window(s, A, steady);
    expect(s.seen.map((e) => e.data.kind)).toEqual(expect.arrayContaining(["denial_rate", "spend"]));
    const denial = s.seen.find((e) => e.data.kind === "denial_rate");
    expect(denial?.data.observed).toBeCloseTo(15 / 30);
    expect(denial?.data.baseline).toBe(0);
    const spend = s.seen.find((e) => e.data.kind === "spend");
    expect(spend?.data.observed).toBe(60);
    expect(spend?.data.baseline).toBeCloseTo(3);
    expect(s.seen.every((e) => e.agent === A)).toBe(true);
  });

  it("judges each agent against its own baseline and forgets an agent that ended", async () => {
    const s = setup();
    // B always makes many refused calls: that is B's normal, not an anomaly.
    for (let i = 0; i < 10; i++) {
      const start = s.clock.t;
      await window(s, A, steady);
      s.clock.t = start;
      await window(s, B, { calls: { ToolCall: 10 }, denied: 10 });
    }
    expect(s.seen).toEqual([]);
    expect(s.det.tracked).toBe(2);
    s.bus.emit("agent.transition", { op: "kill", from: "running", to: "killed" }, B);
    await delivered();
    expect(s.det.tracked).toBe(1);
  });
});
