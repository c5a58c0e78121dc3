/**
 * Attacker's side of issue 15 item 8, "refusals are refusals": an agent tries what its authority does
 * not cover through calls whose refusal happens inside the handler (AgentSpawn of a wider child,
 * CapGrant of a capability it does not hold, CapRevoke of a token that is not its own) and through
 * a syscall that does not exist. Each attempt must be in the audit log as denied, with the reason;
 * none may appear as allowed and nothing else.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AuditReader } from "../../src/audit/index.js";
import { SimulatedClock, boot, flushMicrotasks, isAiosError, silentLogger, type AgentLogic } from "../../src/index.js";
import { tempDir } from "./audit-helpers.js";

const idle: AgentLogic<null> = { init: () => null, receive: (s) => s };

async function refusedWith(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isAiosError(e)) return e.code;
    throw e;
  }
  throw new Error("the call was not refused");
}

describe("refusals inside handlers and unknown syscalls are audited as denied", () => {
  it("AgentSpawn, CapGrant, CapRevoke refused by their handler and an unknown syscall each leave a denied entry", async () => {
    const dataDir = tempDir();
    const os = await boot({ dataDir, clock: new SimulatedClock(), logger: silentLogger, subsystems: { embedder: false, memory: false } });
    const boss = await os.spawn({ name: "boss", kind: "code", logic: idle, capabilities: ["kernel#noop"] });
    const mallory = await os.spawn({ name: "mallory", kind: "code", logic: idle, capabilities: ["agent#spawn", "kernel#noop"] });

    // A child wider than its parent: refused by the spawn handler's attenuation check.
    expect(await refusedWith(os.syscall(mallory, "AgentSpawn", { spec: { name: "wide", kind: "llm", model: "x", capabilities: ["llm:x#invoke", "file:/**#write"] } }))).toBe("E_CAP_DENIED");
    // Delegating what it does not hold.
    expect(await refusedWith(os.syscall(mallory, "CapGrant", { to: boss, capability: "shell#exec" }))).toBe("E_CAP_DENIED");
    // Revoking the boss's own token, which mallory neither holds nor issued.
    const bossToken = os.caps.checker.tokens(os.kernel.get(boss))[0]?.id;
    expect(bossToken).toBeDefined();
    expect(await refusedWith(os.syscall(mallory, "CapRevoke", { token: bossToken ?? "" }))).toBe("E_CAP_DENIED");
    // A syscall that does not exist.
    expect(await refusedWith(os.syscall(mallory, "KernelBackdoor" as "Noop", {}))).toBe("E_NO_SYSCALL");
    await flushMicrotasks(5);
    await os.shutdown("test");

    const reader = AuditReader.open(join(dataDir, "audit"));
    const mine = reader.entries({ agent: mallory }).filter((e) => e.kind === "syscall").map((e) => e.data as { syscall: string; decision: string; reason?: string });
    reader.close();
    const decisions = (name: string): string[] => mine.filter((d) => d.syscall === name).map((d) => d.decision);
    expect(decisions("AgentSpawn")).toContain("denied");
    expect(decisions("CapGrant")).toContain("denied");
    expect(decisions("CapRevoke")).toContain("denied");
    expect(decisions("KernelBackdoor")).toEqual(["denied"]);
    expect(mine.find((d) => d.syscall === "AgentSpawn" && d.decision === "denied")?.reason).toMatch(/file:\/\*\*#write|cannot get|cover/);
  });
});
