import { describe, expect, it } from "vitest";
import { isAiosError, type AgentLogic } from "../../src/index.js";
import { bootSim, record, settle } from "./helpers.js";

/** State is a list of numbers; "get" answers with it, anything else is appended. */
const list: AgentLogic<number[]> = {
  init: () => [],
  receive: (s, m, ctx) => {
    if (m === "get") {
      ctx.reply(s);
      return s;
    }
    return [...s, m as number];
  },
};

async function withList(values: number[]) {
  const { os, clock } = await bootSim();
  const id = await os.spawn({ name: "l", kind: "code", logic: list, capabilities: ["effect:*#run"], tools: ["a", "b"] });
  for (const v of values) await os.send(id, v);
  await settle();
  return { os, clock, id };
}

describe("clone, upgrade, merge, split, specialize", () => {
  it("clone copies the state; the copies then diverge", async () => {
    const { os, id } = await withList([1, 2]);
    const copy = await os.clone(id);
    await os.send(copy, 3);
    await settle();
    expect(await os.request(id, "get")).toEqual([1, 2]);
    expect(await os.request(copy, "get")).toEqual([1, 2, 3]);
    await os.shutdown();
  });

  it("upgrade swaps the logic and version while the agent keeps (migrated) state", async () => {
    const { os, id } = await withList([1, 2]);
    const seen = record(os, { types: ["agent.upgraded"] });
    const v2: AgentLogic<{ items: number[] }> = {
      migrate: (old: unknown) => ({ items: old as number[] }),
      receive: (s, m, ctx) => {
        if (m === "get") ctx.reply({ v: 2, items: s.items });
        return m === "get" ? s : { items: [...s.items, (m as number) * 10] };
      },
    };
    await os.upgrade(id, { logic: v2, spec: { version: "2" } });
    await os.send(id, 3);
    await settle();
    expect(await os.request(id, "get")).toEqual({ v: 2, items: [1, 2, 30] });
    expect(os.status(id).version).toBe("2");
    expect(seen[0]).toMatchObject({ data: { fromVersion: "1", toVersion: "2" } });
    await os.shutdown();
  });

  it("a failing migration leaves the agent as it was", async () => {
    const { os, id } = await withList([1]);
    await expect(os.upgrade(id, { spec: { version: "9" }, migrate: () => { throw new Error("cannot"); } })).rejects.toThrow(/failed in migrate: cannot/);
    expect(os.status(id).version).toBe("1");
    expect(await os.request(id, "get")).toEqual([1]);
    await os.shutdown();
  });

  it("merge combines two agents' state and mail into one", async () => {
    const { os, id } = await withList([1, 2]);
    const other = await os.spawn({ name: "m", kind: "code", logic: list });
    await os.send(other, 5);
    await settle();
    await os.pause(other);
    await os.send(other, 6); // queued mail moves to the merged agent
    const merged = await os.merge(id, other, { combine: (a, b) => [...(a as number[]), ...(b as number[])] });
    await settle();
    expect(await os.request(merged, "get")).toEqual([1, 2, 5, 6]);
    expect(os.status(id).status).toBe("killed");
    expect(os.status(other).status).toBe("killed");
    await os.shutdown();
  });

  it("split divides one agent into two", async () => {
    const { os, id } = await withList([1, 2, 3, 4]);
    const [a, b] = await os.split(id, { split: (s) => { const l = s as number[]; return [l.filter((x) => x % 2), l.filter((x) => x % 2 === 0)]; } });
    expect(await os.request(a, "get")).toEqual([1, 3]);
    expect(await os.request(b, "get")).toEqual([2, 4]);
    expect(os.status(id).status).toBe("killed");
    await os.shutdown();
  });

  it("specialize makes a child with a narrower spec, and refuses to widen", async () => {
    const { os, id } = await withList([7]);
    const kid = await os.specialize(id, { name: "narrow", capabilities: ["effect:1#run"], tools: ["a"] });
    // A process made under an agent is named under it (kernel/names.ts).
    expect(os.status(kid)).toMatchObject({ name: `${os.status(id).name}/narrow`, parent: id });
    expect(await os.request(kid, "get")).toEqual([7]);
    await expect(os.specialize(id, { capabilities: ["file:/**#write"] })).rejects.toSatisfy((e) => isAiosError(e, "E_CAP_DENIED"));
    await expect(os.specialize(id, { tools: ["a", "shell"] })).rejects.toThrow(/tools shell/);
    await os.shutdown();
  });
});

describe("attenuation when narrowing", () => {
  it("compares capabilities as sets, not as text: a wider glob or a dropped constraint is refused", async () => {
    const { os } = await bootSim();
    const id = await os.spawn({ name: "p", kind: "code", logic: list, capabilities: ["file:/data/*#read", "shell#exec{allow=[ls,cat]}"] });
    await expect(os.specialize(id, { capabilities: ["file:/data/**#read"] })).rejects.toSatisfy((e) => isAiosError(e, "E_CAP_DENIED"));
    await expect(os.specialize(id, { capabilities: ["shell#exec"] })).rejects.toSatisfy((e) => isAiosError(e, "E_CAP_DENIED"));
    await expect(os.specialize(id, { capabilities: ["file:/data/*#read,write"] })).rejects.toSatisfy((e) => isAiosError(e, "E_CAP_DENIED"));
    const ok = await os.specialize(id, { capabilities: ["file:/data/x.txt#read", "shell#exec{allow=[ls]}"] });
    expect(os.status(ok).parent).toBe(id);
    await expect(os.specialize(id, { capabilities: ["not a capability"] })).rejects.toSatisfy((e) => isAiosError(e, "E_INVALID_SPEC"));
    await os.shutdown();
  });
});

describe("operation hooks", () => {
  it("a pre-hook vetoes with a reason and nothing changes", async () => {
    const { os, id } = await withList([1]);
    const vetoes = record(os, { types: ["agent.op.vetoed"] });
    const off = os.hooks.before("pause", (e) => (e.agents.includes(id) ? { veto: "this agent is never paused" } : undefined));
    await expect(os.pause(id)).rejects.toSatisfy((e) => isAiosError(e, "E_VETOED") && /never paused/.test((e as Error).message));
    expect(os.status(id).status).toBe("running");
    await settle();
    expect(vetoes).toHaveLength(1);
    off();
    await os.pause(id);
    expect(os.status(id).status).toBe("paused");
    await os.shutdown();
  });

  it("post-hooks see the result; a spawn veto creates nothing", async () => {
    const { os } = await bootSim();
    const results: unknown[] = [];
    os.hooks.after("clone", (e) => void results.push(e.result));
    os.hooks.before("spawn", (e) => ((e.details["spec"] as { name: string }).name === "forbidden" ? { veto: "not this one" } : undefined));
    await expect(os.spawn({ name: "forbidden", kind: "code", logic: list })).rejects.toSatisfy((e) => isAiosError(e, "E_VETOED"));
    expect(os.ps()).toEqual([]);
    const id = await os.spawn({ name: "ok", kind: "code", logic: list });
    const c = await os.clone(id);
    expect(results).toEqual([c]);
    await os.shutdown();
  });
});
