/**
 * tools/ through the real kernel: boot() with toolsSubsystem, agents calling ToolCall through the one
 * syscall door. Covers the dispatcher's up-front check (`tool:<name>#call` plus the tool's own
 * requests), the handler's execution-time re-check, argument errors naming the field, unknown tools,
 * idempotency keys, agent.spawn attenuation, an agent's own logic calling a tool via ctx.sys, and a
 * call without `args` (the tool gets `{}`).
 */
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync, symlinkSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { boot, silentLogger, type Aios, type AgentLogic } from "../../src/index.js";
import { z } from "zod";
import { ToolRegistry, defineTool, toolsSubsystem } from "../../src/tools/index.js";

let dir: string;
let os: Aios;
beforeAll(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "aios-tools-boot-")));
  mkdirSync(join(dir, "data"));
  writeFileSync(join(dir, "data", "note.txt"), "from disk");
  writeFileSync(join(dir, "secret.txt"), "no");
  symlinkSync(join(dir, "secret.txt"), join(dir, "data", "escape"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => os.shutdown());

const idle: AgentLogic<null> = { init: () => null, receive: (s) => s };

async function start(capabilities: string[]): Promise<string> {
  os = await boot({ stack: "bare", logger: silentLogger, add: [toolsSubsystem({ browser: false })] });
  return os.spawn({ name: "worker", kind: "code", logic: idle, capabilities });
}

describe("ToolCall through boot()", () => {
  it("runs a granted tool and refuses ungranted ones before they run", async () => {
    const id = await start(["tool:file.read#call", `file:${dir}/data/**#read`]);
    await expect(os.syscall(id, "ToolCall", { tool: "file.read", args: { path: join(dir, "data", "note.txt") } })).resolves.toMatchObject({ content: "from disk" });
    await expect(os.syscall(id, "ToolCall", { tool: "file.read", args: { path: join(dir, "secret.txt") } })).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    await expect(os.syscall(id, "ToolCall", { tool: "file.write", args: { path: join(dir, "data", "x"), content: "x" } })).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    // allowed by the dispatcher's lexical check, refused by the tool's realpath re-check — and audited
    // once, as the refusal it is (one entry per call)
    const audit: { decision: string; by?: string; reason?: string }[] = [];
    os.kernel.guards.audit = { record: (e) => audit.push(e) };
    const denied = os.kernel.events.once("tool.denied");
    await expect(os.syscall(id, "ToolCall", { tool: "file.read", args: { path: join(dir, "data", "escape") } })).rejects.toThrow(/through a symlink/);
    expect(audit.map((e) => e.decision)).toEqual(["denied"]);
    expect(audit[0]).toMatchObject({ syscall: "ToolCall", reason: expect.stringMatching(/through a symlink/) });
    expect((await denied).data).toMatchObject({ tool: "file.read", resource: `file:${join(dir, "secret.txt")}`, action: "read" });
  });

  it("names the bad field and the unknown tool", async () => {
    const id = await start(["tool:*#call"]);
    await expect(os.syscall(id, "ToolCall", { tool: "file.read", args: { path: 42 } })).rejects.toMatchObject({ code: "E_INVALID_ARG", message: expect.stringMatching(/args.path/) });
    await expect(os.syscall(id, "ToolCall", { tool: "no.such", args: {} })).rejects.toMatchObject({ code: "E_NO_TOOL" });
  });

  it("runs a call with an idempotency key once", async () => {
    const target = join(dir, "data", "once.txt");
    const id = await start(["tool:file.write#call", `file:${dir}/data/**#write`]);
    const first = await os.syscall(id, "ToolCall", { tool: "file.write", args: { path: target, content: "first" }, idempotencyKey: "k1" });
    writeFileSync(target, "changed meanwhile");
    const again = await os.syscall(id, "ToolCall", { tool: "file.write", args: { path: target, content: "first" }, idempotencyKey: "k1" });
    expect(again).toEqual(first);
    expect(readFileSync(target, "utf8")).toBe("changed meanwhile");
  });

  it("agent.spawn gives a child only a subset of the parent's capabilities", async () => {
    const id = await start(["tool:agent.spawn#call", "agent#spawn", `file:${dir}/data/*#read`, "shell#exec{allow=[ls,cat]}"]);
    const wider = { name: "child", kind: "code", logic: "idle", capabilities: [`file:${dir}/data/**#read`] };
    os.kernel.registerLogic("idle", idle);
    await expect(os.syscall(id, "ToolCall", { tool: "agent.spawn", args: { spec: wider } })).rejects.toMatchObject({
      code: "E_CAP_DENIED",
      message: expect.stringContaining(`file:${dir}/data/**#read`),
    });
    const looser = { name: "child", kind: "code", logic: "idle", capabilities: ["shell#exec"] };
    await expect(os.syscall(id, "ToolCall", { tool: "agent.spawn", args: { spec: looser } })).rejects.toThrow(/cannot get "shell#exec"/);
    const ok = { name: "child", kind: "code", logic: "idle", capabilities: [`file:${dir}/data/note.txt#read`, "shell#exec{allow=[ls]}"] };
    const r = (await os.syscall(id, "ToolCall", { tool: "agent.spawn", args: { spec: ok } })) as { id: string };
    expect(os.status(r.id)).toMatchObject({ name: `${os.status(id).name}/child` });
  });

  it("an agent's own logic reaches tools only through ctx.sys", async () => {
    os = await boot({ stack: "bare", logger: silentLogger, add: [toolsSubsystem({ browser: false })] });
    const reader: AgentLogic<null, string> = {
      init: () => null,
      async receive(s, path, ctx) {
        try {
          const r = (await ctx.sys.ToolCall({ tool: "file.read", args: { path } })) as { content: string };
          ctx.reply(r.content);
        } catch (e) {
          ctx.reply(`refused: ${(e as { code?: string }).code ?? "?"}`);
        }
        return s;
      },
    };
    const id = await os.spawn({ name: "reader", kind: "code", logic: reader, capabilities: ["tool:file.read#call", `file:${dir}/data/**#read`] });
    await expect(os.request(id, join(dir, "data", "note.txt"))).resolves.toBe("from disk");
    await expect(os.request(id, join(dir, "secret.txt"))).resolves.toBe("refused: E_CAP_DENIED");
  });
  it("a call without args hands the tool {}: runs a tool that takes no input, refuses one that needs some", async () => {
    const registry = new ToolRegistry();
    const plugin = toolsSubsystem({ browser: false, registry });
    const seen: unknown[] = [];
    registry.register(defineTool({
      name: "test.ping",
      description: "takes no input",
      input: z.strictObject({}),
      sideEffect: false,
      requires: () => [],
      execute: async (args) => {
        seen.push(args);
        return "pong";
      },
    }));
    os = await boot({ stack: "bare", logger: silentLogger, add: [plugin] });
    const pinger: AgentLogic<null, string> = {
      init: () => null,
      async receive(s, tool, ctx) {
        try {
          ctx.reply(String(await ctx.sys.ToolCall({ tool })));
        } catch (e) {
          ctx.reply(`${(e as { code?: string }).code ?? "?"}: ${(e as Error).message}`);
        }
        return s;
      },
    };
    const id = await os.spawn({ name: "pinger", kind: "code", logic: pinger, capabilities: ["tool:*#call", `file:${dir}/**#read`] });
    await expect(os.request(id, "test.ping")).resolves.toBe("pong");
    expect(seen).toEqual([{}]);
    // Missing args is the empty input, not a pass: file.read still needs its path.
    await expect(os.request(id, "file.read")).resolves.toMatch(/^E_INVALID_ARG: .*args\.path/);
    // Hostile args are still refused naming the field, and the tool never runs.
    await expect(os.syscall(id, "ToolCall", { tool: "test.ping", args: { extra: 1 } })).rejects.toMatchObject({ code: "E_INVALID_ARG", message: expect.stringMatching(/args/) });
    await expect(os.syscall(id, "ToolCall", { tool: "test.ping", args: "x" })).rejects.toMatchObject({ code: "E_INVALID_ARG" });
    await expect(os.syscall(id, "ToolCall", { tool: "test.ping", args: [1] })).rejects.toMatchObject({ code: "E_INVALID_ARG" });
    await expect(os.syscall(id, "ToolCall", { tool: "test.ping", arg: {} } as never)).rejects.toMatchObject({ code: "E_INVALID_ARG", message: expect.stringMatching(/arg/) });
    expect(seen).toEqual([{}]);
  });
});
