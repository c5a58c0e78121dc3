/**
 * The one-door defects of issue #10, each at the level a user meets it: an agent calling syscalls
 * through the default stack (`boot({ dataDir })`: security, audit, sched, tools, models, memory, ipc).
 *   1. a supervisor spec does not smuggle a child past its creator's capabilities;
 *   2. a child does not pick another tenant;
 *   3. ctx.request passes the policy stage and the audit log like ctx.send;
 *   5. budgets are charged: spec token budgets and configured quotas stop an agent's model calls;
 *   6. a durable agent whose restore throws is not left in the table;
 *   7. an upgrade of a durable agent survives a restart.
 * (4, a refused fire-and-forget send killing the process, runs in a child process: fire-and-forget.test.ts.)
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { boot, silentLogger, type AgentLogic, type AuditRecord, type Aios } from "../../src/index.js";
import { ReplayProvider, modelsSubsystem } from "../../src/models/index.js";
import { schedSubsystem } from "../../src/sched/index.js";

const dirs: string[] = [];
const systems: { shutdown(): Promise<void> }[] = [];
afterEach(async () => {
  for (const s of systems.splice(0)) await s.shutdown();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "aios-door-"));
  dirs.push(d);
  return d;
}

const idle: AgentLogic<null> = { init: () => null, receive: (s) => s };

/** Keeps a copy of every audit record the door writes, in front of the audit stage boot assembled. */
function auditTap(os: Aios, into: AuditRecord[]): void {
  const inner = os.kernel.guards.audit;
  os.kernel.guards.audit = { record: (e) => (into.push(e), inner?.record(e)) };
}

describe("spawn is one rule (defects 1 and 2)", () => {
  it("refuses a supervisor spec whose child asks for more than the creator holds, and creates nothing", async () => {
    const dataDir = tempDir();
    const os = await boot({ dataDir, logger: silentLogger, subsystems: { embedder: false } });
    systems.push(os);
    const parent = await os.spawn({ name: "spawner", kind: "code", logic: idle, capabilities: ["agent#spawn"] });
    const before = os.ps().length;
    const escape = {
      name: "sup", kind: "supervisor" as const,
      children: [{ name: "writer", kind: "code" as const, logic: "idle", capabilities: ["file:/**#write", "tool:file.write#call"] }],
    };
    os.kernel.registerLogic("idle", idle);
    await expect(os.syscall(parent, "AgentSpawn", { spec: escape })).rejects.toMatchObject({
      code: "E_CAP_DENIED",
      details: { path: "spec.children.0.capabilities.0", capability: "file:/**#write" },
    });
    expect(os.ps().length).toBe(before);
    // The same child spawned directly is refused the same way.
    await expect(os.syscall(parent, "AgentSpawn", { spec: escape.children[0]! })).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    // What the creator does hold, a supervisor may pass down.
    const ok = await os.syscall(parent, "AgentSpawn", { spec: { name: "sup2", kind: "supervisor", children: [{ name: "kid", kind: "code", logic: "idle", capabilities: ["agent#spawn"] }] } });
    expect(os.tree().find((n) => n.id === parent)?.children[0]?.id).toBe(ok.id);
  });

  it("refuses a child of another tenant unless the creator holds tenant:<t>#assume", async () => {
    const dataDir = tempDir();
    const os = await boot({ dataDir, logger: silentLogger, subsystems: { embedder: false } });
    systems.push(os);
    os.kernel.registerLogic("idle", idle);
    const acme = await os.spawn({ name: "acme-agent", kind: "code", logic: idle, tenant: "acme", capabilities: ["agent#spawn", "memory:global#read"] });
    await expect(os.syscall(acme, "AgentSpawn", { spec: { name: "spy", kind: "code", logic: "idle", tenant: "globex", capabilities: ["memory:global#read"] } })).rejects.toMatchObject({
      code: "E_CAP_DENIED",
      details: { path: "spec.tenant", tenant: "globex", creatorTenant: "acme" },
    });
    // A nested child of a supervisor is held to the same rule.
    await expect(os.syscall(acme, "AgentSpawn", { spec: { name: "s", kind: "supervisor", tenant: "acme", children: [{ name: "spy", kind: "code", logic: "idle", tenant: "globex" }] } })).rejects.toMatchObject({
      code: "E_CAP_DENIED",
      details: { path: "spec.children.0.tenant" },
    });
    const same = await os.syscall(acme, "AgentSpawn", { spec: { name: "helper", kind: "code", logic: "idle", tenant: "acme" } });
    expect(os.status(same.id).tenant).toBe("acme");
    const broker = await os.spawn({ name: "broker", kind: "code", logic: idle, tenant: "acme", capabilities: ["agent#spawn", "tenant:globex#assume"] });
    const granted = await os.syscall(broker, "AgentSpawn", { spec: { name: "delegate", kind: "code", logic: "idle", tenant: "globex" } });
    expect(os.status(granted.id).tenant).toBe("globex");
  });

  it("refuses a child whose budget is larger than what its creator has left", async () => {
    const os = await boot({ stack: "bare", logger: silentLogger });
    systems.push(os);
    os.kernel.registerLogic("idle", idle);
    const p = await os.spawn({ name: "capped", kind: "code", logic: idle, capabilities: ["agent#spawn"], budget: { tokens: 100 } });
    await expect(os.syscall(p, "AgentSpawn", { spec: { name: "greedy", kind: "code", logic: "idle", budget: { tokens: 1000 } } })).rejects.toMatchObject({
      code: "E_QUOTA",
      details: { path: "spec.budget.tokens", asked: 1000, remaining: 100 },
    });
    await expect(os.syscall(p, "AgentSpawn", { spec: { name: "modest", kind: "code", logic: "idle", budget: { tokens: 50 } } })).resolves.toMatchObject({ id: expect.any(String) });
  });
});

describe("ctx.request passes the door (defect 3)", () => {
  it("is refused by a deny-all policy and audited, like ctx.send", async () => {
    const dataDir = tempDir();
    const records: AuditRecord[] = [];
    const policy = "default: allow\nrules:\n  - { id: no-mail, effect: deny, reason: no messages, when: { resource: 'agent:*', action: send } }\n";
    const os = await boot({ dataDir, logger: silentLogger, subsystems: { embedder: false, security: { policy } } });
    systems.push(os);
    auditTap(os, records);
    const target = await os.spawn({ name: "target", kind: "code", logic: { init: () => 0, receive: (n: number, _m, ctx) => (ctx.reply(n + 1), n + 1) } });
    const outcomes: string[] = [];
    const caller = await os.spawn({
      name: "caller", kind: "code", capabilities: ["agent:*#send"],
      logic: {
        init: () => null,
        async receive(s, _m, ctx) {
          for (const f of [() => ctx.send(target, "hi"), () => ctx.request(target, "hi")]) {
            try {
              await f();
              outcomes.push("delivered");
            } catch (e) {
              outcomes.push((e as { code: string }).code);
            }
          }
          ctx.reply(null);
          return s;
        },
      },
    });
    await os.request(caller, "go");
    expect(outcomes).toEqual(["E_POLICY", "E_POLICY"]);
    const denied = records.filter((r) => r.agent === caller && r.decision === "denied");
    expect(denied.map((r) => r.syscall)).toEqual(["SemanticSend", "AgentRequest"]);
    expect(os.status(target).mailbox).toBe(0);
  });
});

describe("budgets are charged (defect 5)", () => {
  const model = (tokensPerCall: number) =>
    modelsSubsystem({ models: {}, providers: { m: new ReplayProvider({ name: "m", loop: true, respond: () => ({ text: "ok", usage: { promptTokens: tokensPerCall / 2, completionTokens: tokensPerCall / 2 } }) }) } });
  const ask = { model: "m", messages: [{ role: "user", content: "hi" }] };

  it("stops a configured agent quota of 150 tokens after the calls that used it", async () => {
    const os = await boot({ stack: "bare", logger: silentLogger, add: [model(100), schedSubsystem({ pools: { "inference:m": { capacity: 4, policy: "fifo" } }, quotas: { agent: { tokens: 150 } } })] });
    systems.push(os);
    const id = await os.spawn({ name: "spender", kind: "code", logic: idle, capabilities: ["llm:m#invoke"] });
    const results: string[] = [];
    for (let i = 0; i < 5; i++) results.push(await os.syscall(id, "LlmInvoke", ask).then(() => "ok", (e: { code: string; message: string }) => (e.code === "E_QUOTA" ? e.code : e.message)));
    expect(results).toEqual(["ok", "ok", "E_QUOTA", "E_QUOTA", "E_QUOTA"]);
  });

  it("stops an agent at its spec budget, charging its children's use to it too", async () => {
    const os = await boot({ stack: "bare", logger: silentLogger, add: [model(100)] });
    systems.push(os);
    os.kernel.registerLogic("idle", idle);
    const parent = await os.spawn({ name: "parent", kind: "code", logic: idle, capabilities: ["llm:m#invoke", "agent#spawn"], budget: { tokens: 250 } });
    const child = (await os.syscall(parent, "AgentSpawn", { spec: { name: "child", kind: "code", logic: "idle", capabilities: ["llm:m#invoke"] } })).id;
    await os.syscall(child, "LlmInvoke", ask);
    await os.syscall(child, "LlmInvoke", ask);
    await os.syscall(parent, "LlmInvoke", ask); // 200 used of 250: still admitted, ends at 300
    await expect(os.syscall(parent, "LlmInvoke", ask)).rejects.toMatchObject({ code: "E_QUOTA", details: { budget: "tokens", limit: 250, used: 300 } });
    await expect(os.syscall(child, "LlmInvoke", ask)).rejects.toMatchObject({ code: "E_QUOTA", details: { agent: parent } });
  });

  it("never exceeds a budget by more than one call's usage under concurrency", async () => {
    for (const [budget, perCall, calls] of [[150, 100, 8], [1000, 30, 64], [5, 10, 20]] as const) {
      const os = await boot({ stack: "bare", logger: silentLogger, add: [model(perCall)] });
      systems.push(os);
      const id = await os.spawn({ name: "burst", kind: "code", logic: idle, capabilities: ["llm:m#invoke"], budget: { tokens: budget } });
      const settled = await Promise.allSettled(Array.from({ length: calls }, () => os.syscall(id, "LlmInvoke", ask)));
      const ok = settled.filter((r) => r.status === "fulfilled").length;
      expect(ok * perCall).toBeLessThan(budget + perCall);
      expect(ok * perCall).toBeGreaterThanOrEqual(Math.min(budget, calls * perCall));
    }
  });
});

describe("durable agents across a restart (defects 6 and 7)", () => {
  it("a restore that throws leaves no pending zombie that accepts mail", async () => {
    const dataDir = tempDir();
    let throwOnRestore = false;
    const fragile: AgentLogic<{ n: number }> = {
      init: () => ({ n: 0 }),
      receive: (s, _m, ctx) => (ctx.reply(s.n + 1), { n: s.n + 1 }),
      restore: (d) => {
        if (throwOnRestore) throw new Error("restore refused");
        return d as { n: number };
      },
    };
    const first = await boot({ dataDir, logger: silentLogger, subsystems: { embedder: false }, durable: true, logics: { fragile } });
    const id = await first.spawn({ name: "fragile", kind: "code", logic: "fragile", durable: true });
    await first.request(id, "x");
    await first.shutdown();
    throwOnRestore = true;
    const second = await boot({ dataDir, logger: silentLogger, subsystems: { embedder: false }, durable: true, logics: { fragile } });
    systems.push(second);
    // Restored lazily (issue #17.6): known at boot, restored on first use; the restore that throws
    // then leaves nothing behind, and the message is refused, not accepted.
    await expect(second.send(id, "hello")).rejects.toMatchObject({ code: "E_NO_AGENT" });
    expect(second.ps().map((a) => a.id)).not.toContain(id);
    await expect(second.send(id, "again")).rejects.toMatchObject({ code: "E_NO_AGENT" });
  });

  it("an upgrade is journaled: after a restart the agent is at the new version with the migrated state", async () => {
    const dataDir = tempDir();
    const v1: AgentLogic<{ v: number; n: number }> = {
      init: () => ({ v: 1, n: 0 }),
      receive: (s, _m, ctx) => (ctx.reply(s), { ...s, n: s.n + 1 }),
    };
    const v2: AgentLogic<{ v: number; n: number }> = {
      ...v1,
      migrate: (s) => ({ v: 2, n: s.n * 10 }),
    };
    const logics = { v1, v2 };
    const first = await boot({ dataDir, logger: silentLogger, subsystems: { embedder: false }, durable: true, logics });
    const id = await first.spawn({ name: "versioned", kind: "code", logic: "v1", durable: true });
    await first.request(id, "a");
    await first.request(id, "b");
    await first.upgrade(id, { spec: { version: "2", logic: "v2" }, logic: v2 });
    await first.shutdown();
    const second = await boot({ dataDir, logger: silentLogger, subsystems: { embedder: false }, durable: true, logics });
    systems.push(second);
    expect(second.status(id).version).toBe("2");
    await expect(second.request(id, "c")).resolves.toEqual({ v: 2, n: 20 });
    expect(existsSync(join(dataDir, "journal"))).toBe(true);
  });
});
