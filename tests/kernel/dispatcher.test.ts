import { describe, expect, it } from "vitest";
import { z } from "zod";
import { isAiosError, zodArgs, type AgentLogic, type SyscallDef } from "../../src/index.js";
import { bootSim, record, settle } from "./helpers.js";

declare module "../../src/abi/syscalls.js" {
  interface SyscallMap {
    TestEffect: { args: { n: number }; result: { doubled: number } };
    TestSlow: { args: { ms: number }; result: string };
  }
}

function effect(calls: number[]): SyscallDef<"TestEffect"> {
  return {
    name: "TestEffect",
    parse: zodArgs("TestEffect", z.object({ n: z.number().int() })),
    requires: ({ n }) => [{ resource: `effect:${n}`, action: "run" }],
    sideEffect: true,
    handler: ({ n }) => {
      calls.push(n);
      return { doubled: n * 2 };
    },
  };
}

describe("the syscall door", () => {
  it("runs an allowed call and never reaches the handler of a denied one", async () => {
    const { os } = await bootSim();
    const calls: number[] = [];
    os.kernel.syscalls.register(effect(calls));
    const audit: { decision: string; syscall: string }[] = [];
    os.kernel.guards.audit = { record: (e) => audit.push(e) };
    const denied = record(os, { types: ["syscall.denied"] });
    const id = await os.spawn({ name: "a", kind: "code", logic: { receive: (s: null) => s }, capabilities: ["effect:1#run"] });
    expect(await os.syscall(id, "TestEffect", { n: 1 })).toEqual({ doubled: 2 });
    await expect(os.syscall(id, "TestEffect", { n: 2 })).rejects.toSatisfy((e) => isAiosError(e, "E_CAP_DENIED"));
    expect(calls).toEqual([1]);
    await settle();
    expect(denied).toHaveLength(1);
    expect(audit.map((a) => a.decision)).toEqual(["allowed", "denied"]);
    await os.shutdown();
  });

  it("rejects bad arguments naming the field, before any other stage", async () => {
    const { os } = await bootSim();
    const calls: number[] = [];
    os.kernel.syscalls.register(effect(calls));
    const id = await os.spawn({ name: "a", kind: "code", logic: { receive: (s: null) => s }, capabilities: ["effect:*#run"] });
    const err = await os.syscall(id, "TestEffect", { n: "two" } as never).catch((e: unknown) => e);
    expect(isAiosError(err, "E_INVALID_ARG")).toBe(true);
    expect((err as Error).message).toMatch(/TestEffect: n: /);
    await expect(os.syscall(id, "Nope" as never, {} as never)).rejects.toSatisfy((e) => isAiosError(e, "E_NO_SYSCALL"));
    expect(calls).toEqual([]);
    await os.shutdown();
  });

  it("applies policy, quota and scheduler stages in order", async () => {
    const { os } = await bootSim();
    const calls: number[] = [];
    const stages: string[] = [];
    os.kernel.syscalls.register({ ...effect(calls), pool: () => "tool" });
    os.kernel.guards.policy = { evaluate: (_c, _n, args) => (stages.push("policy"), (args as { n: number }).n === 13 ? { effect: "deny", rule: "no-13", reason: "13 is unlucky" } : { effect: "allow" }) };
    os.kernel.guards.quota = { charge: (_c, _n, args) => { stages.push("quota"); if ((args as { n: number }).n > 100) throw new Error("over quota"); } };
    os.kernel.guards.scheduler = { acquire: async () => (stages.push("slot"), () => stages.push("release")) };
    const id = await os.spawn({ name: "a", kind: "code", logic: { receive: (s: null) => s }, capabilities: ["effect:*#run"] });
    await os.syscall(id, "TestEffect", { n: 1 });
    expect(stages).toEqual(["policy", "quota", "slot", "release"]);
    await expect(os.syscall(id, "TestEffect", { n: 13 })).rejects.toSatisfy((e) => isAiosError(e, "E_POLICY"));
    await expect(os.syscall(id, "TestEffect", { n: 101 })).rejects.toSatisfy((e) => isAiosError(e, "E_QUOTA"));
    expect(calls).toEqual([1]);
    await os.shutdown();
  });

  it("waits for a person when policy asks for approval", async () => {
    const { os } = await bootSim();
    const calls: number[] = [];
    os.kernel.syscalls.register(effect(calls));
    let answer = false;
    os.kernel.guards.policy = {
      evaluate: () => ({ effect: "approve", rule: "ask", reason: "side effect" }),
      requestApproval: async () => answer,
    };
    const id = await os.spawn({ name: "a", kind: "code", logic: { receive: (s: null) => s }, capabilities: ["effect:*#run"] });
    await expect(os.syscall(id, "TestEffect", { n: 1 })).rejects.toSatisfy((e) => isAiosError(e, "E_APPROVAL_DENIED"));
    answer = true;
    expect(await os.syscall(id, "TestEffect", { n: 2 })).toEqual({ doubled: 4 });
    expect(calls).toEqual([2]);
    await os.shutdown();
  });

  it("returns a handle for long calls, readable only by its owner (GetAsyncResult)", async () => {
    const { os, clock } = await bootSim();
    os.kernel.syscalls.register({
      name: "TestSlow",
      parse: zodArgs("TestSlow", z.object({ ms: z.number() })),
      requires: () => [],
      sideEffect: false,
      async: true,
      handler: async ({ ms }) => {
        await os.kernel.clock.sleep(ms);
        return `slept ${ms}`;
      },
    });
    const a = await os.spawn({ name: "a", kind: "code", logic: { receive: (s: null) => s } });
    const b = await os.spawn({ name: "b", kind: "code", logic: { receive: (s: null) => s } });
    const { handle } = (await os.syscall(a, "TestSlow", { ms: 500 })) as unknown as { handle: string };
    expect(await os.syscall(a, "GetAsyncResult", { handle })).toMatchObject({ status: "pending" });
    await expect(os.syscall(b, "GetAsyncResult", { handle })).rejects.toSatisfy((e) => isAiosError(e, "E_NO_HANDLE"));
    clock.advance(500);
    await settle();
    expect(await os.syscall(a, "GetAsyncResult", { handle })).toEqual({ status: "done", handle, result: "slept 500" });
    await os.shutdown();
  });

  it("agent code reaches syscalls only through ctx.sys, ctx.spawn and ctx.send", async () => {
    const { os } = await bootSim();
    const calls: number[] = [];
    os.kernel.syscalls.register(effect(calls));
    const child: AgentLogic<null> = { receive: (s) => s };
    const parent: AgentLogic<string[]> = {
      init: () => [],
      receive: async (log, m, ctx) => {
        const r = await ctx.sys.TestEffect({ n: m as number });
        const kid = await ctx.spawn({ name: "kid", kind: "code", logic: child, capabilities: ["effect:1#run"] });
        ctx.reply({ r, kid });
        return [...log, kid];
      },
    };
    const id = await os.spawn({ name: "p", kind: "code", logic: parent, capabilities: ["effect:*#run", "agent#spawn"] });
    const out = (await os.request(id, 1)) as { r: unknown; kid: string };
    expect(out.r).toEqual({ doubled: 2 });
    expect(os.status(out.kid).parent).toBe(id);
    // a child may not ask for more than its parent holds
    const greedy: AgentLogic<null> = {
      receive: async (s, _m, ctx) => {
        await ctx.spawn({ name: "kid2", kind: "code", logic: child, capabilities: ["effect:*#run", "file:/**#write"] }).then(
          () => ctx.reply("spawned"),
          (e: { code: string }) => ctx.reply(e.code),
        );
        return s;
      },
    };
    const g = await os.spawn({ name: "g", kind: "code", logic: greedy, capabilities: ["effect:*#run", "agent#spawn"] });
    expect(await os.request(g, 0)).toBe("E_CAP_DENIED");
    await os.shutdown();
  });
});
