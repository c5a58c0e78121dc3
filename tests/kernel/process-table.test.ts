/**
 * The process table commits only on success (issue #10 item 4): a spawn whose start fails, by any
 * route, leaves nothing behind — no entry in ps or tree, no place in a parent's children, no status
 * to look up — and a supervisor whose child cannot start takes the children it did start with it.
 */
import { describe, expect, it } from "vitest";
import { isAiosError, type AgentLogic } from "../../src/index.js";
import { bootSim, record, settle } from "./helpers.js";

const idle: AgentLogic = { receive: (s) => s };
const badInit: AgentLogic = {
  init: () => {
    throw new Error("no config");
  },
  receive: (s) => s,
};
const badAsyncInit: AgentLogic = {
  init: async () => {
    await Promise.resolve();
    throw new Error("no db");
  },
  receive: (s) => s,
};

describe("a failed start leaves nothing behind", () => {
  it("os.spawn whose init throws (sync or async): refused, and the agent is in no view", async () => {
    const { os } = await bootSim();
    const spawned = record(os, { types: ["agent.spawned"] });
    for (const [name, logic] of [["bad", badInit], ["bad-async", badAsyncInit]] as const) {
      const err = await os.spawn({ name, kind: "code", logic }).then(() => undefined, (e: unknown) => e);
      expect(isAiosError(err, "E_AGENT_CRASHED")).toBe(true);
      expect(os.ps({ name })).toEqual([]);
    }
    // It did enter (its spawn was announced) and it left: its id names no agent.
    await settle();
    expect(spawned).toHaveLength(2);
    for (const e of spawned) expect(() => os.status(e.agent as string)).toThrow(/no agent/);
    expect(os.ps()).toEqual([]);
    expect(os.tree()).toEqual([]);
    await os.shutdown();
  });

  it("a child an agent spawns whose init fails is not among its parent's children", async () => {
    const { os } = await bootSim();
    let outcome = "";
    const parent = await os.spawn({
      name: "parent", kind: "code", capabilities: ["agent#spawn"],
      logic: {
        receive: async (s: unknown, _m: unknown, ctx) => {
          outcome = await ctx.spawn({ name: "kid", kind: "code", logic: "bad-init" }).then(() => "spawned", (e: unknown) => (isAiosError(e) ? e.code : "?"));
          return s;
        },
      },
    });
    os.kernel.registerLogic("bad-init", badInit);
    await os.send(parent, "go");
    for (let i = 0; i < 20 && outcome === ""; i++) await settle();
    expect(outcome).toBe("E_AGENT_CRASHED");
    expect(os.status(parent).children).toEqual([]);
    expect(os.ps({ name: "*kid*" })).toEqual([]);
    await os.shutdown();
  });

  it("a supervisor whose second child cannot start is refused with the child it started", async () => {
    const { os } = await bootSim();
    const err = await os.spawn({
      name: "sup", kind: "supervisor",
      children: [{ name: "ok", kind: "code", logic: idle }, { name: "broken", kind: "code", logic: badInit }],
    }).then(() => undefined, (e: unknown) => e);
    expect(isAiosError(err, "E_AGENT_CRASHED")).toBe(true);
    await settle();
    expect(os.ps()).toEqual([]);
    expect(os.tree()).toEqual([]);
    // The table is whole again: a fresh spawn under the same name works and stands alone.
    const id = await os.spawn({ name: "ok", kind: "code", logic: idle });
    expect(os.ps().map((a) => a.id)).toEqual([id]);
    await os.shutdown();
  });
});
