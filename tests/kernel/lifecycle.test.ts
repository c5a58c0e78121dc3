import { describe, expect, it } from "vitest";
import { ALL_STATUSES, TRANSITIONS, canTransition, checkTransition, isAiosError, type AgentStatus } from "../../src/index.js";
import { bootSim, counter, record, settle } from "./helpers.js";

const LEGAL: [AgentStatus, AgentStatus][] = [
  ["pending", "running"], ["pending", "failed"], ["pending", "killed"],
  ["running", "paused"], ["running", "completed"], ["running", "failed"], ["running", "killed"],
  ["paused", "running"], ["paused", "failed"], ["paused", "killed"],
];

describe("the lifecycle table", () => {
  it("allows exactly DESIGN's transitions", () => {
    for (const from of ALL_STATUSES) {
      for (const to of ALL_STATUSES) {
        const legal = LEGAL.some(([f, t]) => f === from && t === to);
        expect(canTransition(from, to), `${from} -> ${to}`).toBe(legal);
        if (legal) expect(checkTransition(from, to, "op", "a")).toBe(to);
        else expect(() => checkTransition(from, to, "op", "a")).toThrow(/is not a legal transition/);
      }
    }
  });

  it("has no way out of a terminal state", () => {
    for (const s of ["completed", "failed", "killed"] as const) expect(TRANSITIONS[s]).toEqual([]);
  });
});

describe("lifecycle operations on agents", () => {
  it("walks pending -> running -> paused -> running -> killed, one event per transition", async () => {
    const { os } = await bootSim();
    const seen = record(os, { types: ["agent.transition"] });
    const id = await os.spawn({ name: "c", kind: "code", logic: counter });
    expect(os.status(id).status).toBe("running");
    await os.pause(id);
    expect(os.status(id).status).toBe("paused");
    await os.resume(id);
    await os.kill(id);
    expect(os.status(id).status).toBe("killed");
    await settle();
    expect(seen.map((e) => e.type === "agent.transition" && `${e.data.from}->${e.data.to}`)).toEqual([
      "none->pending", "pending->running", "running->paused", "paused->running", "running->killed",
    ]);
    await os.shutdown();
  });

  it("reaches completed when the logic stops and failed when it throws", async () => {
    const { os } = await bootSim();
    const a = await os.spawn({ name: "a", kind: "code", logic: counter });
    const b = await os.spawn({ name: "b", kind: "code", logic: counter });
    await os.send(a, "stop");
    await os.send(b, "boom");
    await settle();
    expect(os.status(a).status).toBe("completed");
    expect(os.status(b).status).toBe("failed");
    expect(os.status(b).exitReason).toMatch(/boom/);
    await os.shutdown();
  });

  it("refuses illegal operations with E_ILLEGAL_TRANSITION and changes nothing", async () => {
    const { os } = await bootSim();
    const id = await os.spawn({ name: "c", kind: "code", logic: counter });
    await expect(os.resume(id)).rejects.toSatisfy((e) => isAiosError(e, "E_ILLEGAL_TRANSITION"));
    expect(os.status(id).status).toBe("running");
    await os.kill(id);
    await expect(os.pause(id)).rejects.toSatisfy((e) => isAiosError(e, "E_ILLEGAL_TRANSITION"));
    await expect(os.resume(id)).rejects.toSatisfy((e) => isAiosError(e, "E_ILLEGAL_TRANSITION"));
    expect(await os.kill(id)).toBe(false);
    expect(os.status(id).status).toBe("killed");
    await os.shutdown();
  });

  it("holds mail while paused and delivers it in order on resume", async () => {
    const { os } = await bootSim();
    const got: unknown[] = [];
    const id = await os.spawn({ name: "p", kind: "code", logic: { receive: (s: null, m: unknown) => (got.push(m), s) } });
    await os.pause(id);
    for (const m of [1, 2, 3]) await os.send(id, m);
    await settle();
    expect(got).toEqual([]);
    expect(os.status(id).mailbox).toBe(3);
    await os.resume(id);
    await settle();
    expect(got).toEqual([1, 2, 3]);
    await os.shutdown();
  });

  it("waits for an async init, and fails an agent whose async init rejects", async () => {
    const { os } = await bootSim();
    const id = await os.spawn({ name: "slow-init", kind: "code", logic: { init: async () => 41, receive: (n: number, _m: unknown, ctx) => (ctx.reply(n + 1), n + 1) } });
    expect(os.status(id).status).toBe("running");
    expect(await os.request(id, "x")).toBe(42);
    await expect(os.spawn({ name: "bad-async", kind: "code", logic: { init: async () => { throw new Error("no db"); }, receive: (s: unknown) => s } }))
      .rejects.toThrow(/failed in init: no db/);
    // A failed start leaves nothing behind (process-table.ts): the agent is not in the table.
    expect(os.ps({ name: "bad-async" })).toEqual([]);
    await os.shutdown();
  });

  it("fails an agent whose init throws, and spawn reports it", async () => {
    const { os } = await bootSim();
    await expect(os.spawn({ name: "bad", kind: "code", logic: { init: () => { throw new Error("no config"); }, receive: (s: unknown) => s } }))
      .rejects.toThrow(/failed in init: no config/);
    expect(os.ps({ name: "bad" })).toEqual([]);
    await os.shutdown();
  });
});
