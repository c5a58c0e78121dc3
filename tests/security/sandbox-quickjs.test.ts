/**
 * The QuickJS tier: user scripts run with memory and time limits and no host access except the
 * functions passed in. Escapes tried: process, require, fetch, globalThis tricks, Function
 * constructor, prototype pollution across calls; limits: infinite loops, memory bombs, deep recursion.
 */
import { describe, expect, it } from "vitest";
import { ToolRegistry, scriptTool } from "../../src/tools/index.js";
import { ctxFor } from "../tools/helpers.js";

const CAPS = ["tool:user.*#call"];
function reg(): ToolRegistry {
  const r = new ToolRegistry();
  r.register(scriptTool({
    name: "user.add",
    inputSchema: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"], additionalProperties: false },
    source: "function run(args) { return { sum: args.a + args.b }; }",
  }));
  r.register(scriptTool({ name: "user.probe", source: `function run() {
    return { process: typeof process, require: typeof require, fetch: typeof fetch, setTimeout: typeof setTimeout,
             std: typeof std, os: typeof os, fnProcess: typeof (Function("return this")().process), keys: Object.keys(globalThis).filter(k => !k.startsWith("__") && k !== "run") };
  }` }));
  r.register(scriptTool({ name: "user.loop", timeoutMs: 200, source: "function run() { for (;;) {} }" }));
  r.register(scriptTool({ name: "user.hog", memoryLimitBytes: 8 << 20, timeoutMs: 5000, source: "function run() { const a = []; for (;;) a.push('x'.repeat(1 << 16) + a.length); }" }));
  r.register(scriptTool({ name: "user.deep", timeoutMs: 5000, source: "function f(n) { return f(n + 1) + 1; } function run() { return f(0); }" }));
  r.register(scriptTool({ name: "user.throws", source: "function run() { throw new RangeError('nope'); }" }));
  r.register(scriptTool({ name: "user.pollute", source: "function run(a) { if (a.set) Object.prototype.polluted = 1; return { seen: ({}).polluted ?? null }; }" }));
  r.register(scriptTool({
    name: "user.host",
    source: "function run(args, host) { return { doubled: host.double(args.n), echoed: host.echo({ deep: [1, 2] }) }; }",
    host: { double: (v) => (v as number) * 2, echo: (v) => v },
  }));
  r.register(scriptTool({ name: "user.hostfail", source: "function run(args, host) { try { host.boom(1); } catch (e) { return String(e.message); } }", host: { boom: () => { throw new Error("kaboom"); } } }));
  r.register(scriptTool({ name: "user.norun", source: "const x = 1;" }));
  return r;
}

describe("QuickJS script tools", () => {
  it("runs a script with validated JSON input", async () => {
    const r = reg();
    await expect(r.execute("user.add", { a: 2, b: 40 }, ctxFor(CAPS))).resolves.toEqual({ sum: 42 });
    await expect(r.execute("user.add", { a: 2 }, ctxFor(CAPS))).rejects.toMatchObject({ code: "E_INVALID_ARG", message: expect.stringMatching(/args.b/) });
  });

  it("has no host access: no process, require, fetch, timers or std/os modules", async () => {
    const out = (await reg().execute("user.probe", {}, ctxFor(CAPS))) as Record<string, unknown>;
    expect(out).toMatchObject({ process: "undefined", require: "undefined", fetch: "undefined", setTimeout: "undefined", std: "undefined", os: "undefined", fnProcess: "undefined" });
    expect(out["keys"]).toEqual([]);
  });

  it("stops an infinite loop at the time limit", async () => {
    await expect(reg().execute("user.loop", {}, ctxFor(CAPS))).rejects.toMatchObject({ code: "E_TIMEOUT" });
  });

  it("stops a memory bomb at the memory limit", async () => {
    await expect(reg().execute("user.hog", {}, ctxFor(CAPS))).rejects.toMatchObject({ code: "E_SANDBOX", message: expect.stringMatching(/memory limit/) });
  });

  it("stops unbounded recursion at the stack limit", async () => {
    await expect(reg().execute("user.deep", {}, ctxFor(CAPS))).rejects.toMatchObject({ code: "E_SANDBOX" });
  });

  it("reports a script's own exception as E_TOOL, and a missing run()", async () => {
    const r = reg();
    await expect(r.execute("user.throws", {}, ctxFor(CAPS))).rejects.toMatchObject({ code: "E_TOOL", message: expect.stringMatching(/RangeError: nope/) });
    await expect(r.execute("user.norun", {}, ctxFor(CAPS))).rejects.toThrow(/must define function run/);
  });

  it("keeps no state between calls", async () => {
    const r = reg();
    await expect(r.execute("user.pollute", { set: true }, ctxFor(CAPS))).resolves.toEqual({ seen: 1 });
    await expect(r.execute("user.pollute", { set: false }, ctxFor(CAPS))).resolves.toEqual({ seen: null });
  });

  it("reaches the host only through the functions passed in, with JSON values", async () => {
    const r = reg();
    await expect(r.execute("user.host", { n: 21 }, ctxFor(CAPS))).resolves.toEqual({ doubled: 42, echoed: { deep: [1, 2] } });
    await expect(r.execute("user.hostfail", {}, ctxFor(CAPS))).resolves.toBe("host.boom: kaboom");
  });

  it("the registry still demands tool:<name>#call", async () => {
    await expect(reg().execute("user.add", { a: 1, b: 1 }, ctxFor([]))).rejects.toMatchObject({ code: "E_CAP_DENIED" });
  });
});
