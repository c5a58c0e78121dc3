import { describe, expect, it } from "vitest";
import { AiosError, silentLogger, SimulatedClock, flushMicrotasks } from "../../src/core/index.js";
import { boot } from "../../src/index.js";
import { type AgentLogic } from "../../src/abi/index.js";
import { securitySubsystem } from "../../src/security/index.js";

const idle: AgentLogic = { init: () => ({}), receive: (s: unknown) => s };

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    expect(e).toBeInstanceOf(AiosError);
    return (e as AiosError).code;
  }
}

describe("securitySubsystem through boot()", () => {
  it("enforces tokens, delegates with CapGrant, cascades CapRevoke and parks approvals", async () => {
    const clock = new SimulatedClock();
    const plugin = securitySubsystem({
      policy: "rules:\n  - { id: ask-noop, effect: approve, timeout: 30s, when: { syscall: Noop, agent: 'helper*' } }\n",
    });
    const os = await boot({ stack: "bare", clock, logger: silentLogger, add: [plugin] });
    try {
      const boss = await os.spawn({ name: "boss", kind: "code", logic: idle, capabilities: ["agent:*#send", "kernel#noop"] });
      const helper = await os.spawn({ name: "helper", kind: "code", logic: idle, capabilities: [] });
      expect(await codeOf(os.syscall(boss, "Noop", {}))).toBe("ok");
      expect(await codeOf(os.syscall(helper, "SemanticSend", { to: boss, payload: 1 }))).toBe("E_CAP_DENIED");
      expect(await codeOf(os.syscall(helper, "CapGrant", { to: boss, capability: "agent:*#send" }))).toBe("E_CAP_DENIED");
      const { granted } = await os.syscall(boss, "CapGrant", { to: helper, capability: `agent:${boss}#send` });
      expect(granted).toMatch(/^cap_/);
      expect(await codeOf(os.syscall(helper, "SemanticSend", { to: boss, payload: 1 }))).toBe("ok");
      expect(await codeOf(os.syscall(helper, "CapGrant", { to: boss, capability: "agent:*#send" }))).toBe("E_CAP_DENIED");
      expect(await codeOf(os.syscall(boss, "CapGrant", { to: helper, capability: "file:/**#write" }))).toBe("E_CAP_DENIED");
      expect(await codeOf(os.syscall(boss, "CapGrant", { to: helper, capability: "nonsense" }))).toBe("E_INVALID_ARG");
      expect(await codeOf(os.syscall(boss, "CapGrant", { to: "ag_nobody", capability: "kernel#noop" }))).toBe("E_NO_AGENT");

      // approval: helper gets kernel#noop, policy asks a person
      await os.syscall(boss, "CapGrant", { to: helper, capability: "kernel#noop" });
      const sec = os.caps;
      const waiting = os.syscall(helper, "Noop", {});
      await flushMicrotasks();
      const [req] = sec.approvals.list({ status: "pending" });
      expect(req).toMatchObject({ syscall: "Noop", rule: "ask-noop", agent: helper });
      sec.approvals.approve(req!.id, "operator");
      expect(await codeOf(waiting)).toBe("ok");
      const timedOut = codeOf(os.syscall(helper, "Noop", {}));
      await flushMicrotasks();
      await clock.advanceAsync(30_000);
      expect(await timedOut).toBe("E_APPROVAL_DENIED");

      // revoke cascades: boss revokes what it granted
      expect((await os.syscall(boss, "CapRevoke", { token: granted })).revoked).toBeGreaterThanOrEqual(1);
      expect(await codeOf(os.syscall(helper, "SemanticSend", { to: boss, payload: 2 }))).toBe("E_CAP_DENIED");
      expect(await codeOf(os.syscall(helper, "CapRevoke", { token: "cap_doesnotexist" }))).toBe("E_NOT_FOUND");

      const ex = sec.explain({ agent: helper, name: "helper", tenant: "default", taint: new Set(), capabilities: [] } as never, { resource: `agent:${boss}`, action: "send" }, "SemanticSend");
      expect(ex.allowed).toBe(false);
    } finally {
      await os.shutdown();
    }
  });
});
