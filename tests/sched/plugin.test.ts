/**
 * Integration through boot(): schedSubsystem installs the scheduler and quotas into the kernel's guards;
 * a syscall that names a pool waits for a slot there, and LlmInvoke-style calls are rate limited.
 */
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { isAiosError, type AnyKernelEvent } from "../../src/core/index.js";
import { boot, type Aios, type Subsystem } from "../../src/index.js";
import { zodArgs, type AgentLogic } from "../../src/abi/index.js";
import { schedSubsystem } from "../../src/sched/index.js";

declare module "../../src/abi/syscalls.js" {
  interface SyscallMap {
    SchedProbe: { args: { tag: string }; result: string };
  }
}

/** A test-only syscall in pool "probe" whose handler holds its slot until the test lets it go. */
function probePlugin(gates: Map<string, () => void>): Subsystem<"probe", undefined> {
  return {
    name: "probe",
    needs: [],
    build: () => ({
      service: undefined,
      syscalls: [{
        name: "SchedProbe",
        parse: zodArgs("SchedProbe", z.object({ tag: z.string() })),
        requires: () => [],
        sideEffect: false,
        pool: () => "probe",
        handler: ({ tag }) => new Promise<string>((resolve) => gates.set(tag, () => resolve(tag))),
      }],
    }),
  };
}

const caller: AgentLogic<null, { tag: string }> = {
  init: () => null,
  async receive(state, msg, ctx) {
    try {
      ctx.reply(await ctx.sys.SchedProbe({ tag: msg.tag }));
    } catch (e) {
      ctx.reply({ error: (e as { code?: string }).code });
    }
    return state;
  },
};

let os: Aios | undefined;
afterEach(async () => {
  await os?.shutdown();
  os = undefined;
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !cond(); i++) await new Promise((r) => setImmediate(r));
  expect(cond()).toBe(true);
}

describe("schedSubsystem through boot()", () => {
  it("queues syscalls for a pool by priority and emits the decisions", async () => {
    const gates = new Map<string, () => void>();
    const sched = schedSubsystem({ pools: { probe: { capacity: 1, policy: "priority" } } });
    os = await boot({ stack: "bare", add: [sched, probePlugin(gates)], logics: { caller } });
    const scheduler = os.subsystems.sched!.scheduler;
    const events: AnyKernelEvent[] = [];
    os.kernel.events.subscribe({ types: ["sched.granted"] }, (e) => void events.push(e));
    const [a, low, high] = await Promise.all([
      os.spawn({ name: "a", kind: "code", logic: "caller" }),
      os.spawn({ name: "low", kind: "code", logic: "caller", priority: -5 }),
      os.spawn({ name: "high", kind: "code", logic: "caller", priority: 5 }),
    ]);
    const rA = os.request(a, { tag: "a" });
    await until(() => gates.has("a"));
    const rLow = os.request(low, { tag: "low" });
    await until(() => scheduler.stats()[0]?.queued === 1);
    const rHigh = os.request(high, { tag: "high" });
    await until(() => scheduler.stats()[0]?.queued === 2);
    gates.get("a")?.();
    await until(() => gates.has("high"));
    expect(gates.has("low")).toBe(false);
    gates.get("high")?.();
    await until(() => gates.has("low"));
    gates.get("low")?.();
    expect(await Promise.all([rA, rLow, rHigh])).toEqual(["a", "low", "high"]);
    await until(() => events.length === 3);
    expect(events.map((e) => e.data)).toEqual([
      expect.objectContaining({ pool: "probe", priority: 0 }),
      expect.objectContaining({ pool: "probe", priority: 5 }),
      expect.objectContaining({ pool: "probe", priority: -5 }),
    ]);
    expect(os.subsystems.sched!.scheduler.stats()[0]).toMatchObject({ granted: 3, released: 3, inUse: 0 });
  });

  it("an agent killed or paused while its call waits for a slot: the wait is cancelled, naming the pool and why, with no listener on the agent's signal", async () => {
    const gates = new Map<string, () => void>();
    const sched = schedSubsystem({ pools: { probe: { capacity: 1, policy: "fifo" } } });
    os = await boot({ stack: "bare", add: [sched, probePlugin(gates)], logics: { caller } });
    const scheduler = os.subsystems.sched!.scheduler;
    const holder = await os.spawn({ name: "holder", kind: "code", logic: "caller" });
    const held = os.request(holder, { tag: "held" });
    await until(() => gates.has("held"));
    for (const [name, end] of [["killed", (id: string) => os!.kill(id, "operator said so")], ["paused", (id: string) => os!.pause(id)]] as const) {
      const waiter = await os.spawn({ name, kind: "code", logic: "caller" });
      // The operator's call as the agent waits in the pool (its receive is not busy meanwhile).
      const waiting = os.syscall(waiter, "SchedProbe", { tag: name }).catch((e: unknown) => e);
      await until(() => scheduler.stats()[0]?.queued === 1);
      // The scheduler keeps no listener on the agent's signal: the kernel cancels the wait (ADR 0076);
      // the call did not even make one (ADR 0077).
      expect(os.kernel.get(waiter).abort).toBeNull();
      await end(waiter);
      const err = await waiting;
      expect(isAiosError(err, "E_CANCELLED")).toBe(true);
      expect((err as Error).message).toBe("request cancelled while waiting for pool probe");
      expect(String(((err as Error).cause as Error).message)).toMatch(name === "killed" ? new RegExp(`agent ${waiter} ended: operator said so`) : new RegExp(`agent ${waiter} was paused`));
      expect(scheduler.stats()[0]).toMatchObject({ queued: 0, inUse: 1 });
    }
    // The slot goes to no one of them once the holder lets it go.
    gates.get("held")?.();
    expect(await held).toBe("held");
    expect(gates.has("killed") || gates.has("paused")).toBe(false);
    expect(scheduler.stats()[0]).toMatchObject({ granted: 1, cancelled: 2, inUse: 0 });
  });

  it("rate limits the configured syscalls with E_RATE_LIMITED before they take a slot", async () => {
    const gates = new Map<string, () => void>();
    const sched = schedSubsystem({ pools: { probe: { capacity: 4, policy: "wfq" } }, quotas: { agent: { rpm: 1 }, syscalls: ["SchedProbe"] } });
    os = await boot({ stack: "bare", add: [sched, probePlugin(gates)], logics: { caller } });
    const a = await os.spawn({ name: "a", kind: "code", logic: "caller" });
    const first = os.request(a, { tag: "one" });
    await until(() => gates.has("one"));
    gates.get("one")?.();
    expect(await first).toBe("one");
    expect(await os.request(a, { tag: "two" })).toEqual({ error: "E_RATE_LIMITED" });
    expect(gates.has("two")).toBe(false);
    expect(os.subsystems.sched!.scheduler.stats()[0]).toMatchObject({ granted: 1 });
  });
});
