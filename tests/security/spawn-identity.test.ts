/**
 * Issue #15 item 6, from the attacker's side: an agent cannot pick the identity policy trusts, nor
 * another tenant. The default stack (`boot({ dataDir })`) runs a default-deny policy that allows
 * everything to agents named `trusted-*`; "mallory" may only spawn. Mallory names children
 * `trusted-helper` on every route that creates a process (AgentSpawn, ctx.spawn, the agent.spawn
 * tool, a supervisor's nested children, a grandchild), and after a daemon restart: each child is named
 * under its creator (`mallory/trusted-helper`) and the `trusted-*` rule does not match it. Tenants:
 * no route lets a child leave its creator's tenant, and a revoked `tenant:<t>#assume` stops letting it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { boot, silentLogger, type AgentId, type AgentLogic, type AgentSpecInput, type Aios } from "../../src/index.js";

const dirs: string[] = [];
const systems: Aios[] = [];
afterEach(async () => {
  for (const s of systems.splice(0)) await s.shutdown();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const POLICY = `
default: deny
rules:
  - id: trusted
    effect: allow
    when: { agent: "trusted-*" }
  - id: mallory-spawns
    effect: allow
    when: { agent: mallory, syscall: [AgentSpawn, ToolCall] }
  - id: mallory-tree-spawns
    effect: allow
    when: { agent: "mallory/**", syscall: AgentSpawn }
`;

const idle: AgentLogic<null> = { init: () => null, receive: (s) => s };
/** Spawns the spec it is sent through ctx.spawn and replies with the new id, or the refusal's code. */
const spawner: AgentLogic<null> = {
  init: () => null,
  receive: async (s, m, ctx) => {
    try {
      ctx.reply(await ctx.spawn((m as { spec: AgentSpecInput }).spec));
    } catch (e) {
      ctx.reply({ refused: (e as { code?: string }).code });
    }
    return s;
  },
};
const logics = { idle, spawner };

async function start(dataDir?: string): Promise<Aios> {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), "aios-ident-"));
  if (dataDir === undefined) dirs.push(dir);
  const os = await boot({ dataDir: dir, logger: silentLogger, durable: true, logics, subsystems: { embedder: false, memory: false, security: { policy: POLICY } } });
  systems.push(os);
  return os;
}

const MALLORY = ["agent#spawn", "tool:agent.spawn#call", "kernel#noop"];
const impostor = (extra: Partial<AgentSpecInput> = {}): AgentSpecInput => ({ name: "trusted-helper", kind: "code", logic: "idle", capabilities: ["kernel#noop"], ...extra });

describe("names are attested: a child is named under its creator", () => {
  it("a genuine trusted-* agent passes the policy; mallory's trusted-helper does not, on every route", async () => {
    const os = await start();
    const trusted = await os.spawn({ name: "trusted-helper", kind: "code", logic: "idle", capabilities: ["kernel#noop"] });
    await expect(os.syscall(trusted, "Noop", {})).resolves.toBeNull();

    const mallory = await os.spawn({ name: "mallory", kind: "code", logic: "spawner", capabilities: MALLORY });
    const viaSyscall = (await os.syscall(mallory, "AgentSpawn", { spec: impostor() })).id;
    const viaCtx = (await os.request(mallory, { spec: impostor() })) as AgentId;
    const viaTool = ((await os.syscall(mallory, "ToolCall", { tool: "agent.spawn", args: { spec: impostor() } })) as { id: AgentId }).id;
    const sup = (await os.syscall(mallory, "AgentSpawn", { spec: { name: "trusted-sup", kind: "supervisor", children: [impostor()] } })).id;
    const viaSupervisor = os.tree().flatMap(function walk(n): { id: string; name: string }[] { return [n, ...n.children.flatMap(walk)]; }).find((n) => n.id !== sup && n.name.endsWith("trusted-helper") && os.status(n.id).parent === sup)?.id as AgentId;
    for (const id of [viaSyscall, viaCtx, viaTool, viaSupervisor]) {
      expect(os.status(id).name).toBe("mallory/trusted-helper");
      await expect(os.syscall(id, "Noop", {})).rejects.toMatchObject({ code: "E_POLICY" });
    }
    expect(os.status(sup).name).toBe("mallory/trusted-sup");
  });

  it("a grandchild is named under the whole chain; a name that fakes a prefix stays under it", async () => {
    const os = await start();
    const mallory = await os.spawn({ name: "mallory", kind: "code", logic: "idle", capabilities: MALLORY });
    const kid = (await os.syscall(mallory, "AgentSpawn", { spec: { name: "kid", kind: "code", logic: "idle", capabilities: ["agent#spawn", "kernel#noop"] } })).id;
    const grandkid = (await os.syscall(kid, "AgentSpawn", { spec: impostor() })).id;
    expect(os.status(grandkid).name).toBe("mallory/kid/trusted-helper");
    await expect(os.syscall(grandkid, "Noop", {})).rejects.toMatchObject({ code: "E_POLICY" });
    // A '/' in a chosen name only adds segments below the creator.
    const faked = (await os.syscall(mallory, "AgentSpawn", { spec: impostor({ name: "trusted-helper/x" }) })).id;
    expect(os.status(faked).name).toBe("mallory/trusted-helper/x");
    await expect(os.syscall(mallory, "AgentSpawn", { spec: impostor({ name: "/trusted-helper" }) })).rejects.toMatchObject({ code: "E_INVALID_SPEC" });
    await expect(os.syscall(mallory, "AgentSpawn", { spec: impostor({ name: "../trusted-helper" }) })).rejects.toMatchObject({ code: "E_INVALID_SPEC" });
  });

  it("the attested name survives a daemon restart (a recovered child is still mallory's)", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "aios-ident-"));
    dirs.push(dataDir);
    const first = await start(dataDir);
    const mallory = await first.spawn({ name: "mallory", kind: "code", logic: "idle", durable: true, capabilities: MALLORY });
    const child = (await first.syscall(mallory, "AgentSpawn", { spec: impostor({ durable: true }) })).id;
    await first.shutdown();
    systems.splice(systems.indexOf(first), 1);
    const second = await start(dataDir);
    expect(second.status(child).name).toBe("mallory/trusted-helper");
    await expect(second.syscall(child, "Noop", {})).rejects.toMatchObject({ code: "E_POLICY" });
  });
});

describe("tenants: a child stays in its creator's tenant on every route", () => {
  const spy = (extra: Partial<AgentSpecInput> = {}): AgentSpecInput => ({ name: "spy", kind: "code", logic: "idle", tenant: "globex", ...extra });

  it("AgentSpawn, ctx.spawn, agent.spawn and a supervisor's child are all refused another tenant", async () => {
    const os = await start();
    const acme = await os.spawn({ name: "trusted-acme", kind: "code", logic: "spawner", tenant: "acme", capabilities: MALLORY });
    await expect(os.syscall(acme, "AgentSpawn", { spec: spy() })).rejects.toMatchObject({ code: "E_CAP_DENIED", details: { path: "spec.tenant" } });
    await expect(os.request(acme, { spec: spy() })).resolves.toEqual({ refused: "E_CAP_DENIED" });
    await expect(os.syscall(acme, "ToolCall", { tool: "agent.spawn", args: { spec: spy() } })).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    await expect(os.syscall(acme, "AgentSpawn", { spec: { name: "s", kind: "supervisor", children: [spy()] } })).rejects.toMatchObject({ code: "E_CAP_DENIED", details: { path: "spec.children.0.tenant" } });
    // A node that names no tenant lands in the creator's, on every route.
    const plain = (await os.syscall(acme, "AgentSpawn", { spec: { name: "helper", kind: "code", logic: "idle" } })).id;
    const viaCtx = (await os.request(acme, { spec: { name: "helper2", kind: "code", logic: "idle" } })) as AgentId;
    for (const id of [plain, viaCtx]) expect(os.status(id).tenant).toBe("acme");
    expect(os.ps().filter((p) => p.tenant === "globex")).toHaveLength(0);
  });

  it("tenant:<t>#assume counts only while it is live: once revoked, the same spawn is refused", async () => {
    const os = await start();
    const acme = await os.spawn({ name: "trusted-acme", kind: "code", logic: "idle", tenant: "acme", capabilities: MALLORY });
    const grant = os.caps.checker.adopt(os.kernel.get(acme), os.caps.authority.mint({ holder: acme, caps: ["tenant:globex#assume"], scheme: "hybrid" }));
    const ok = (await os.syscall(acme, "AgentSpawn", { spec: spy() })).id;
    expect(os.status(ok).tenant).toBe("globex");
    os.caps.checker.revoke("operator", grant.id);
    await expect(os.syscall(acme, "AgentSpawn", { spec: spy({ name: "spy2" }) })).rejects.toMatchObject({ code: "E_CAP_DENIED", details: { path: "spec.tenant" } });
  });

  it("an upgrade cannot move an agent to another tenant", async () => {
    const os = await start();
    const a = await os.spawn({ name: "trusted-a", kind: "code", logic: "idle", tenant: "acme" });
    await expect(os.upgrade(a, { spec: { tenant: "globex" } })).rejects.toMatchObject({ code: "E_INVALID_ARG", details: { path: "spec" } });
    expect(os.status(a).tenant).toBe("acme");
  });
});
