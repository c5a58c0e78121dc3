import { describe, expect, it } from "vitest";
import { z } from "zod";
import { isAiosError, zodArgs, type AgentLogic, type SyscallDef } from "../../src/index.js";
import { bootSim, settle } from "./helpers.js";

declare module "../../src/abi/syscalls.js" {
  interface SyscallMap {
    TestSignal: { args: { wait: boolean }; result: string };
  }
}

/** A syscall that hands its signal to the test; with wait it parks until that signal aborts. */
function signalCall(seen: AbortSignal[]): SyscallDef<"TestSignal"> {
  return {
    name: "TestSignal",
    parse: zodArgs("TestSignal", z.object({ wait: z.boolean() })),
    requires: () => [],
    sideEffect: false,
    handler: ({ wait }, call) => {
      seen.push(call.signal);
      if (!wait) return "done";
      return new Promise<string>((_, reject) => call.signal.addEventListener("abort", () => reject(call.signal.reason as Error)));
    },
  };
}

const idle: AgentLogic<null> = { receive: (s) => s };

describe("how an ended agent's calls are cancelled", () => {
  it("a call in flight when its agent is killed fails with E_CANCELLED naming the agent and why", async () => {
    const { os } = await bootSim();
    const seen: AbortSignal[] = [];
    os.kernel.syscalls.register(signalCall(seen));
    const a = await os.spawn({ name: "a", kind: "code", logic: idle });
    const pending = os.syscall(a, "TestSignal", { wait: true }).catch((e: unknown) => e);
    await settle();
    expect(seen).toHaveLength(1);
    await os.kill(a, "operator said so");
    const err = await pending;
    expect(isAiosError(err, "E_CANCELLED")).toBe(true);
    expect((err as Error).message).toBe(`agent ${a} ended: operator said so`);
    await os.shutdown();
  });

  it("an idle agent that made a syscall ends without a per-agent abort reason, yet its signal is aborted", async () => {
    const { os } = await bootSim();
    const seen: AbortSignal[] = [];
    os.kernel.syscalls.register(signalCall(seen));
    const ids = [await os.spawn({ name: "a", kind: "code", logic: idle }), await os.spawn({ name: "b", kind: "code", logic: idle })];
    for (const id of ids) expect(await os.syscall(id, "TestSignal", { wait: false })).toBe("done");
    for (const id of ids) await os.kill(id, "done with it");
    const [sa, sb] = seen;
    // A late poller still sees the cancellation (and a cancellation code)...
    expect(sa?.aborted).toBe(true);
    expect(sb?.aborted).toBe(true);
    expect(isAiosError(sa?.reason, "E_CANCELLED")).toBe(true);
    // ...but no error was built for either agent: both carry the one shared reason.
    expect(sa?.reason).toBe(sb?.reason);
    expect((sa?.reason as Error).message).toBe("the calling agent ended");
    await os.shutdown();
  });
});
