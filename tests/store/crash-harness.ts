/**
 * The crash harness (issue #3): runs the kernel in a child process (fixtures/crash-child.ts, bundled
 * once with esbuild so each restart costs a Node start, not a TypeScript compile), kills it with
 * SIGKILL at random moments, verifies the journal after every kill, then drains and checks:
 * - no acknowledged message lost: every key in acks.log was handled by A and by B;
 * - no duplicated side effect: no (agent, key) pair appears twice in effects.log — a journaled
 *   result is replayed, an in-flight call without an idempotency key is E_EFFECT_UNKNOWN, never re-run —
 *   and every effect ran under its own idempotency key derived from (agent, call sequence) (#17.5);
 * - no message handled twice (issue #19.1): each key reaches each agent as ONE message — handling the
 *   same message again after a crash is allowed (its receive is replayed), a second copy with another
 *   message id (A's forward re-sent after a crash) is not;
 * - every agent at or after its pre-crash state: durable checkpoint counts never go down across
 *   kills, and each restart restored exactly the count the journal held;
 * - the journal verifies after every kill (recovery in "refuse" mode reports no loss).
 * Used by tests/store/crash.test.ts and scripts/soak-crash.ts.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { z } from "zod";
import { FileAckMark, Journal, SqliteDriver } from "../../src/store/index.js";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const ROOT = resolve(HERE, "../..");

export type CrashLane = "plain" | "keyed";

export interface CrashReport {
  readonly iterations: number;
  readonly seed: number;
  readonly acked: number;
  readonly effects: number;
  readonly effectUnknown: number;
  /** The lane: how A forwards to B (ctx.send, or SemanticSend with an explicit message id). */
  readonly lane: CrashLane;
  /** Durable checkpoint counts per agent after the last kill. */
  readonly checkpoints: Readonly<Record<string, number>>;
}

/** Bundles the child once; the bundle lives under node_modules so it resolves the same packages. */
export async function bundleChild(tag = "", fixture = "crash-child.ts"): Promise<string> {
  const out = join(ROOT, "node_modules", ".cache", "aios-crash", `child-${process.pid}${tag}.mjs`);
  await build({
    entryPoints: [join(HERE, "fixtures", fixture)],
    bundle: true, platform: "node", format: "esm", packages: "external", target: "node20", outfile: out, logLevel: "warning",
  });
  return out;
}

export interface NodeRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `node <argv>` (a bundled child, or `--import tsx` and a source file) to its end; with
 * `killOn`, SIGKILLs it as soon as its stdout holds that text (the kill -9 the crash tests make).
 */
export function runNode(argv: readonly string[], killOn?: string): Promise<NodeRun> {
  const p = spawn(process.execPath, [...argv], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  p.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
    if (killOn !== undefined && stdout.includes(killOn)) p.kill("SIGKILL");
  });
  p.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  return new Promise((resolve) => p.once("exit", (code, signal) => resolve({ code, signal, stdout, stderr })));
}

/** mulberry32: a tiny seeded PRNG, so a failing run can be replayed with its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Child {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }>;
  readonly ready: Promise<void>;
  kill(): void;
}

export function startChild(bundle: string, args: readonly string[]): Child {
  const p = spawn(process.execPath, [bundle, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (onReady = r));
  p.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
    if (stdout.includes("ready\n")) onReady();
  });
  p.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }>((r) =>
    p.once("exit", (code, signal) => r({ code, signal, stderr, stdout })),
  );
  return { exited, ready, kill: () => p.kill("SIGKILL") };
}

export const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter((l) => l.length > 0) : []);
const CheckpointSchema = z.object({ name: z.string(), count: z.number() });

/**
 * Starts `bundle` with `args`, SIGKILLs it `delayMs` after it first printed "ready", and resolves
 * with everything it printed (stdout is a pipe, written synchronously on Linux: a printed line
 * reached the parent before the kill).
 */
export function killAfterReady(bundle: string, args: readonly string[], delayMs: number): Promise<{ readonly lines: readonly string[]; readonly signal: NodeJS.Signals | null; readonly stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [bundle, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let stderr = "";
    let armed = false;
    p.stdout.setEncoding("utf8").on("data", (d: string) => {
      out += d;
      if (!armed && out.includes("ready\n")) {
        armed = true;
        setTimeout(() => p.kill("SIGKILL"), delayMs);
      }
    });
    p.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    p.once("error", reject);
    p.once("exit", (_code, signal) => resolve({ lines: out.split("\n"), signal, stderr }));
  });
}

/** Opens the journal of a dead child, verifies it, and returns each agent's durable count. */
async function durableCounts(dataDir: string): Promise<Record<string, number>> {
  const journal = await Journal.open(SqliteDriver.open(dataDir), { ack: new FileAckMark(join(dataDir, "journal.ack")) });
  try {
    const counts: Record<string, number> = {};
    for (const a of journal.state.agents.values()) {
      const cp = CheckpointSchema.safeParse(a.checkpoint);
      if (cp.success) counts[cp.data.name] = cp.data.count;
    }
    return counts;
  } finally {
    await journal.close();
  }
}

export async function runCrashHarness(options: { iterations: number; seed?: number; maxDelayMs?: number; lane?: CrashLane; log?: (s: string) => void }): Promise<CrashReport> {
  const seed = options.seed ?? Date.now() % 2 ** 31;
  const lane = options.lane ?? "plain";
  const rand = prng(seed);
  const log = options.log ?? (() => undefined);
  const bundle = await bundleChild(`-${lane}`);
  const root = mkdtempSync(join(tmpdir(), "aios-crash-"));
  const dataDir = join(root, "data");
  const work = join(root, "work");
  mkdirSync(work);
  const fail = (msg: string): never => {
    throw new Error(`crash harness (${lane} lane, seed ${seed}): ${msg}; files kept in ${root}`);
  };
  let ok = false;
  let last: Record<string, number> = {};
  try {
    for (let i = 0; i < options.iterations; i++) {
      const child = startChild(bundle, [dataDir, work, `r${i}`, "run", lane]);
      const early = child.exited.then((x) => fail(`child r${i} exited before it was killed (code ${x.code}): ${x.stderr.slice(0, 2000)}`));
      await Promise.race([child.ready, early]);
      // The crash moment: a random real-time point in the child's work (this wait IS the test input).
      const delay = Math.floor(rand() * (options.maxDelayMs ?? 150));
      await Promise.race([new Promise((r) => setTimeout(r, delay)), early]);
      early.catch(() => undefined);
      child.kill();
      const x = await child.exited;
      if (x.signal !== "SIGKILL") fail(`child r${i} ended with ${x.code ?? x.signal} instead of being killed: ${x.stderr.slice(0, 2000)}`);
      const counts = await durableCounts(dataDir);
      for (const [name, n] of Object.entries(last)) {
        if ((counts[name] ?? -1) < n) fail(`after kill ${i} agent ${name} went back from checkpoint ${n} to ${counts[name] ?? "nothing"}`);
      }
      const restored = lines(join(work, "restored.log")).filter((l) => l.startsWith(`r${i} `));
      for (const l of restored) {
        const [, name, n] = l.split(" ");
        if (name !== undefined && last[name] !== undefined && Number(n) !== last[name]) fail(`run r${i} restored ${name} at ${n}, the journal held ${last[name]}`);
      }
      last = counts;
      log(`kill ${i + 1}/${options.iterations} after ${delay} ms: checkpoints ${JSON.stringify(counts)}`);
    }

    const drain = startChild(bundle, [dataDir, work, "drain", "drain", lane]);
    const d = await drain.exited;
    if (d.code !== 0 || !d.stdout.includes("drained")) fail(`drain failed (${d.code ?? d.signal}): ${d.stderr.slice(0, 2000)}`);

    const acked = lines(join(work, "acks.log"));
    const handled = lines(join(work, "handled.log")).map((l) => l.split(" "));
    for (const agent of ["A", "B"]) {
      const seen = new Set(handled.filter((h) => h[0] === agent).map((h) => h[1]));
      const lost = acked.filter((k) => !seen.has(k));
      if (lost.length > 0) fail(`${lost.length} acknowledged message(s) never handled by ${agent}: ${lost.slice(0, 5).join(", ")}`);
    }
    // Copies: a key handled under more than one message id reached the agent twice.
    const ids = new Map<string, Set<string>>();
    for (const [agent, k, , id] of handled) {
      const key = `${agent} ${k}`;
      ids.set(key, (ids.get(key) ?? new Set()).add(id ?? ""));
    }
    const twice = [...ids].filter(([, s]) => s.size > 1);
    if (twice.length > 0) fail(`${twice.length} message(s) handled twice as different copies: ${twice.slice(0, 5).map(([k, s]) => `${k} (${[...s].join(", ")})`).join("; ")}`);
    const effects = lines(join(work, "effects.log"));
    // Per logical message (agent, key k): a copy under another message id would count too.
    const pairs = new Map<string, number>();
    const keys = new Set<string>();
    for (const e of effects) {
      const [agent, , k, key] = e.split(" ");
      const pair = `${agent} ${k}`;
      pairs.set(pair, (pairs.get(pair) ?? 0) + 1);
      // Issue #17.5: every effect runs under a key derived from (agent, call sequence), never one twice.
      if (key === undefined || !/^ag_[^:]+:\d+$/.test(key)) fail(`effect ${e} ran without a derived idempotency key`);
      if (keys.has(key as string)) fail(`idempotency key ${key} handed to two runs of an effect`);
      keys.add(key as string);
    }
    const dup = [...pairs].filter(([, n]) => n > 1);
    if (dup.length > 0) fail(`${dup.length} side effect(s) ran twice: ${dup.slice(0, 5).map(([k]) => k).join(", ")}`);
    ok = true;
    return {
      iterations: options.iterations, seed, lane, acked: acked.length, effects: effects.length,
      effectUnknown: handled.filter((h) => h[2] === "E_EFFECT_UNKNOWN").length, checkpoints: last,
    };
  } finally {
    rmSync(bundle, { force: true });
    // A failed run keeps its data directory and logs for a person to inspect.
    if (ok && process.env["AIOS_CRASH_KEEP"] === undefined) rmSync(root, { recursive: true, force: true });
  }
}
