/**
 * Attacker's side of issue 15 item 9 (kernel limits, defaults): a 64 MiB message, thousands of
 * senders parked on one full mailbox, and an agent spawning children without end. Each is refused
 * at its documented limit with a clear error; below the limits everything works as before.
 */
import { describe, expect, it } from "vitest";
import { boot, isAiosError, silentLogger, type AgentLogic } from "../../src/index.js";
import { DEFAULT_LIMITS } from "../../src/kernel/index.js";

const idle: AgentLogic<null> = { init: () => null, receive: (s) => s };

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    return isAiosError(e) ? e.code : String(e);
  }
}

describe("kernel limits against one agent starving the rest", () => {
  it("refuses a message over 64 KB at the send door, naming the limit; 60 KB passes", async () => {
    const os = await boot({ stack: "bare", logger: silentLogger });
    const to = await os.spawn({ name: "inbox", kind: "code", logic: idle });
    const err = await os.send(to, { blob: "x".repeat(64 << 20) }).catch((e: unknown) => e);
    expect(isAiosError(err, "E_INVALID_ARG")).toBe(true);
    expect((err as Error).message).toMatch(/65536-byte message limit/);
    expect(await codeOf(os.send(to, { blob: "y".repeat(60_000) }))).toBe("ok");
    expect(await codeOf(os.send(to, ["z".repeat(70_000)]))).toBe("E_INVALID_ARG");
    await os.shutdown();
  });

  it("parks at most 4,096 senders on a full mailbox; the rest are refused E_MAILBOX_FULL", async () => {
    const os = await boot({ stack: "bare", logger: silentLogger });
    const to = await os.spawn({ name: "slow", kind: "code", logic: idle, mailbox: { capacity: 4, onFull: "wait" } });
    await os.pause(to);
    const total = 4 + DEFAULT_LIMITS.maxParkedSenders + 500;
    const sends = Array.from({ length: total }, (_, i) => codeOf(os.send(to, i)));
    await new Promise((r) => setImmediate(r));
    await os.kill(to); // refuses every parked sender
    const codes = await Promise.all(sends);
    const full = codes.filter((c) => c === "E_MAILBOX_FULL").length;
    expect(DEFAULT_LIMITS.maxParkedSenders).toBe(4096);
    expect(full).toBe(500);
    await os.shutdown();
  });

  it("an agent may have at most 1,024 children alive; the next spawn is E_QUOTA", async () => {
    const os = await boot({ stack: "bare", logger: silentLogger });
    const mallory = await os.spawn({ name: "mallory", kind: "code", logic: idle, capabilities: ["agent#spawn"] });
    const spec = { name: "kid", kind: "code" as const, logic: "idle-kid", ephemeral: true };
    os.kernel.registerLogic("idle-kid", idle);
    for (let i = 0; i < DEFAULT_LIMITS.maxChildren; i++) await os.syscall(mallory, "AgentSpawn", { spec });
    expect(await codeOf(os.syscall(mallory, "AgentSpawn", { spec }))).toBe("E_QUOTA");
    // A child that ends makes room again.
    const first = os.kernel.get(mallory).children?.[0]?.id;
    if (first !== undefined) await os.kill(first);
    expect(await codeOf(os.syscall(mallory, "AgentSpawn", { spec }))).toBe("ok");
    await os.shutdown();
  }, 60_000);

  it("one supervisor spec cannot bring more agents than a tree may hold (it passed maxChildren before)", async () => {
    const os = await boot({ stack: "bare", logger: silentLogger, limits: { maxTreeAgents: 100 } });
    os.kernel.registerLogic("idle-kid", idle);
    const mallory = await os.spawn({ name: "mallory", kind: "code", logic: idle, capabilities: ["agent#spawn"] });
    const sup = (n: number) => ({ name: "sup", kind: "supervisor" as const, children: Array.from({ length: n }, (_, i) => ({ name: `k${i}`, kind: "code" as const, logic: "idle-kid", ephemeral: true })) });
    const err = await os.syscall(mallory, "AgentSpawn", { spec: sup(150) }).catch((e: unknown) => e);
    expect(isAiosError(err, "E_QUOTA")).toBe(true);
    expect((err as Error).message).toMatch(/has 1 alive and its spec brings more than 100 agents \(limit 100 agents in one tree\)/);
    expect(os.ps({ limit: 1000 })).toHaveLength(1);
    // Within the limit it spawns; the tree then holds mallory, the supervisor and its 50 children.
    expect(await codeOf(os.syscall(mallory, "AgentSpawn", { spec: sup(50) }))).toBe("ok");
    expect(await codeOf(os.syscall(mallory, "AgentSpawn", { spec: sup(48) }))).toBe("E_QUOTA");
    expect(await codeOf(os.syscall(mallory, "AgentSpawn", { spec: sup(47) }))).toBe("ok");
    await os.shutdown();
  });

  it("children granted agent#spawn that spawn their own stop at the tree's limit, and the kernel goes on", async () => {
    const os = await boot({ stack: "bare", logger: silentLogger, limits: { maxTreeAgents: 100 } });
    let refused = 0;
    // Each breeder, told to grow, spawns ten breeders and tells each to grow: 10^n without a limit.
    const breeder: AgentLogic<null> = {
      init: () => null,
      async receive(s, _m, ctx) {
        for (let i = 0; i < 10; i++) {
          try {
            const kid = await ctx.spawn({ name: `b${i}`, kind: "code", logic: "breeder", capabilities: ["agent#spawn", "agent:*#send"] });
            await ctx.send(kid, "grow");
          } catch (e) {
            if (isAiosError(e, "E_QUOTA")) refused++;
            else throw e;
          }
        }
        return s;
      },
    };
    os.kernel.registerLogic("breeder", breeder);
    const root = await os.spawn({ name: "root", kind: "code", logic: "breeder", capabilities: ["agent#spawn", "agent:*#send"] });
    await os.send(root, "grow");
    // Quiet once no breeder is still trying: every one of the 100 made its ten attempts.
    const until = Date.now() + 20_000;
    while (refused + os.ps({ limit: 10_000 }).length - 1 < 100 * 10 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(os.ps({ limit: 10_000 })).toHaveLength(100);
    expect(refused).toBe(100 * 10 - 99);
    expect(os.status(root).status).toBe("running");
    await os.shutdown();
  }, 30_000);

  it("many trees of one tenant stop at the tenant's limit; another tenant still spawns", async () => {
    const os = await boot({ stack: "bare", logger: silentLogger, limits: { maxTreeAgents: 100, maxTenantAgents: 150 } });
    const refused: string[] = [];
    // Each root, told to grow, spawns children until refused: three roots of one tenant under a
    // tree limit of 100 each would hold 300 without the tenant's limit.
    const grower: AgentLogic<null> = {
      init: () => null,
      async receive(s, _m, ctx) {
        for (let i = 0; i < 120; i++) {
          try {
            await ctx.spawn({ name: `c${i}`, kind: "code", logic: "idle", tenant: ctx.spec.tenant, ephemeral: true });
          } catch (e) {
            if (!isAiosError(e, "E_QUOTA")) throw e;
            refused.push(e.message);
            break;
          }
        }
        ctx.reply("done");
        return s;
      },
    };
    os.kernel.registerLogic("grower", grower);
    os.kernel.registerLogic("idle", { init: () => null, receive: (s: null) => s });
    const roots: string[] = [];
    for (let i = 0; i < 3; i++) roots.push(await os.spawn({ name: `acme${i}`, kind: "code", logic: "grower", tenant: "acme", capabilities: ["agent#spawn"] }));
    for (const r of roots) await os.request(r, "grow");
    const acme = os.ps({ limit: 10_000 }).filter((a) => a.tenant === "acme");
    expect(acme).toHaveLength(150);
    // The first root stopped at its tree's limit (100), the second at the tenant's, the third at once.
    expect(refused).toHaveLength(3);
    expect(refused[0]).toMatch(/limit 100 agents in one tree/);
    expect(refused.slice(1).every((m) => /tenant acme has 150 agents .*limit 150 agents in one tenant/.test(m))).toBe(true);
    // Another tenant is not held by acme's count, and an (ephemeral) agent that ends gives room again.
    const other = await os.spawn({ name: "globex", kind: "code", logic: "grower", tenant: "globex", capabilities: ["agent#spawn"] });
    await os.request(other, "grow");
    expect(os.ps({ limit: 10_000 }).filter((a) => a.tenant === "globex")).toHaveLength(100);
    const child = acme.find((a) => !roots.includes(a.id));
    await os.kill(child?.id as string);
    expect(await os.kernel.spawnAs(os.kernel.find(roots[1] as string) as never, { name: "again", kind: "code", logic: "idle", tenant: "acme" })).toMatch(/^ag_/);
    await expect(os.kernel.spawnAs(os.kernel.find(roots[1] as string) as never, { name: "more", kind: "code", logic: "idle", tenant: "acme" })).rejects.toMatchObject({ code: "E_QUOTA" });
    await os.shutdown();
  }, 30_000);
});
