/**
 * The registry contract: register / get / list / execute, JSON Schema export, duplicate and invalid
 * names, input validation naming the field, output validation, capability checks before execution,
 * and the ToolCall SyscallDef's parse and requires.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { RealClock } from "../../src/core/index.js";
import { SpecCapabilityChecker } from "../../src/kernel/index.js";
import { ToolRegistry, defineTool, toolCallSyscall, type ToolHost } from "../../src/tools/index.js";
import { EventBus } from "../../src/core/index.js";
import { caller, ctxFor } from "./helpers.js";

function echo(calls: unknown[]) {
  return defineTool({
    name: "test.echo",
    description: "echoes",
    input: z.strictObject({ text: z.string().max(10), times: z.number().int().min(1).default(1) }),
    output: z.object({ out: z.string() }),
    sideEffect: false,
    requires: (a) => [{ resource: `echo:${a.text}`, action: "say" }],
    async execute(a) {
      calls.push(a);
      return { out: a.text.repeat(a.times) };
    },
  });
}

describe("ToolRegistry", () => {
  it("registers, lists with JSON Schema, and refuses duplicates and bad names", () => {
    const r = new ToolRegistry();
    r.register(echo([]));
    expect(() => r.register(echo([]))).toThrow(/already registered/);
    expect(() => r.register({ ...echo([]), name: "Bad Name" })).toThrow(/not a valid tool name/);
    const [info] = r.list();
    expect(info).toMatchObject({ name: "test.echo", sideEffect: false });
    expect(info?.inputSchema).toMatchObject({ type: "object", properties: { text: { type: "string", maxLength: 10 } } });
    expect(() => r.get("nope")).toThrow(/no tool named "nope"/);
  });

  it("refuses a tool object missing what it needs, naming the field, before any agent can call it", () => {
    const r = new ToolRegistry();
    const good = echo([]) as unknown as Record<string, unknown>;
    const without = (field: string): unknown => Object.fromEntries(Object.entries(good).filter(([k]) => k !== field));
    for (const [broken, field] of [
      [without("requires"), "tool.requires"],
      [without("execute"), "tool.execute"],
      [without("sideEffect"), "tool.sideEffect"],
      [without("description"), "tool.description"],
      [{ ...good, input: { type: "object" } }, "tool.input"],
      [{ ...good, output: "text" }, "tool.output"],
      [null, "tool"],
    ] as const) {
      let err: unknown;
      try {
        r.register(broken as never);
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: "E_INVALID_ARG", details: { path: field } });
      expect((err as Error).message.startsWith(`${field}:`)).toBe(true);
    }
    expect(r.list()).toEqual([]);
  });

  it("builds each tool's JSON Schema once: list() is the same frozen array until a tool is added or removed", () => {
    const r = new ToolRegistry();
    r.register(echo([]));
    const first = r.list();
    expect(r.list()).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    const info = first[0]!;
    expect(Object.isFrozen(info)).toBe(true);
    expect(Object.isFrozen(info.inputSchema)).toBe(true);
    expect(() => ((info.inputSchema as { type: string }).type = "string")).toThrow(TypeError);
    r.register(defineTool({ name: "test.add", description: "adds", input: z.strictObject({ a: z.number(), b: z.number() }), sideEffect: false, requires: () => [], execute: async ({ a, b }) => a + b }));
    const second = r.list();
    expect(second).not.toBe(first);
    expect(second.map((t) => t.name)).toEqual(["test.add", "test.echo"]);
    // The unchanged tool's description is the same object: its schema was not converted again.
    expect(second[1]).toBe(info);
    r.register({ ...echo([]), description: "echoes twice" }, { replace: true });
    expect(r.list().find((t) => t.name === "test.echo")?.description).toBe("echoes twice");
    expect(r.unregister("test.add")).toBe(true);
    expect(r.list().map((t) => t.name)).toEqual(["test.echo"]);
  });

  it("validates input (naming the field), checks capabilities before running, validates output", async () => {
    const calls: unknown[] = [];
    const r = new ToolRegistry();
    r.register(echo(calls));
    r.register(defineTool({ name: "test.liar", description: "", input: z.object({}), output: z.object({ n: z.number() }), sideEffect: false, requires: () => [], execute: async () => ({ n: "x" }) as unknown as { n: number } }));
    const caps = ["tool:test.*#call", "echo:*#say"];
    await expect(r.execute("test.echo", { text: "ab", times: 2 }, ctxFor(caps))).resolves.toEqual({ out: "abab" });
    await expect(r.execute("test.echo", { text: "much too long text" }, ctxFor(caps))).rejects.toMatchObject({ code: "E_INVALID_ARG", message: expect.stringMatching(/^args.text:/) });
    await expect(r.execute("test.echo", { text: "a", extra: 1 }, ctxFor(caps))).rejects.toMatchObject({ code: "E_INVALID_ARG" });
    await expect(r.execute("test.echo", { text: "a" }, ctxFor(["tool:test.*#call"]))).rejects.toMatchObject({ code: "E_CAP_DENIED", message: expect.stringMatching(/echo:a#say/) });
    await expect(r.execute("test.echo", { text: "a" }, ctxFor(["echo:*#say"]))).rejects.toMatchObject({ code: "E_CAP_DENIED", message: expect.stringMatching(/tool:test.echo#call/) });
    expect(calls).toHaveLength(1);
    await expect(r.execute("test.liar", {}, ctxFor(caps))).rejects.toMatchObject({ code: "E_TOOL", message: expect.stringMatching(/test.liar.output.n/) });
  });

  it("the ToolCall syscall parses tool input up front and requires tool:<name>#call plus the tool's requests", () => {
    const r = new ToolRegistry();
    r.register(echo([]));
    const host: ToolHost = { guards: { capabilities: new SpecCapabilityChecker() }, clock: new RealClock(), events: new EventBus(), spawnAs: () => Promise.reject(new Error("no kernel")) };
    const def = toolCallSyscall(r, host);
    const args = def.parse({ tool: "test.echo", args: { text: "hi" } });
    expect(args).toEqual({ tool: "test.echo", args: { text: "hi", times: 1 } });
    expect(def.requires(args, caller([]))).toEqual([{ resource: "tool:test.echo", action: "call" }, { resource: "echo:hi", action: "say" }]);
    expect(def.pool?.(args)).toBe("tool");
    expect(() => def.parse({ tool: "test.echo", args: { text: 5 } })).toThrow(/args.text/);
    expect(() => def.parse({ tool: "nope", args: {} })).toThrow(/no tool named "nope"/);
    expect(() => def.parse({ args: {} })).toThrow(/ToolCall.tool/);
  });
});

describe("tool disposal", () => {
  it("releases every tool's held resources once, at the kernel's shutdown", async () => {
    const { boot } = await import("../../src/index.js");
    const { toolsSubsystem } = await import("../../src/tools/index.js");
    const disposed: string[] = [];
    const registry = new ToolRegistry();
    registry.register(
      defineTool({
        name: "test.holder",
        description: "holds something between calls",
        input: z.object({}),
        sideEffect: false,
        requires: () => [],
        execute: async () => ({}),
        dispose: () => void disposed.push("test.holder"),
      }) as never,
    );
    const os = await boot({ stack: "bare", add: [toolsSubsystem({ registry, file: false, http: false, shell: false, browser: false, spawn: false })] });
    expect(disposed).toEqual([]);
    await os.shutdown();
    expect(disposed).toEqual(["test.holder"]);
  });
});
