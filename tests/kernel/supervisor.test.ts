import { describe, expect, it } from "vitest";
import type { AgentSpecInput, Aios } from "../../src/index.js";
import { bootSim, counter, record, settle } from "./helpers.js";

function worker(name: string, restart: "permanent" | "transient" | "temporary" = "permanent"): AgentSpecInput {
  return { name, kind: "code", logic: counter, restart };
}

function idOf(os: Aios, name: string): string {
  const a = os.ps({ name, status: ["running", "pending", "paused"] })[0] ?? os.ps({ name })[0];
  if (a === undefined) throw new Error(`no agent ${name}`);
  return a.id;
}
const inc = (os: Aios, name: string): number => os.status(idOf(os, name)).incarnation;

async function supervised(strategy: "one_for_one" | "one_for_all" | "rest_for_one", intensity = 3, periodMs = 5_000) {
  const { os, clock } = await bootSim();
  const sup = await os.spawn({
    name: "sup", kind: "supervisor", supervision: { strategy, intensity, periodMs },
    children: [worker("a"), worker("b"), worker("c")],
  });
  return { os, clock, sup };
}

describe("supervision strategies", () => {
  it("one_for_one restarts only the crashed child, keeping its id", async () => {
    const { os, sup } = await supervised("one_for_one");
    const b = idOf(os, "b");
    await os.send(b, "boom");
    await settle();
    expect(idOf(os, "b")).toBe(b);
    expect([inc(os, "a"), inc(os, "b"), inc(os, "c")]).toEqual([0, 1, 0]);
    expect(os.status(b).status).toBe("running");
    expect(os.status(sup).status).toBe("running");
    expect(await os.request(b, "hi")).toBe(1); // fresh state in the new incarnation
    await os.shutdown();
  });

  it("one_for_all restarts every child", async () => {
    const { os } = await supervised("one_for_all");
    await os.send(idOf(os, "b"), "boom");
    await settle();
    expect([inc(os, "a"), inc(os, "b"), inc(os, "c")]).toEqual([1, 1, 1]);
    for (const n of ["a", "b", "c"]) expect(os.status(idOf(os, n)).status).toBe("running");
    await os.shutdown();
  });

  it("rest_for_one restarts the crashed child and those started after it", async () => {
    const { os } = await supervised("rest_for_one");
    await os.send(idOf(os, "b"), "boom");
    await settle();
    expect([inc(os, "a"), inc(os, "b"), inc(os, "c")]).toEqual([0, 1, 1]);
    await os.shutdown();
  });

  it("stops the others last-started-first before a one_for_all restart", async () => {
    const { os } = await supervised("one_for_all");
    const seen = record(os, { types: ["agent.transition"] });
    await os.send(idOf(os, "a"), "boom");
    await settle();
    const kills = seen.filter((e) => e.type === "agent.transition" && e.data.to === "killed").map((e) => os.status(e.agent as string).name);
    expect(kills).toEqual(["c", "b"]);
    await os.shutdown();
  });
});

describe("restart types", () => {
  it("permanent restarts after a normal exit, transient only after a crash, temporary never", async () => {
    const { os } = await bootSim();
    await os.spawn({ name: "sup", kind: "supervisor", supervision: { intensity: 10 }, children: [worker("p"), worker("t", "transient"), worker("x", "temporary")] });
    await os.send(idOf(os, "p"), "stop");
    await os.send(idOf(os, "t"), "stop");
    await os.send(idOf(os, "x"), "boom");
    await settle();
    expect(os.status(idOf(os, "p"))).toMatchObject({ status: "running", incarnation: 1 });
    expect(os.status(idOf(os, "t"))).toMatchObject({ status: "completed", incarnation: 0 });
    expect(os.status(idOf(os, "x"))).toMatchObject({ status: "failed", incarnation: 0 });
    await os.send(idOf(os, "t"), "x").catch(() => undefined);
    await os.shutdown();
  });

  it("a transient child that crashes is restarted", async () => {
    const { os } = await bootSim();
    await os.spawn({ name: "sup", kind: "supervisor", children: [worker("t", "transient")] });
    await os.send(idOf(os, "t"), "boom");
    await settle();
    expect(os.status(idOf(os, "t"))).toMatchObject({ status: "running", incarnation: 1 });
    await os.shutdown();
  });

  it("an operator's kill is not undone by the supervisor", async () => {
    const { os } = await supervised("one_for_one");
    await os.kill(idOf(os, "a"));
    await settle();
    expect(os.status(idOf(os, "a")).status).toBe("killed");
    await os.shutdown();
  });
});

describe("restart intensity", () => {
  it("uses OTP's default of 1 restart per 5 s", async () => {
    const { os, clock } = await bootSim();
    const sup = await os.spawn({ name: "sup", kind: "supervisor", children: [worker("a")] });
    await os.send(idOf(os, "a"), "boom");
    await settle();
    expect(os.status(sup).status).toBe("running");
    clock.advance(5_001);
    await os.send(idOf(os, "a"), "boom"); // outside the period: allowed again
    await settle();
    expect(os.status(sup).status).toBe("running");
    await os.send(idOf(os, "a"), "boom"); // second within 5 s: too many
    await settle();
    expect(os.status(sup).status).toBe("failed");
    await os.shutdown();
  });

  it("a supervisor over its intensity stops its children and escalates to its parent", async () => {
    const { os } = await bootSim();
    const seen = record(os, { types: ["supervisor.*"] });
    const root = await os.spawn({
      name: "root", kind: "supervisor", supervision: { intensity: 5 },
      children: [{ name: "mid", kind: "supervisor", supervision: { intensity: 1 }, children: [worker("a"), worker("b")] }],
    });
    const mid = idOf(os, "mid");
    await os.send(idOf(os, "a"), "boom");
    await settle();
    await os.send(idOf(os, "a"), "boom");
    await settle();
    // mid gave up; root restarted it as a new incarnation with fresh children
    expect(os.status(mid)).toMatchObject({ status: "running", incarnation: 1 });
    expect(os.status(root).status).toBe("running");
    expect(seen.some((e) => e.type === "supervisor.escalated" && e.agent === mid)).toBe(true);
    expect(seen.some((e) => e.type === "supervisor.gave_up")).toBe(false);
    await os.shutdown();
  });

  it("when the root gives up, an escalation asks a person, who can restart the tree", async () => {
    const { os } = await bootSim();
    const seen = record(os, { types: ["supervisor.gave_up"] });
    const root = await os.spawn({ name: "root", kind: "supervisor", supervision: { intensity: 0 }, children: [worker("a"), worker("b")] });
    const b = idOf(os, "b");
    await os.send(idOf(os, "a"), "boom");
    await settle();
    expect(os.status(root).status).toBe("failed");
    expect(os.status(b).status).toBe("killed");
    const [esc] = os.escalations();
    expect(esc).toMatchObject({ supervisor: root, status: "open" });
    expect(seen).toHaveLength(1);
    const again = await os.decide(esc!.id, "restart");
    expect(again).toBeDefined();
    expect(os.status(again!).status).toBe("running");
    await expect(os.decide(esc!.id, "abandon")).rejects.toThrow(/already restarted/);
    await os.shutdown();
  });

  it("backs off exponentially between restarts when asked to", async () => {
    const { os, clock } = await bootSim();
    await os.spawn({ name: "sup", kind: "supervisor", supervision: { intensity: 10, periodMs: 60_000, backoff: { initialMs: 100, factor: 2, maxMs: 1_000 } }, children: [worker("a")] });
    const a = idOf(os, "a");
    await os.send(a, "boom");
    await settle();
    expect(os.status(a).incarnation).toBe(1); // first restart is immediate
    await os.send(a, "boom");
    await settle();
    expect(os.status(a).status).toBe("failed"); // waiting 100 ms
    clock.advance(99);
    await settle();
    expect(os.status(a).status).toBe("failed");
    clock.advance(1);
    await settle();
    expect(os.status(a)).toMatchObject({ status: "running", incarnation: 2 });
    await os.send(a, "boom");
    await settle();
    clock.advance(199);
    await settle();
    expect(os.status(a).status).toBe("failed");
    clock.advance(1);
    await settle();
    expect(os.status(a)).toMatchObject({ status: "running", incarnation: 3 });
    await os.shutdown();
  });

  it("os.tree() shows the supervision tree", async () => {
    const { os } = await supervised("rest_for_one");
    const [root] = os.tree();
    expect(root).toMatchObject({ name: "sup", kind: "supervisor", strategy: "rest_for_one" });
    expect(root!.children.map((c) => c.name)).toEqual(["a", "b", "c"]);
    await os.shutdown();
  });
});
