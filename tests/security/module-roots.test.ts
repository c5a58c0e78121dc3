/**
 * Attacker's side of issue 15 item 1: an agent holding only `agent#spawn` tries to make the daemon
 * import code of its choosing through a spec's `module` — a data: URL, a file outside the module
 * roots, a symlink out of a root (a file and a directory), `..`, a file: URL, node: and http: URLs, a
 * relative path, a supervisor child, the agent.spawn tool, ctx.spawn from inside its receive, an
 * upgrade, and recovery of a journaled spec whose module is no longer in the roots. Every module the
 * attacker names writes a marker file when imported (or restored); none may exist afterwards, and each
 * attempt made through the door is in the audit log as denied. docs/adr/0022.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { AuditReader } from "../../src/audit/index.js";
import { SimulatedClock, boot, flushMicrotasks, silentLogger, type AgentLogic, type AgentSpecInput, type Aios } from "../../src/index.js";
import { refusalOf } from "./refusal.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface Layout {
  readonly base: string;
  readonly root: string;
  readonly outside: string;
  readonly markers: string;
}

/** A module root, a directory outside it holding attacker modules, and where markers land. */
function layout(): Layout {
  const base = mkdtempSync(join(tmpdir(), "aios-modroots-"));
  dirs.push(base);
  const l = { base, root: join(base, "root"), outside: join(base, "outside"), markers: join(base, "markers") };
  for (const d of [l.root, l.outside, l.markers]) mkdirSync(d);
  return l;
}

/** Source of a module that writes `marker` as soon as it is imported. */
function evilSource(marker: string): string {
  return `import { writeFileSync } from "node:fs";\nwriteFileSync(${JSON.stringify(marker)}, "pwned");\nexport default { receive(s) { return s; } };\n`;
}

function evil(l: Layout, name: string): string {
  const path = join(l.outside, `${name}.mjs`);
  writeFileSync(path, evilSource(join(l.markers, name)));
  return path;
}

const idle: AgentLogic<null> = { init: () => null, receive: (s) => s };

/** An agent that spawns whatever spec it is sent, from inside its receive (ctx.spawn), and replies how it went. */
const spawner: AgentLogic<null, { spec: Record<string, unknown> }> = {
  init: () => null,
  async receive(s, m, ctx) {
    ctx.reply(await refusalOf(ctx.spawn(m.spec as never)));
    return s;
  },
};

function deniedSpawns(dataDir: string, agent: string): { syscall: string; decision: string; reason?: string }[] {
  const reader = AuditReader.open(join(dataDir, "audit"));
  const mine = reader.entries({ agent }).filter((e) => e.kind === "syscall").map((e) => e.data as { syscall: string; decision: string; reason?: string });
  reader.close();
  return mine;
}

describe("an agent with agent#spawn cannot make the kernel import code of its choosing", () => {
  it("refuses data:, file:, node:, http: URLs, paths outside the roots, symlink escapes, '..' and relative paths, each audited as denied", async () => {
    const l = layout();
    const dataDir = join(l.base, "data");
    writeFileSync(join(l.root, "ok.mjs"), "export default { receive(s, m, ctx) { ctx.reply(['ok', m]); return s; } };\n");
    symlinkSync(evil(l, "via-file-link"), join(l.root, "link.mjs"));
    evil(l, "via-dir-link");
    symlinkSync(l.outside, join(l.root, "dirlink"));
    const os = await boot({ dataDir, clock: new SimulatedClock(), logger: silentLogger, subsystems: { embedder: false, memory: false }, moduleRoots: [l.root], logics: { spawner } });
    const mallory = await os.spawn({ name: "mallory", kind: "code", logic: idle, capabilities: ["agent#spawn", "tool:agent.spawn#call"] });
    const attempt = (module: string): Promise<string> => refusalOf(os.syscall(mallory, "AgentSpawn", { spec: { name: "child", kind: "code", module } }));

    const dataUrl = `data:text/javascript,${encodeURIComponent(evilSource(join(l.markers, "data-url")))}`;
    const attempts: [string, string, RegExp][] = [
      ["data: URL", dataUrl, /a data: URL is not code the operator deployed/],
      ["absolute path outside", evil(l, "outside-abs"), /outside the module roots/],
      ["symlinked file", join(l.root, "link.mjs"), /symlink .*outside the module roots/],
      ["symlinked directory", join(l.root, "dirlink", "via-dir-link.mjs"), /symlink .*outside the module roots/],
      ["'..' out of a root", `${l.root}/../outside/dotdot.mjs`, /may not contain '\.\.'/],
      ["file: URL outside", pathToFileURL(evil(l, "file-url")).href, /outside the module roots/],
      ["node: builtin", "node:child_process", /a node: URL/],
      ["http: URL", "http://127.0.0.1:9/evil.mjs", /a http: URL/],
      ["relative path", "outside/relative.mjs", /must be absolute/],
    ];
    evil(l, "dotdot");
    evil(l, "relative");
    for (const [what, module, why] of attempts) {
      const r = await attempt(module);
      expect(r, what).toMatch(/^E_CAP_DENIED: module /);
      expect(r, what).toMatch(why);
    }
    // A supervisor whose second child names an outside module: nothing of the tree is created.
    const tree: AgentSpecInput = { name: "sup", kind: "supervisor", children: [{ name: "fine", kind: "code", logic: "spawner" }, { name: "bad", kind: "code", module: evil(l, "sup-child") }] };
    expect(await refusalOf(os.syscall(mallory, "AgentSpawn", { spec: tree }))).toMatch(/^E_CAP_DENIED: module .*outside the module roots/);
    // The spawn tool (what an LLM agent uses) goes through the same check.
    const viaTool = await refusalOf(os.syscall(mallory, "ToolCall", { tool: "agent.spawn", args: { spec: { name: "t", kind: "code", module: evil(l, "via-tool") } } }));
    expect(viaTool).toMatch(/^E_CAP_DENIED: .*outside the module roots/);
    // ctx.spawn from inside a running agent's receive.
    const inner = await os.spawn({ name: "inner", kind: "code", logic: "spawner", capabilities: ["agent#spawn"] });
    expect(await os.request(inner, { spec: { name: "c", kind: "code", module: dataUrl } })).toMatch(/^E_CAP_DENIED: module .*data: URL/);
    expect(await os.request(inner, { spec: { name: "c", kind: "code", module: join(l.root, "link.mjs") } })).toMatch(/^E_CAP_DENIED: module .*symlink/);

    expect(os.ps().map((a) => a.name).sort()).toEqual(["inner", "mallory"]);
    // Control: a module inside the root is loaded for the agent (the check is not "refuse everything").
    const okId = await os.syscall(mallory, "AgentSpawn", { spec: { name: "fine", kind: "code", module: join(l.root, "ok.mjs") } });
    expect(await os.request(okId.id, 1)).toEqual(["ok", 1]);
    await flushMicrotasks(5);
    await os.shutdown("test");

    expect(readdirSync(l.markers)).toEqual([]);
    const audit = deniedSpawns(dataDir, mallory);
    const spawns = audit.filter((d) => d.syscall === "AgentSpawn");
    expect(spawns.filter((d) => d.decision === "denied")).toHaveLength(attempts.length + 1);
    expect(spawns.filter((d) => d.decision === "denied").every((d) => /module/.test(d.reason ?? ""))).toBe(true);
    expect(audit.filter((d) => d.syscall === "ToolCall").map((d) => d.decision)).toEqual(["denied"]);
  });

  it("with no module roots configured, an agent names no module (not even in the working directory); the operator only inside it", async () => {
    const l = layout();
    const os: Aios = await boot({ clock: new SimulatedClock(), logger: silentLogger });
    const mallory = await os.spawn({ name: "mallory", kind: "code", logic: idle, capabilities: ["agent#spawn"] });
    const inCwd = join(process.cwd(), "examples/agents/worker.ts");
    expect(await refusalOf(os.syscall(mallory, "AgentSpawn", { spec: { name: "w", kind: "code", module: inCwd, export: "worker" } }))).toMatch(/^E_CAP_DENIED: module .*an agent may name no module: no module roots are configured/);
    // The operator: its working directory by default, never a URL or a file elsewhere.
    const w = await os.spawn({ name: "w", kind: "code", module: inCwd, export: "worker" });
    expect(os.status(w).status).toBe("running");
    expect(await refusalOf(os.spawn({ name: "x", kind: "code", module: evil(l, "operator-tmp") }))).toMatch(/^E_CAP_DENIED: module .*outside the module roots/);
    expect(await refusalOf(os.spawn({ name: "y", kind: "code", module: `data:text/javascript,${encodeURIComponent(evilSource(join(l.markers, "op-data")))}` }))).toMatch(/^E_CAP_DENIED: .*data: URL/);
    await os.shutdown("test");
    expect(readdirSync(l.markers)).toEqual([]);
  });

  it("the data directory's config file configures the roots (relative to the data directory)", async () => {
    const l = layout();
    const dataDir = join(l.base, "data");
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, "config.yaml"), "moduleRoots: [../root]\n");
    writeFileSync(join(l.root, "ok.mjs"), "export default { receive(s, m, ctx) { ctx.reply(m + 1); return s; } };\n");
    const os = await boot({ dataDir, clock: new SimulatedClock(), logger: silentLogger, subsystems: { embedder: false, memory: false } });
    const mallory = await os.spawn({ name: "mallory", kind: "code", logic: idle, capabilities: ["agent#spawn"] });
    const { id } = await os.syscall(mallory, "AgentSpawn", { spec: { name: "ok", kind: "code", module: join(l.root, "ok.mjs") } });
    expect(await os.request(id, 1)).toBe(2);
    expect(await refusalOf(os.syscall(mallory, "AgentSpawn", { spec: { name: "no", kind: "code", module: evil(l, "cfg") } }))).toMatch(/^E_CAP_DENIED: module .*outside the module roots/);
    await os.shutdown("test");
    expect(readdirSync(l.markers)).toEqual([]);
  });

  it("an upgrade, clone or specialize of an agent-created agent to a module outside the roots is refused", async () => {
    const l = layout();
    const os = await boot({ clock: new SimulatedClock(), logger: silentLogger, moduleRoots: [l.root] });
    const mallory = await os.spawn({ name: "mallory", kind: "code", logic: idle, capabilities: ["agent#spawn"] });
    writeFileSync(join(l.root, "v1.mjs"), "export default { receive(s) { return s; } };\n");
    const { id } = await os.syscall(mallory, "AgentSpawn", { spec: { name: "kid", kind: "code", module: join(l.root, "v1.mjs") } });
    expect(await refusalOf(os.upgrade(id, { spec: { version: "2", module: evil(l, "upgrade") } }))).toMatch(/^E_CAP_DENIED: module .*outside the module roots/);
    expect(os.status(id).version).toBe("1");
    // clone and specialize create under the agent: the same check, whoever calls them.
    expect(await refusalOf(os.clone(id, { name: "kid2", module: evil(l, "clone") }))).toMatch(/^E_CAP_DENIED: module .*outside the module roots/);
    expect(await refusalOf(os.specialize(id, { name: "kid3", module: `data:text/javascript,${encodeURIComponent(evilSource(join(l.markers, "spec-data")))}` }))).toMatch(/^E_CAP_DENIED: module .*data: URL/);
    // A clone inside the roots runs isolated, as its original does.
    const twin = await os.clone(id, { name: "twin" });
    expect(os.kernel.get(twin).spec.isolation).toBe("isolated");
    await os.shutdown("test");
    expect(readdirSync(l.markers)).toEqual([]);
  });
});

describe("recovery re-checks a journaled module against today's roots", () => {
  it("an agent-spawned durable child whose module left the roots does not come back; with the root back it does", async () => {
    const l = layout();
    const dataDir = join(l.base, "data");
    const other = join(l.base, "other");
    mkdirSync(other);
    // Spawned by an agent, the child runs isolated (ADR 0023): it counts, and its count is its checkpoint.
    writeFileSync(join(l.root, "durable.mjs"), "export default { init: () => ({ n: 0 }), receive(s, m, ctx) { ctx.reply(s.n + 1); return { n: s.n + 1 }; } };\n");
    const opts = { dataDir, durable: true, logger: silentLogger, subsystems: { embedder: false, memory: false }, logics: { idle } } as const;
    const os1 = await boot({ ...opts, moduleRoots: [l.root] });
    const mallory = await os1.spawn({ name: "mallory", kind: "code", logic: "idle", capabilities: ["agent#spawn"] });
    const { id } = await os1.syscall(mallory, "AgentSpawn", { spec: { name: "kid", kind: "code", module: join(l.root, "durable.mjs") } });
    expect(await os1.request(id, "tick")).toBe(1);
    await os1.shutdown("test");

    const os2 = await boot({ ...opts, moduleRoots: [other] });
    expect(os2.ps().map((a) => a.name)).toEqual(["mallory"]);
    expect(os2.kernel.find(id)).toBeUndefined();
    await os2.shutdown("test");

    // Control: the same journal with the root configured again brings the child back with its state.
    const os3 = await boot({ ...opts, moduleRoots: [l.root] });
    expect(os3.ps().map((a) => a.name).sort()).toEqual(["mallory", "mallory/kid"]); // named under its creator (ADR 0024)
    expect(os3.kernel.get(id).spec.isolation).toBe("isolated");
    expect(await os3.request(id, "tick")).toBe(2);
    await os3.shutdown("test");
  });
});
