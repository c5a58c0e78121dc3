/**
 * Attacker's side of issue 15 item 2: code an agent spawns runs isolated (a worker thread, inside
 * QuickJS) — without Node's ambient authority, preemptible and killable, with a memory limit — and
 * reaches the kernel only through the syscall door. The guest modules are real files in a module root;
 * the ones that try to escape would write a marker file, which must never exist. docs/adr/0023.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boot, silentLogger, type AgentLogic, type Aios } from "../../src/index.js";
import { refusalOf } from "./refusal.js";

let base: string;
let root: string;
let marker: string;
const mod = (name: string): string => join(root, `${name}.mjs`);

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), "aios-iso-"));
  root = join(base, "root");
  mkdirSync(root);
  marker = join(base, "marker");
  const outside = join(base, "outside.mjs");
  writeFileSync(outside, `import { writeFileSync } from "node:fs"; writeFileSync(${JSON.stringify(marker)}, "pwned"); export default 1;\n`);
  writeFileSync(mod("echo"), `export default {
  init(ctx, args) { return { n: 0, args }; },
  async receive(s, m, ctx) {
    if (m && m.ask) { try { ctx.reply(["answer", await ctx.request(m.ask, m.body)]); } catch (e) { ctx.reply(["refused", e.code, e.message]); } return s; }
    if (m && m.spawn) { try { ctx.reply(["spawned", await ctx.spawn(m.spawn)]); } catch (e) { ctx.reply(["refused", e.code, e.message]); } return s; }
    if (m && m.sys) { try { ctx.reply(["sys", await ctx.sys[m.sys](m.args)]); } catch (e) { ctx.reply(["refused", e.code, e.message]); } return s; }
    if (m === "stop") return ctx.stop("bye");
    ctx.reply(["echo", m, s.n + 1, ctx.self, s.args]);
    return { ...s, n: s.n + 1 };
  },
};
`);
  writeFileSync(mod("escape"), `export default {
  async receive(s, m, ctx) {
    const out = {};
    const attempt = async (name, f) => {
      try { const v = await f(); out[name] = "GOT " + typeof v; } catch (e) { out[name] = "refused: " + String((e && e.message) || e); }
    };
    await attempt("import node:fs", () => import("node:fs"));
    await attempt("import a file", () => import(${JSON.stringify(pathToFileURL(outside).href)}));
    await attempt("import std", () => import("std"));
    await attempt("import os", () => import("os"));
    await attempt("require", () => require("fs"));
    await attempt("process.binding", () => process.binding("fs"));
    await attempt("Function constructor", () => (function () {}).constructor("return process")().binding("fs"));
    await attempt("globalThis.process", () => globalThis.process.mainModule.require("fs"));
    await attempt("eval require", () => (0, eval)("require")("fs"));
    await attempt("fetch", () => fetch("http://127.0.0.1:9/"));
    await attempt("setTimeout", () => setTimeout(() => {}, 1));
    await attempt("host post", () => __aios_post(1, "sys", "Noop", "{}"));
    await attempt("ctx prototype", () => Object.getPrototypeOf(ctx.send).constructor("return process")().exit(1));
    ctx.reply({ out, globals: Object.getOwnPropertyNames(globalThis) });
    return s;
  },
};
`);
  writeFileSync(mod("static-import"), `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(marker)}, "pwned");\nexport default { receive(s) { return s; } };\n`);
  writeFileSync(mod("spin"), `export default { receive(s, m, ctx) { if (m === "spin") { for (;;) {} } ctx.reply("pong"); return s; } };\n`);
  writeFileSync(mod("sender"), `export default { async receive(s, m, ctx) { for (;;) { await ctx.send(m.peer, 1); } } };\n`);
  writeFileSync(mod("crashy"), `export default {
  init: () => ({ n: 0 }),
  receive(s, m, ctx) { if (m === "boom") throw new Error("boom"); ctx.reply(s.n + 1); return { n: s.n + 1 }; },
};
`);
  writeFileSync(mod("fat"), `export default { receive(s, m, ctx) { if (m === "fat") return { blob: "x".repeat(2 << 20) }; if (m === "fatcall") { ctx.send("nobody", "y".repeat(2 << 20)); return s; } ctx.reply("ok"); return s; } };\n`);
  writeFileSync(mod("bomb"), `export default { receive(s, m) { const a = []; for (;;) a.push(new Array(100000).fill(m)); } };\n`);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

const idle: AgentLogic<null> = { init: () => null, receive: (s) => s };
const doubler: AgentLogic<null, number> = { receive: (s, m, ctx) => (ctx.reply(m * 2), s) };

async function bootIso(isolation: { sliceMs?: number; memoryBytes?: number } = {}): Promise<Aios> {
  return boot({ stack: "bare", logger: silentLogger, moduleRoots: [root], isolation });
}

/** Waits (real time: the guest runs on another thread) until `cond` holds. */
async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!cond()) throw new Error(`never happened: ${what}`);
}

describe("code an agent spawns runs isolated and reaches the kernel only through the door", () => {
  it("is isolated by default, keeps its state across messages, and its calls pass the capability check", async () => {
    const os = await bootIso();
    const mallory = await os.spawn({ name: "mallory", kind: "code", logic: idle, capabilities: ["agent#spawn", "agent:*#send"] });
    const peer = await os.spawn({ name: "peer", kind: "code", logic: doubler });
    const { id } = await os.syscall(mallory, "AgentSpawn", { spec: { name: "kid", kind: "code", module: mod("echo"), args: { x: 1 }, capabilities: ["agent:*#send", "agent#spawn"] } });
    expect(os.kernel.get(id).spec.isolation).toBe("isolated");
    expect(await os.request(id, "a")).toEqual(["echo", "a", 1, id, { x: 1 }]);
    expect(await os.request(id, "b")).toEqual(["echo", "b", 2, id, { x: 1 }]);
    expect(await os.request(id, { ask: peer, body: 21 })).toEqual(["answer", 42]);
    // A child without agent:*#send asks through the same door and is refused.
    const { id: mute } = await os.syscall(mallory, "AgentSpawn", { spec: { name: "mute", kind: "code", module: mod("echo") } });
    expect(await os.request(mute, { ask: peer, body: 1 })).toEqual(["refused", "E_CAP_DENIED", expect.stringMatching(/agent:/)]);
    // Its own spawn is an agent's: no data: URL, and it cannot widen its authority.
    expect(await os.request(id, { spawn: { name: "x", kind: "code", module: "data:text/javascript,export default 1" } })).toEqual(["refused", "E_CAP_DENIED", expect.stringMatching(/data: URL/)]);
    expect(await os.request(id, { sys: "KernelBackdoor", args: {} })).toEqual(["refused", "E_NO_SYSCALL", expect.any(String)]);
    // An agent may not ask for trusted; the operator's module is trusted unless it says isolated.
    expect(await refusalOf(os.syscall(mallory, "AgentSpawn", { spec: { name: "t", kind: "code", module: mod("echo"), isolation: "trusted" } }))).toMatch(/^E_CAP_DENIED: isolation: "trusted" is the operator's/);
    const op = await os.spawn({ name: "op", kind: "code", module: mod("echo") });
    expect(os.kernel.get(op).spec.isolation).toBeUndefined();
    expect(await os.request(op, "z")).toEqual(["echo", "z", 1, op, undefined]);
    expect(await os.request(id, "stop")).toBe("bye");
    await os.shutdown();
  });

  it("has no import, require, process, fetch, timers or host object to reach", async () => {
    const os = await bootIso();
    const mallory = await os.spawn({ name: "mallory", kind: "code", logic: idle, capabilities: ["agent#spawn"] });
    const { id } = await os.syscall(mallory, "AgentSpawn", { spec: { name: "esc", kind: "code", module: mod("escape") } });
    const r = (await os.request(id, "go")) as { out: Record<string, string>; globals: string[] };
    expect(Object.keys(r.out)).toHaveLength(13);
    for (const [what, outcome] of Object.entries(r.out)) expect(outcome, what).toMatch(/^refused: /);
    for (const g of ["process", "require", "fetch", "setTimeout", "__aios_post", "__aios_logic", "WebAssembly"]) expect(r.globals).not.toContain(g);
    // A module importing node:fs does not even load.
    expect(await refusalOf(os.syscall(mallory, "AgentSpawn", { spec: { name: "s", kind: "code", module: mod("static-import") } }))).toMatch(/^E_INVALID_SPEC: module .*cannot run isolated/);
    expect(os.status(id).status).toBe("running");
    await os.shutdown();
    expect(existsSync(marker)).toBe(false);
  });
});

describe("an isolated agent under a supervisor", () => {
  it("crashes alone and comes back in a fresh thread with a fresh state", async () => {
    const os = await bootIso();
    const sup = await os.spawn({ name: "sup", kind: "supervisor", supervision: { intensity: 5, periodMs: 60_000 }, children: [{ name: "c", kind: "code", module: mod("crashy"), isolation: "isolated" }] });
    const child = os.kernel.get(sup).children?.[0]?.id;
    if (child === undefined) throw new Error("no child");
    expect(await os.request(child, "a")).toBe(1);
    expect(await os.request(child, "b")).toBe(2);
    expect(await refusalOf(os.request(child, "boom"))).toMatch(/^E_AGENT_CRASHED: .*boom/);
    await until(() => os.kernel.find(child)?.status === "running" && (os.kernel.find(child)?.incarnation ?? 0) > 0, "the restart");
    expect(await os.request(child, "c")).toBe(1);
    await os.shutdown();
  });
});

describe("an isolated agent cannot stall the kernel", () => {
  it("an endless loop in receive leaves other agents served, and kill ends it", async () => {
    const os = await bootIso({ sliceMs: 600_000 });
    const spin = await os.spawn({ name: "spin", kind: "code", module: mod("spin"), isolation: "isolated" });
    const peer = await os.spawn({ name: "peer", kind: "code", logic: doubler });
    expect(await os.request(spin, "ping")).toBe("pong");
    await os.send(spin, "spin");
    await until(() => os.kernel.get(spin).busy, "the loop started");
    // The kernel's thread is free: other agents answer and timers fire while the guest spins.
    for (let i = 1; i <= 20; i++) expect(await os.request(peer, i)).toBe(2 * i);
    await new Promise((r) => setTimeout(r, 5));
    expect(os.kernel.get(spin).busy).toBe(true);
    expect(await os.kill(spin)).toBe(true);
    expect(os.status(spin).status).toBe("killed");
    await until(() => !os.kernel.get(spin).busy, "the receive in flight was answered");
    expect(await os.request(peer, 5)).toBe(10);
    await os.shutdown();
  });

  it("a loop that never yields ends the agent with E_TIMEOUT after the slice limit", async () => {
    const os = await bootIso({ sliceMs: 300 });
    const spin = await os.spawn({ name: "spin", kind: "code", module: mod("spin"), isolation: "isolated" });
    await os.send(spin, "spin");
    const exit = await os.wait(spin);
    expect(exit.status).toBe("failed");
    expect(exit.reason).toMatch(/ran over 300 ms without yielding/);
    await os.shutdown();
  });

  it("a killed agent's async loop stops: nothing it sent arrives after the kill", async () => {
    const os = await bootIso();
    let got = 0;
    const peer = await os.spawn({ name: "peer", kind: "code", logic: { receive: (s: null) => (got++, s) } satisfies AgentLogic<null> });
    const sender = await os.spawn({ name: "sender", kind: "code", module: mod("sender"), isolation: "isolated", capabilities: ["agent:*#send"] });
    await os.send(sender, { peer });
    await until(() => got > 50, "the loop sent");
    await os.kill(sender);
    const after = got;
    await new Promise((r) => setTimeout(r, 200));
    // At most the sends already in the kernel's queue when the thread was ended.
    expect(got - after).toBeLessThanOrEqual(1);
    await os.shutdown();
  });

  it("a guest cannot make the kernel's thread parse megabytes: a state or call over the crossing limit ends it", async () => {
    const os = await bootIso();
    for (const msg of ["fat", "fatcall"]) {
      const fat = await os.spawn({ name: `fat-${msg}`, kind: "code", module: mod("fat"), isolation: "isolated", capabilities: ["agent:*#send"] });
      expect(await os.request(fat, "hi")).toBe("ok");
      await os.send(fat, msg);
      const exit = await os.wait(fat);
      expect(exit.status, msg).toBe("failed");
      expect(exit.reason, msg).toMatch(/handed the kernel \d+ characters at once \(limit 1048576\)/);
    }
    await os.shutdown();
  });

  it("a memory bomb hits the limit: the agent fails with a named error and the kernel goes on", async () => {
    const os = await bootIso({ memoryBytes: 16 << 20 });
    const bomb = await os.spawn({ name: "bomb", kind: "code", module: mod("bomb"), isolation: "isolated" });
    const peer = await os.spawn({ name: "peer", kind: "code", logic: doubler });
    const reply = refusalOf(os.request(bomb, 7));
    const exit = await os.wait(bomb);
    expect(exit.status).toBe("failed");
    expect(exit.reason).toMatch(/memory limit/);
    expect(await reply).toMatch(/^E_SANDBOX: .*memory limit/);
    expect(await os.request(peer, 4)).toBe(8);
    await os.shutdown();
  });
});
