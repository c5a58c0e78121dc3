import { describe, expect, it } from "vitest";
import { isAiosError, type AgentContext, type AgentId, type AgentLogic } from "../../src/index.js";
import { bootSim, counter, record, settle } from "./helpers.js";

describe("the context an agent's init gets", () => {
  it("keeps working after init, as the receive's own does; an agent that never received holds none", async () => {
    const { os } = await bootSim();
    const got: unknown[] = [];
    const sink = await os.spawn({ name: "sink", kind: "code", logic: { receive: (s: null, m: unknown) => (got.push(m), s) } });
    // init keeps its context; receive sends through the kept one and through its own.
    const keeper: AgentLogic<{ kept: AgentContext }> = {
      init: (ctx) => ({ kept: ctx }),
      receive: (s, m, ctx) => {
        void s.kept.send(sink, `kept:${String(m)}:${s.kept.self}`);
        void ctx.send(sink, `own:${String(m)}:${ctx.self}`);
        return s;
      },
    };
    const k = await os.spawn({ name: "keeper", kind: "code", logic: keeper, capabilities: ["agent:*#send"] });
    const idle = await os.spawn({ name: "idle", kind: "code", logic: { init: (ctx) => ctx.self, receive: (s: string) => s } });
    expect(os.kernel.get(idle).ctx).toBeNull();
    await os.send(k, 1);
    for (let i = 0; i < 20 && got.length < 2; i++) await settle();
    expect(got).toEqual([`kept:1:${k}`, `own:1:${k}`]);
    await os.shutdown();
  });
});

describe("mailboxes and backpressure", () => {
  it("fails fast with E_MAILBOX_FULL when the recipient says so", async () => {
    const { os } = await bootSim();
    const seen = record(os, { types: ["mailbox.full"] });
    const id = await os.spawn({ name: "slow", kind: "code", logic: counter, mailbox: { capacity: 2, onFull: "fail" } });
    await os.pause(id);
    await os.send(id, 1);
    await os.send(id, 2);
    await expect(os.send(id, 3)).rejects.toSatisfy((e) => isAiosError(e, "E_MAILBOX_FULL"));
    await settle();
    expect(seen).toHaveLength(1);
    expect(os.status(id).mailbox).toBe(2);
    await os.shutdown();
  });

  it("makes the sender wait for room, then admits it in order", async () => {
    const { os } = await bootSim();
    const got: unknown[] = [];
    const id = await os.spawn({ name: "slow", kind: "code", logic: { receive: (s: null, m: unknown) => (got.push(m), s) }, mailbox: { capacity: 2, onFull: "wait" } });
    await os.pause(id);
    await os.send(id, 1);
    await os.send(id, 2);
    let admitted = false;
    const third = os.send(id, 3).then(() => (admitted = true));
    await settle();
    expect(admitted).toBe(false);
    await os.resume(id);
    await third;
    await settle();
    expect(admitted).toBe(true);
    expect(got).toEqual([1, 2, 3]);
    await os.shutdown();
  });

  it("an agent sending to a full mailbox with onFull=fail gets the error in its own receive", async () => {
    const { os } = await bootSim();
    const sink = await os.spawn({ name: "sink", kind: "code", logic: counter, mailbox: { capacity: 1, onFull: "fail" } });
    await os.pause(sink);
    const errors: string[] = [];
    const sender: AgentLogic<null> = {
      receive: (s, _m, ctx) => {
        // A refusal is a rejected promise (the kernel's), never a throw.
        for (let i = 0; i < 3; i++) void Promise.resolve(ctx.send(sink, i)).catch((e: { code: string }) => errors.push(e.code));
        return s;
      },
    };
    const a = await os.spawn({ name: "sender", kind: "code", logic: sender, capabilities: ["agent:*#send"] });
    await os.send(a, "go");
    await settle();
    expect(errors).toEqual(["E_MAILBOX_FULL", "E_MAILBOX_FULL"]);
    await os.shutdown();
  });

  it("answers requests, times out on the injected clock, and refuses mail to unknown agents", async () => {
    const { os, clock } = await bootSim();
    const id = await os.spawn({ name: "c", kind: "code", logic: counter });
    expect(await os.request(id, "x")).toBe(1);
    const silent = await os.spawn({ name: "s", kind: "code", logic: { receive: (s: null) => s } });
    const pending = os.request(silent, "x", { timeoutMs: 1_000 });
    clock.advance(1_000);
    await expect(pending).rejects.toSatisfy((e) => isAiosError(e, "E_TIMEOUT"));
    await expect(os.send("ag_nope_1", 1)).rejects.toSatisfy((e) => isAiosError(e, "E_NO_AGENT"));
    await os.shutdown();
  });

  it("a request to an agent that crashes or is killed fails instead of hanging", async () => {
    const { os } = await bootSim();
    const id = await os.spawn({ name: "c", kind: "code", logic: counter });
    await expect(os.request(id, "boom")).rejects.toSatisfy((e) => isAiosError(e, "E_AGENT_CRASHED"));
    const p = await os.spawn({ name: "p", kind: "code", logic: counter });
    await os.pause(p);
    const pending = os.request(p, "x");
    await os.kill(p);
    await expect(pending).rejects.toSatisfy((e) => isAiosError(e, "E_AGENT_STOPPED"));
    await os.shutdown();
  });

  it("refuses a send the agent holds no capability for, before it is delivered", async () => {
    const { os } = await bootSim();
    const target = await os.spawn({ name: "t", kind: "code", logic: counter });
    const denied: string[] = [];
    const noCaps: AgentLogic<null> = {
      receive: (s, _m, ctx) => {
        void Promise.resolve(ctx.send(target, "hi")).catch((e: { code: string }) => denied.push(e.code));
        return s;
      },
    };
    const a = await os.spawn({ name: "a", kind: "code", logic: noCaps });
    const b = await os.spawn({ name: "b", kind: "code", logic: noCaps, capabilities: [`agent:${target}#send`] });
    await os.send(a, 1);
    await os.send(b, 1);
    await settle();
    expect(denied).toEqual(["E_CAP_DENIED"]);
    expect(await os.request(target, "count")).toBe(2); // only b's message arrived
    await os.shutdown();
  });
});

describe("the run loop", () => {
  it("round-robins one receive per turn, so a hog cannot starve the others", async () => {
    const { os } = await bootSim({ hogThresholdMs: 5 });
    const order: string[] = [];
    const hogs = record(os, { types: ["agent.hog"] });
    const busy = (ms: number): void => {
      const end = Date.now() + ms;
      while (Date.now() < end) { /* burn CPU on purpose */ }
    };
    const hog: AgentLogic<number> = { init: () => 0, receive: (n, _m, ctx) => { busy(20); order.push("hog"); if (n < 4) void ctx.send(ctx.self, 0); return n + 1; } };
    const light: AgentLogic<null> = { receive: (s, _m, ctx) => { order.push(ctx.spec.name); return s; } };
    const h = await os.spawn({ name: "hog", kind: "code", logic: hog, capabilities: ["agent:*#send"] });
    const ids: AgentId[] = [];
    for (const n of ["x", "y"]) ids.push(await os.spawn({ name: n, kind: "code", logic: light }));
    await os.send(h, 0);
    for (let i = 0; i < 3; i++) for (const id of ids) await os.send(id, i);
    for (let i = 0; i < 50 && order.filter((o) => o === "hog").length < 5; i++) await settle();
    // Everyone gets a turn between the hog's receives: x and y are done before the hog's last turns.
    expect(order.slice(0, 9)).toEqual(["hog", "x", "y", "hog", "x", "y", "hog", "x", "y"]);
    await settle();
    expect(hogs.length).toBeGreaterThanOrEqual(1);
    expect(hogs[0]).toMatchObject({ type: "agent.hog", agent: h });
    await os.shutdown();
  });

  it("drops events for a slow subscriber and counts them, never blocking the kernel", async () => {
    const { os } = await bootSim();
    let seen = 0;
    const unsub = os.events.subscribe({ types: ["agent.*"] }, () => { seen++; }, { bufferSize: 5 });
    for (let i = 0; i < 10; i++) await os.spawn({ name: `e${i}`, kind: "code", logic: counter });
    await settle();
    expect(seen).toBe(5);
    expect(unsub.subscription.dropped).toBeGreaterThan(0);
    unsub();
    await os.shutdown();
  });

  it("filters events by agent and severity", async () => {
    const { os } = await bootSim();
    const id = await os.spawn({ name: "c", kind: "code", logic: counter });
    const mine = record(os, { agent: id });
    const errors = record(os, { minSeverity: "error" });
    await os.spawn({ name: "other", kind: "code", logic: counter });
    await os.send(id, "boom");
    await settle();
    expect(mine.every((e) => e.agent === id)).toBe(true);
    expect(mine.map((e) => e.type)).toContain("agent.crashed");
    expect(errors.every((e) => e.severity === "error" || e.severity === "critical")).toBe(true);
    expect(errors.length).toBeGreaterThan(0);
    await os.shutdown();
  });
});
