import { describe, expect, it } from "vitest";
import { getEventListeners } from "node:events";
import { AiosError, EventBus, SimulatedClock, type AnyKernelEvent } from "../../src/core/index.js";
import { InferenceScheduler, SlotPool, type Lease } from "../../src/sched/index.js";
import { newPool, tick } from "./helpers.js";

describe("cancellation", () => {
  it("an aborted waiter leaves the queue with E_CANCELLED and is never granted", async () => {
    const pool = newPool({ policy: "fifo" });
    const first = await pool.acquire({ agent: "a" });
    const ac = new AbortController();
    const cancelled = pool.acquire({ agent: "b", signal: ac.signal });
    let nextGranted = false;
    const next = pool.acquire({ agent: "c" }).then((l) => {
      nextGranted = true;
      return l;
    });
    ac.abort();
    await expect(cancelled).rejects.toMatchObject({ code: "E_CANCELLED" });
    expect(pool.stats()).toMatchObject({ queued: 1, cancelled: 1 });
    first.release();
    (await next).release();
    expect(nextGranted).toBe(true);
    expect(pool.stats()).toMatchObject({ granted: 2, released: 2, inUse: 0, queued: 0 });
  });

  it("a request whose owner cancels it puts no listener on its signal; cancelWaiting cancels only the owner's such requests", async () => {
    const pool = newPool({ policy: "fifo" });
    const first = await pool.acquire({ agent: "x" });
    const sig = new AbortController().signal;
    const owned = pool.acquire({ agent: "a", signal: sig, ownerCancels: true }).catch((e: unknown) => e);
    const owned2 = pool.acquire({ agent: "a", signal: sig, ownerCancels: true }).catch((e: unknown) => e);
    const watched = pool.acquire({ agent: "a", signal: new AbortController().signal });
    const other = pool.acquire({ agent: "b", signal: sig, ownerCancels: true });
    expect(getEventListeners(sig, "abort")).toHaveLength(0);
    let made = 0;
    const why = new AiosError("E_CANCELLED", "agent a ended");
    pool.cancelWaiting("nobody", () => (made++, why));
    expect(made).toBe(0); // nothing waits for it: no reason made
    pool.cancelWaiting("a", () => (made++, why));
    expect(made).toBe(2);
    for (const e of [await owned, await owned2]) {
      expect(e).toBeInstanceOf(AiosError);
      expect((e as AiosError).code).toBe("E_CANCELLED");
      expect((e as AiosError).message).toBe("request cancelled while waiting for pool p");
      expect((e as AiosError).cause).toBe(why);
    }
    expect(pool.stats()).toMatchObject({ queued: 2, cancelled: 2 });
    // The watched request of the same agent and another agent's owned one still wait, in order.
    first.release();
    (await watched).release();
    (await other).release();
    expect(pool.stats()).toMatchObject({ granted: 3, released: 3, inUse: 0, queued: 0 });
  });

  it("an already-aborted signal is rejected at once; abort after the grant changes nothing", async () => {
    const pool = newPool({ policy: "wfq" });
    await expect(pool.acquire({ agent: "a", signal: AbortSignal.abort() })).rejects.toMatchObject({ code: "E_CANCELLED" });
    const ac = new AbortController();
    const l = await pool.acquire({ agent: "a", signal: ac.signal });
    ac.abort();
    expect(pool.stats().inUse).toBe(1);
    l.release();
    l.release(); // idempotent
    expect(pool.stats()).toMatchObject({ inUse: 0, released: 1 });
  });
});

  it("one signal's waits share one abort listener; an abort cancels every request still waiting under it", async () => {
    const pool = newPool({ policy: "fifo", capacity: 1 });
    const holder = await pool.acquire({ agent: "a" });
    const ac = new AbortController();
    // An agent waits, is granted, releases and waits again: the listener is added once, not per wait.
    const w1 = pool.acquire({ agent: "b", signal: ac.signal });
    holder.release();
    const l1 = await w1;
    const other = pool.acquire({ agent: "c" });
    const w2 = pool.acquire({ agent: "b", signal: ac.signal });
    const w3 = pool.acquire({ agent: "b2", signal: ac.signal });
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(1);
    ac.abort();
    await expect(w2).rejects.toMatchObject({ code: "E_CANCELLED" });
    await expect(w3).rejects.toMatchObject({ code: "E_CANCELLED" });
    // The running lease of the same signal is not touched; the slot goes on to "c" at its release.
    expect(pool.stats()).toMatchObject({ inUse: 1, queued: 1, cancelled: 2 });
    l1.release();
    (await other).release();
    expect(pool.stats()).toMatchObject({ inUse: 0, queued: 0, granted: 3, released: 3 });
  });

describe("admission", () => {
  it("rejects beyond maxQueue with E_RATE_LIMITED, and bad fields with E_INVALID_ARG naming the field", async () => {
    const pool = newPool({ policy: "fifo", maxQueue: 1 });
    await pool.acquire({ agent: "a" });
    void pool.acquire({ agent: "b" });
    await expect(pool.acquire({ agent: "c" })).rejects.toMatchObject({ code: "E_RATE_LIMITED" });
    await expect(pool.acquire({ agent: "x", weight: 0 })).rejects.toBeInstanceOf(AiosError);
    await expect(pool.acquire({ agent: "x", tokens: Number.NaN })).rejects.toMatchObject({ code: "E_INVALID_ARG", details: { path: "tokens" } });
    await expect(pool.acquire({ agent: "" })).rejects.toMatchObject({ code: "E_INVALID_ARG", details: { path: "agent" } });
  });

  it("close() rejects waiters with E_SHUTDOWN and refuses new requests", async () => {
    const pool = newPool({ policy: "priority" });
    await pool.acquire({ agent: "a" });
    const waiting = pool.acquire({ agent: "b" });
    pool.close();
    await expect(waiting).rejects.toMatchObject({ code: "E_SHUTDOWN" });
    await expect(pool.acquire({ agent: "c" })).rejects.toMatchObject({ code: "E_SHUTDOWN" });
  });

  it("an unknown pool is E_INVALID_ARG unless a default pool is configured", async () => {
    const clock = new SimulatedClock();
    await expect(new InferenceScheduler({ clock }).lease("gpu", { agent: "a" })).rejects.toMatchObject({ code: "E_INVALID_ARG" });
    const s = new InferenceScheduler({ clock, defaultPool: { capacity: 2, policy: "round-robin" } });
    (await s.lease("gpu", { agent: "a" })).release();
    expect(s.stats()).toEqual([expect.objectContaining({ name: "gpu", capacity: 2, policy: "round-robin", released: 1 })]);
    expect(() => new InferenceScheduler({ clock, pools: { x: { capacity: 0 } } })).toThrow(/pools\.x\.capacity/);
  });
});

describe("preemption", () => {
  it("a higher-priority arrival asks the lowest preemptible holder to yield; it resumes afterwards", async () => {
    const pool = newPool({ policy: "priority", capacity: 2 });
    const low = await pool.acquire({ agent: "low", priority: 0, preemptible: true });
    const lower = await pool.acquire({ agent: "lower", priority: -3, preemptible: true });
    let asked: string | undefined;
    lower.preemption.onRequested((by) => (asked = by));
    let high: Lease | undefined;
    void pool.acquire({ agent: "high", priority: 9 }).then((l) => (high = l));
    expect(lower.preemption.requested).toBe(true);
    expect(asked).toBe("p#3");
    expect(low.preemption.requested).toBe(false);
    expect(pool.stats().preempted).toBe(1);

    // The provider reaches a token boundary and yields; the waiter gets the slot.
    let resumed = false;
    const y = lower.yield().then(() => (resumed = true));
    await tick();
    expect(high).toBeDefined();
    expect(resumed).toBe(false);
    expect(pool.stats()).toMatchObject({ inUse: 2, queued: 1 });
    high?.release();
    await y;
    expect(resumed).toBe(true);
    expect(lower.preemption.requested).toBe(false);
    lower.release();
    low.release();
    expect(pool.stats()).toMatchObject({ inUse: 0, queued: 0, released: 3 });
  });

  it("a holder granted at once (nothing queued) and aborted only after yielding leaves the queue cancelled", async () => {
    const pool = newPool({ policy: "priority", capacity: 1 });
    const ac = new AbortController();
    // The pool was empty: granted on the spot, with no abort listener until it waits again.
    const low = await pool.acquire({ agent: "low", priority: 0, preemptible: true, signal: ac.signal });
    let high: Lease | undefined;
    void pool.acquire({ agent: "high", priority: 9 }).then((l) => (high = l));
    expect(low.preemption.requested).toBe(true);
    const y = low.yield();
    await tick();
    expect(high).toBeDefined();
    ac.abort(); // while re-queued behind "high"
    await expect(y).rejects.toMatchObject({ code: "E_CANCELLED" });
    high?.release();
    expect(pool.stats()).toMatchObject({ inUse: 0, queued: 0, granted: 2, released: 1, cancelled: 1 });
  });

  it("an abort while holding the slot changes nothing, also for a holder granted at once", async () => {
    const pool = newPool({ policy: "wfq", capacity: 1 });
    const ac = new AbortController();
    const l = await pool.acquire({ agent: "a", preemptible: true, signal: ac.signal });
    ac.abort();
    expect(pool.stats()).toMatchObject({ inUse: 1, cancelled: 0 });
    l.release();
    expect(pool.stats()).toMatchObject({ inUse: 0, released: 1, cancelled: 0 });
  });

  it("non-preemptible holders are never asked, and FIFO never preempts", async () => {
    const prio = newPool({ policy: "priority" });
    const l = await prio.acquire({ agent: "a", priority: 0 });
    void prio.acquire({ agent: "b", priority: 9 });
    expect(l.preemption.requested).toBe(false);
    const fifo = newPool({ policy: "fifo" });
    const f = await fifo.acquire({ agent: "a", preemptible: true });
    void fifo.acquire({ agent: "b", priority: 9 });
    expect(f.preemption.requested).toBe(false);
    await expect(f.yield()).resolves.toBeUndefined(); // nothing pending: a no-op
  });

  it("EDF preempts a running request for an earlier deadline", async () => {
    const clock = new SimulatedClock(0);
    const pool = newPool({ policy: "edf" }, clock);
    const late = await pool.acquire({ agent: "a", deadline: 1_000, preemptible: true });
    void pool.acquire({ agent: "b", deadline: 100 });
    expect(late.preemption.requested).toBe(true);
  });
});

describe("priority inheritance", () => {
  it("a donation boosts the helper's queued requests above a middle class, and undo restores them", async () => {
    const s = new InferenceScheduler({ clock: new SimulatedClock(), pools: { llm: { capacity: 1, policy: "priority" } } });
    const blocker = await s.lease("llm", { agent: "x", priority: 20 });
    const order: string[] = [];
    const leases: Lease[] = [];
    const take = (name: string) => (l: Lease) => {
      order.push(name);
      leases.push(l);
    };
    void s.lease("llm", { agent: "helper", priority: -5 }).then(take("helper"));
    void s.lease("llm", { agent: "mid", priority: 3 }).then(take("mid"));
    const undo = s.inherit("helper", "high", 10);
    void s.lease("llm", { agent: "helper", priority: -5 }).then(take("helper-2"));
    undo();
    void s.lease("llm", { agent: "helper", priority: -5 }).then(take("helper-3"));
    blocker.release();
    for (let i = 0; i < 4; i++) {
      await tick();
      leases[i]?.release();
    }
    // helper and helper-2 were queued while boosted; the boost on queued requests is removed by undo,
    // so the order falls back to classes: mid (3) first, then the helper's requests in arrival order.
    expect(order).toEqual(["mid", "helper", "helper-2", "helper-3"]);
  });

  it("while the donation holds, the helper goes before the middle class", async () => {
    const s = new InferenceScheduler({ clock: new SimulatedClock(), pools: { llm: { capacity: 1, policy: "priority" } } });
    const blocker = await s.lease("llm", { agent: "x" });
    const order: string[] = [];
    void s.lease("llm", { agent: "mid", priority: 3 }).then((l) => (order.push("mid"), l.release()));
    void s.lease("llm", { agent: "helper", priority: -5 }).then((l) => (order.push("helper"), l.release()));
    s.inherit("helper", "high", 10);
    blocker.release();
    await tick(12);
    expect(order).toEqual(["helper", "mid"]);
  });

  it("a request made on behalf of a waiter ranks at the waiter's priority", async () => {
    const pool = newPool({ policy: "priority" });
    const blocker = await pool.acquire({ agent: "x" });
    const order: string[] = [];
    void pool.acquire({ agent: "mid", priority: 3 }).then((l) => (order.push("mid"), l.release()));
    void pool.acquire({ agent: "helper", priority: -5, onBehalfOf: 8 }).then((l) => (order.push("helper"), l.release()));
    blocker.release();
    await tick(12);
    expect(order).toEqual(["helper", "mid"]);
  });
});

describe("events", () => {
  it("every decision is an event on the bus", async () => {
    const clock = new SimulatedClock(0);
    const bus = new EventBus(() => clock.now());
    const seen: AnyKernelEvent[] = [];
    bus.subscribe({ types: ["sched.*"] }, (e) => void seen.push(e));
    const pool = new SlotPool("llm", { capacity: 1, policy: "priority" }, clock, bus);
    const a = await pool.acquire({ agent: "a", preemptible: true });
    const ac = new AbortController();
    void pool.acquire({ agent: "b", signal: ac.signal }).catch(() => undefined);
    void pool.acquire({ agent: "c", priority: 5 }).then((l) => l.release());
    ac.abort();
    clock.advance(40);
    await a.yield();
    a.release();
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(seen.map((e) => e.type)).toEqual([
      "sched.enqueued",
      "sched.granted",
      "sched.enqueued",
      "sched.enqueued",
      "sched.preempted",
      "sched.cancelled",
      "sched.yielded",
      "sched.enqueued",
      "sched.granted",
      "sched.released",
      "sched.granted",
      "sched.released",
    ]);
    expect(seen.find((e) => e.type === "sched.yielded")?.data).toMatchObject({ request: "llm#1", heldMs: 40 });
  });
});
