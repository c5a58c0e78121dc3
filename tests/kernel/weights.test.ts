/**
 * Weighted run queue: a visit grants an agent `weight x 1.25^priority` receives (deficit round robin).
 * Every agent with mail still runs each round; heavier agents get proportionally more turns.
 */
import { describe, expect, it } from "vitest";
import type { AgentId, AgentLogic, AgentSpecInput } from "../../src/index.js";
import { bootSim, settle } from "./helpers.js";

const N = 300;

async function race(specs: { name: string; weight?: number; priority?: number }[]): Promise<string[]> {
  const { os } = await bootSim();
  const order: string[] = [];
  const ids = [];
  for (const s of specs) {
    const logic: AgentLogic<null> = { receive: (st) => { order.push(s.name); return st; } };
    const spec: AgentSpecInput = { name: s.name, kind: "code", logic, mailbox: { capacity: N + 1 }, ...(s.weight === undefined ? {} : { weight: s.weight }), ...(s.priority === undefined ? {} : { priority: s.priority }) };
    ids.push(await os.spawn(spec));
  }
  // Fill every mailbox before the run loop's next turn, so all agents compete from the first round.
  for (let i = 0; i < N; i++) for (const id of ids) void os.send(id, i);
  for (let r = 0; r < 100 && order.length < N * specs.length; r++) await settle();
  await os.shutdown();
  return order;
}

const count = (xs: string[], name: string): number => xs.filter((x) => x === name).length;

describe("weighted run queue", () => {
  it("gives equal agents one receive each per round (plain round robin)", async () => {
    const order = await race([{ name: "a" }, { name: "b" }, { name: "c" }]);
    expect(order.length).toBe(3 * N);
    expect(order.slice(0, 9)).toEqual(["a", "b", "c", "a", "b", "c", "a", "b", "c"]);
  });

  it("gives a weight-3 agent three receives per round, and the light one still runs every round", async () => {
    const order = await race([{ name: "light" }, { name: "heavy", weight: 3 }]);
    expect(order.slice(0, 8)).toEqual(["light", "heavy", "heavy", "heavy", "light", "heavy", "heavy", "heavy"]);
    const first = order.slice(0, 200);
    expect(count(first, "heavy") / count(first, "light")).toBeCloseTo(3, 0);
    expect(order.length).toBe(2 * N); // nothing lost: every message handled
  });

  it("scales the share by 1.25 per priority step, fractional shares included", async () => {
    const order = await race([{ name: "base" }, { name: "high", priority: 5 }, { name: "low", priority: -5 }]);
    const first = order.slice(0, 400);
    const base = count(first, "base");
    expect(count(first, "high") / base).toBeGreaterThan(2.8); // 1.25^5 = 3.05
    expect(count(first, "high") / base).toBeLessThan(3.3);
    expect(count(first, "low") / base).toBeGreaterThan(0.25); // 1.25^-5 = 0.33
    expect(count(first, "low") / base).toBeLessThan(0.4);
    expect(order.length).toBe(3 * N);
  });

  it("an agent alone goes on past its share, and yields once another agent gets mail", async () => {
    const { os } = await bootSim();
    const order: string[] = [];
    let b = "" as AgentId;
    const a = await os.spawn({
      name: "a",
      kind: "code",
      mailbox: { capacity: 100 },
      logic: {
        receive: (st: null, m: unknown, ctx) => {
          order.push(`a${String(m)}`);
          // Its fifth letter wakes b: from its next share on, a waits its turn behind b.
          if (m === 4) for (let i = 0; i < 3; i++) void ctx.send(b, i);
          return st;
        },
      },
      capabilities: ["agent:*#send"],
    });
    b = await os.spawn({ name: "b", kind: "code", mailbox: { capacity: 100 }, logic: { receive: (st: null, m: unknown) => { order.push(`b${String(m)}`); return st; } } });
    for (let i = 0; i < 10; i++) void os.send(a, i);
    for (let r = 0; r < 50 && order.length < 13; r++) await settle();
    expect(order).toEqual(["a0", "a1", "a2", "a3", "a4", "b0", "a5", "b1", "a6", "b2", "a7", "a8", "a9"]);
    await os.shutdown();
  });

  it("an upgrade that changes the weight changes the share", async () => {
    const { os } = await bootSim();
    const order: string[] = [];
    const mk = (name: string): AgentLogic<null> => ({ receive: (st) => { order.push(name); return st; } });
    const a = await os.spawn({ name: "a", kind: "code", logic: mk("a"), mailbox: { capacity: 100 } });
    const b = await os.spawn({ name: "b", kind: "code", logic: mk("b"), mailbox: { capacity: 100 } });
    await os.upgrade(b, { spec: { weight: 2 } });
    for (let i = 0; i < 30; i++) { void os.send(a, i); void os.send(b, i); }
    for (let r = 0; r < 50 && order.length < 60; r++) await settle();
    expect(order.slice(0, 6)).toEqual(["a", "b", "b", "a", "b", "b"]);
    await os.shutdown();
  });
});
