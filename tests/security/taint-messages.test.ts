import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { boot, isAiosError, flushMicrotasks, type AgentLogic } from "../../src/index.js";

const relay: AgentLogic<null> = {
  receive: (s, m, ctx) => {
    const { to } = m as { to?: string };
    if (to !== undefined) void ctx.send(to as never, "hello from afar");
    return s;
  },
};

describe("taint through messages (the whole stack)", () => {
  it("a message from another tenant taints its recipient, and policy then keeps it from privileged tools", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "aios-taint-"));
    const policy = "rules: [ { id: no-shell-when-tainted, effect: deny, when: { tool: 'shell.*', tainted: true } } ]";
    const os = await boot({ dataDir, subsystems: { embedder: false, memory: false, security: { policy } } });
    const caps = ["tool:shell.execute#call", "shell#exec{allow=[echo]}", "agent:*#send"];
    const outsider = await os.spawn({ name: "outsider", kind: "code", tenant: "acme", logic: relay, capabilities: caps });
    const insider = await os.spawn({ name: "insider", kind: "code", tenant: "home", logic: relay, capabilities: caps });
    const friend = await os.spawn({ name: "friend", kind: "code", tenant: "home", logic: relay, capabilities: caps });

    expect(os.kernel.get(insider).taint.size).toBe(0);
    await os.send(outsider, { to: insider });
    await flushMicrotasks(5);
    expect([...os.kernel.get(insider).taint]).toEqual(["tenant:acme"]);
    const err = await os.syscall(insider, "ToolCall", { tool: "shell.execute", args: { command: "echo", args: ["hi"] } }).catch((e: unknown) => e);
    expect(isAiosError(err, "E_POLICY")).toBe(true);

    // the label follows the data onward, even inside one tenant
    await os.send(insider, { to: friend });
    await flushMicrotasks(5);
    expect([...os.kernel.get(friend).taint]).toContain("tenant:acme");
    expect(os.kernel.get(outsider).taint.size).toBe(0);
    await os.shutdown();
  });
});
