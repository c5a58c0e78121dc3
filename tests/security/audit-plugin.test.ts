/**
 * The audit plugin in a real kernel booted with boot(): dispatcher decisions (allowed by which
 * capability, denied with the reason) and lifecycle transitions land in the log, secrets are
 * redacted by security/'s Redactor before hashing, and on shutdown the log is flushed, signed and
 * closed, so `aios audit verify` passes on it.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { EventBus, SimulatedClock, asAgentId, boot, flushMicrotasks, isAiosError, silentLogger, type AgentLogic } from "../../src/index.js";
import { AuditLog, AuditReader, LifecycleRecorder, auditPaths, auditSubsystem, auditVerifyCommand, packedTransitions } from "../../src/audit/index.js";
import { Redactor } from "../../src/security/index.js";
import { keys, tempDir } from "./audit-helpers.js";

const idle: AgentLogic<null> = { init: () => null, receive: (s) => s };

describe("auditSubsystem through boot()", () => {
  it("records decisions and lifecycle changes, redacted, and leaves a log that verifies", async () => {
    const dataDir = tempDir();
    const { privateKey, publicKey } = keys();
    const redactor = new Redactor();
    redactor.add("API_KEY", "sk-test-9f8e7d6c5b4a");
    const plugin = auditSubsystem({ dataDir, signer: privateKey, checkpointEvery: 4, redact: (v) => redactor.redact(v) });
    const clock = new SimulatedClock();
    const os = await boot({ dataDir, stack: "bare", clock, logger: silentLogger, add: [plugin] });
    expect(os.kernel.guards.audit).toBe(os.subsystems.audit?.sink);

    const id = await os.spawn({ name: "worker", kind: "code", logic: idle, capabilities: ["kernel#noop"] });
    await os.syscall(id, "Noop", {});
    let denied: unknown;
    try {
      await os.syscall(id, "AgentSpawn", { spec: { name: "child sk-test-9f8e7d6c5b4a", kind: "code", logic: "nope" } });
    } catch (e) {
      denied = e;
    }
    expect(isAiosError(denied, "E_CAP_DENIED")).toBe(true);
    // A denial whose reason carries a secret: redacted before it is hashed.
    os.kernel.guards.audit?.record({ agent: id, syscall: "ToolCall", decision: "denied", reason: "upstream said: bad key sk-test-9f8e7d6c5b4a" });
    await os.kill(id, "test over");
    await flushMicrotasks(5);
    await os.shutdown("test");

    expect(readFileSync(auditPaths(dataDir).db).includes("sk-test-9f8e7d6c5b4a")).toBe(false);
    const reader = AuditReader.open(dataDir);
    const entries = reader.entries();
    // The agent's history: its own entries and its rows of the packed lifecycle entries (ADR 0054).
    const history = reader.entries({ agent: id });
    reader.close();
    const syscalls = entries.filter((e) => e.kind === "syscall").map((e) => e.data);
    expect(syscalls).toContainEqual(expect.objectContaining({ syscall: "Noop", decision: "allowed", by: expect.stringContaining("kernel#noop") }));
    expect(syscalls).toContainEqual(expect.objectContaining({ syscall: "AgentSpawn", decision: "denied" }));
    expect(syscalls).toContainEqual({ syscall: "ToolCall", decision: "denied", reason: "upstream said: bad key [REDACTED:API_KEY]" });
    const transitions = history.filter((e) => e.kind === "lifecycle").map((e) => `${String(e.data["from"])}->${String(e.data["to"])}`);
    expect(transitions).toEqual(["none->pending", "pending->running", "running->killed"]);
    expect(history.find((e) => e.data["to"] === "killed")?.data).toMatchObject({ event: "agent.transition", op: "kill", reason: "test over", severity: "info" });
    // On disk the transitions are packed: no lifecycle entry of its own for any of them.
    expect(entries.filter((e) => e.kind === "lifecycle" && e.agent === id)).toEqual([]);
    expect(entries.filter((e) => e.kind === "lifecycle").flatMap((e) => packedTransitions(e.data)).filter((t) => t[0] === id).map((t) => t[1])).toEqual(["spawn", "start", "kill"]);

    const cmd = auditVerifyCommand(dataDir, { publicKey });
    expect(cmd.report).toMatch(/OK: intact$/);
    expect(cmd.exitCode).toBe(0);
  });

  it("a record after shutdown is counted, not thrown into the kernel", async () => {
    const dataDir = tempDir();
    const plugin = auditSubsystem({ dataDir, signer: keys().privateKey });
    const os = await boot({ dataDir, stack: "bare", clock: new SimulatedClock(), logger: silentLogger, add: [plugin] });
    const sink = os.subsystems.audit?.sink;
    await os.shutdown();
    expect(() => sink?.record({ agent: "ag_x", syscall: "Noop", decision: "allowed", by: "spec" })).not.toThrow();
    expect(sink?.failures).toBe(1);
  });

  it("lifecycle events the bus had to drop are recorded as a gap, not silently missing", async () => {
    const dataDir = tempDir();
    const log = new AuditLog({ dataDir, signer: keys().privateKey, clock: new SimulatedClock() });
    const bus = new EventBus();
    const rec = new LifecycleRecorder(bus, log, ["agent.transition"], 2);
    for (let i = 0; i < 10; i++) bus.emit("agent.transition", { op: "spawn", from: "none", to: "pending" }, asAgentId(`ag_${i}`));
    await new Promise<void>((resolve) => setImmediate(resolve));
    rec.stop();
    log.close();
    const reader = AuditReader.open(dataDir);
    const entries = reader.entries();
    reader.close();
    // The two delivered transitions, packed into one entry (ADR 0054).
    const lifecycle = entries.filter((e) => e.kind === "lifecycle");
    expect(lifecycle).toHaveLength(1);
    expect(packedTransitions(lifecycle[0]?.data).map((t) => t[0])).toEqual(["ag_0", "ag_1"]);
    expect(entries.filter((e) => e.kind === "audit").map((e) => e.data)).toEqual([{ event: "gap", source: "events", dropped: 8 }]);
  });
});
