/**
 * Defaults that work (issue #11.1), as a new user meets them: `boot()` with nothing is the whole OS in
 * a temporary data dir removed at shutdown; `boot({ dataDir })` journals agents unless a spec opts
 * out; an option boot would ignore is an error naming it; a failed boot gives its lock back; and the
 * shipped 512-token model answers `os.run` without E_CONTEXT_OVERFLOW.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { boot, isAiosError, type AgentLogic, type Aios, type AnySubsystem } from "../../src/index.js";
import { silentLogger } from "../../src/core/index.js";

const MODEL = join(import.meta.dirname, "../../../shared/models/stories260K.gguf");
const MODEL_SHA = "270cba1bd5109f42d03350f60406024560464db173c0e387d91f0426d3bd256d";
const modelOk = existsSync(MODEL) && createHash("sha256").update(readFileSync(MODEL)).digest("hex") === MODEL_SHA;

const dirs: string[] = [];
const open: Aios[] = [];
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), "aios-defaults-"));
  dirs.push(d);
  return d;
}
afterEach(async () => {
  for (const os of open.splice(0)) await os.shutdown().catch(() => undefined);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Counts what it is sent and answers requests with the count; its state is its checkpoint. */
const counter: AgentLogic<number, unknown> = {
  init: () => 0,
  receive: (n, _m, ctx) => {
    ctx.reply(n + 1);
    return n + 1;
  },
};

function configError(option: string): (e: unknown) => boolean {
  return (e) => isAiosError(e, "E_CONFIG") && (e as { details?: { option?: string } }).details?.option === option && (e as Error).message.includes(`"${option}"`);
}

describe("boot() with no options", () => {
  it("is the whole OS in a temporary data dir that shutdown removes", async () => {
    const os = await boot({ logger: silentLogger, subsystems: { embedder: false } });
    expect(os.temporary).toBe(true);
    const data = os.dataDir as string;
    expect(existsSync(join(data, "journal"))).toBe(true);
    for (const name of ["store", "security", "audit", "tools", "sched", "memory", "ipc", "planner", "observe"]) expect(os.subsystems[name]).toBeDefined();
    expect(os.tools.list().map((t) => t.name)).toContain("file.read");
    const { id } = await os.memory.store({ type: "semantic_fact", content: { subject: "sky", predicate: "is", object: "blue" } });
    expect((await os.memory.get(id))?.content).toEqual({ subject: "sky", predicate: "is", object: "blue" });
    // Nothing is journaled into a directory that will not outlive the process.
    expect(os.kernel.durableDefault).toBe(false);
    await os.shutdown();
    expect(existsSync(data)).toBe(false);
  });

  it("boot() literally with nothing works and cleans up", async () => {
    const os = await boot();
    const data = os.dataDir as string;
    const a = await os.spawn({ name: "c", kind: "code", logic: counter });
    expect(await os.request(a, "x", { timeoutMs: 5_000 })).toBe(1);
    await os.shutdown();
    expect(existsSync(data)).toBe(false);
  });
});

describe("boot({ dataDir }) is durable by default", () => {
  it("brings back an agent with its state after a restart; durable: false and ephemeral ones stay gone", async () => {
    const d = dir();
    const first = await boot({ dataDir: d, logger: silentLogger, logics: { counter }, subsystems: { embedder: false, memory: false } });
    const kept = await first.spawn({ name: "kept", kind: "code", logic: "counter" });
    const notDurable = await first.spawn({ name: "nd", kind: "code", logic: "counter", durable: false });
    const eph = await first.spawn({ name: "eph", kind: "code", logic: "counter", ephemeral: true });
    const inline = await first.spawn({ name: "inline", kind: "code", logic: counter });
    for (let i = 0; i < 3; i++) await first.request(kept, i, { timeoutMs: 5_000 });
    expect(first.status(kept).durable).toBe(true);
    expect(first.status(notDurable).durable).toBe(false);
    expect(first.status(eph).durable).toBe(false);
    // An in-process logic object is not in the journal: the default cannot bring it back, so it is not durable.
    expect(first.status(inline).durable).toBe(false);
    await first.shutdown();

    const second = await boot({ dataDir: d, logger: silentLogger, logics: { counter }, subsystems: { embedder: false, memory: false } });
    open.push(second);
    expect(second.ps().map((a) => a.name)).toEqual(["kept"]);
    expect(await second.request(kept, "again", { timeoutMs: 5_000 })).toBe(4);
  });

  it("durable: false at boot turns the default off", async () => {
    const os = await boot({ dataDir: dir(), durable: false, logger: silentLogger, logics: { counter }, subsystems: { embedder: false, memory: false } });
    open.push(os);
    const a = await os.spawn({ name: "a", kind: "code", logic: "counter" });
    expect(os.status(a).durable).toBe(false);
  });
});

describe("an option boot would ignore is an error naming it", () => {
  it("refuses unknown options", async () => {
    await expect(boot({ dataDri: "/tmp/x" } as never)).rejects.toSatisfy(configError("dataDri"));
    await expect(boot({ model: { x: {} } } as never)).rejects.toSatisfy(configError("model"));
  });

  it("refuses default-stack sections on a bare kernel and durability with nothing to journal", async () => {
    await expect(boot({ stack: "bare", models: { m: { provider: "replay", model: "m", turns: [] } } })).rejects.toSatisfy(configError("models"));
    await expect(boot({ stack: "bare", subsystems: { embedder: false } })).rejects.toSatisfy(configError("subsystems"));
    await expect(boot({ stack: "bare", durable: true })).rejects.toSatisfy(configError("durable"));
    await expect(boot({ durable: true })).rejects.toSatisfy(configError("durable"));
  });

  it("refuses options of the wrong type", async () => {
    await expect(boot({ stack: "tiny" } as never)).rejects.toSatisfy(configError("stack"));
    await expect(boot({ durable: "yes" } as never)).rejects.toSatisfy(configError("durable"));
    await expect(boot({ dataDir: "" })).rejects.toSatisfy(configError("dataDir"));
  });
});

describe("a failed boot gives back what it took", () => {
  it("releases the data-dir lock when a subsystem fails after the store is open", async () => {
    const d = dir();
    const failing: AnySubsystem = { name: "fails-at-start", needs: [], build: () => ({ service: undefined, start: () => { throw new Error("start refused"); } }) };
    for (let i = 0; i < 2; i++) {
      await expect(boot({ dataDir: d, logger: silentLogger, subsystems: { embedder: false, memory: false }, add: [failing] })).rejects.toThrow(/start refused/);
    }
    const os = await boot({ dataDir: d, logger: silentLogger, subsystems: { embedder: false, memory: false } });
    open.push(os);
    expect(os.ps()).toEqual([]);
  });

  it("removes its temporary data dir", async () => {
    // Its own TMPDIR, so other tests' temp dirs cannot be mistaken for a leftover.
    const own = dir();
    const saved = process.env["TMPDIR"];
    process.env["TMPDIR"] = own;
    try {
      await expect(boot({ models: { tiny: { provider: "local", model: "x", modelPath: "/missing.gguf" } }, subsystems: { embedder: false } })).rejects.toThrow(/model file not found/);
    } finally {
      if (saved === undefined) delete process.env["TMPDIR"];
      else process.env["TMPDIR"] = saved;
    }
    expect(readdirSync(own)).toEqual([]);
  });
});

describe("the shipped tiny model (512-token context)", () => {
  it.skipIf(!modelOk)("answers os.run without E_CONTEXT_OVERFLOW", async () => {
    const os = await boot({ logger: silentLogger, subsystems: { embedder: false }, models: { tiny: { provider: "local", model: "stories260K", modelPath: MODEL, threads: 1 } } });
    open.push(os);
    const out = await os.run({ name: "teller", kind: "llm", model: "tiny", capabilities: ["llm:tiny#invoke"] }, { goal: "Once upon a time there was a cat", timeoutMs: 60_000 });
    expect(out.text.length).toBeGreaterThan(0);
    expect(out.usage.completionTokens).toBeGreaterThan(0);
    // The answer's room is capped at a quarter of the window: 128 of 512 tokens.
    expect(out.usage.completionTokens).toBeLessThanOrEqual(128);
  }, 60_000);
});
