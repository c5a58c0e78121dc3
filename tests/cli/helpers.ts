/**
 * Runs the real CLI as a child process (`node dist/cli/main.js ...` or `node --import tsx
 * src/cli/main.ts ...`, see CLI below), the way a user does, capturing stdout, stderr and the exit code (or in this process, `cliInProcess`); and starts a real `aios up` daemon, resolving
 * once it printed its listening line (no polling, no sleeps).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { afterAll, beforeAll } from "vitest";
import { chooseEntry } from "../../bin/entry.js";
import { runCli } from "../../src/cli/run-cli.js";

export const MAIN = "src/cli/main.ts";

/**
 * node's arguments that start the CLI, chosen by bin/entry.js's rule (what `aios` itself runs): the
 * build, dist/cli/main.js, when it is current (CI's npm ci builds it before the tests), else the
 * sources through tsx's loader, so a stale build is never what is tested. A child from dist/ skips
 * tsx's loader and the TypeScript transforms of the whole stack. AIOS_CLI=src|dist forces one.
 */
export const CLI: readonly string[] = ((): string[] => {
  const entry = chooseEntry(process.cwd(), process.env["AIOS_CLI"]);
  return entry.kind === "dist" ? [entry.path] : ["--import", "tsx", MAIN];
})();

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node <argv>` to its end, capturing both streams; `input`, when given, is written to its stdin. */
export function runNode(argv: readonly string[], env: NodeJS.ProcessEnv = {}, input?: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, argv, { env: { ...process.env, ...env }, stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    p.once("close", (code) => resolve({ code, stdout, stderr }));
    if (input !== undefined) p.stdin?.end(input);
  });
}

/** The CLI as a child process. */
export function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runNode([...CLI, ...args], env);
}

/**
 * The CLI in this process (bin/aios.js's code path through runCli, streams captured): for short
 * commands in files that would otherwise pay a child process's start-up per call.
 */
export async function cliInProcess(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      stdout += chunk.toString();
      cb();
    },
  });
  const err = new Writable({
    write(chunk: Buffer, _enc, cb) {
      stderr += chunk.toString();
      cb();
    },
  });
  const code = await runCli(["node", "aios", ...args], { out, err });
  return { code, stdout, stderr };
}

export interface Daemon {
  readonly proc: ChildProcess;
  readonly port: number;
  readonly pid: number;
  stderr(): string;
  /** Resolves with the exit code and signal once the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startDaemon(dataDir: string, extra: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Daemon> {
  return launchDaemon(dataDir, extra, env).listening;
}

/** A daemon being started: its stderr can be read before it listens (or exits without listening). */
export interface Launch {
  readonly proc: ChildProcess;
  stderr(): string;
  readonly exited: Daemon["exited"];
  /** Resolves once it printed its listening line; rejects when it exits before. */
  readonly listening: Promise<Daemon>;
}

export function launchDaemon(dataDir: string, extra: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Launch {
  const proc = spawn(process.execPath, [...CLI, "--data-dir", dataDir, "--json", "up", "--port", "0", ...extra], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  let err = "";
  proc.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const stderr = (): string => err;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once("exit", (code, signal) => r({ code, signal })));
  const listening = new Promise<Daemon>((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
    // The listening line; an error document printed instead (pretty JSON) is left to the exit.
    rl.on("line", (line) => {
      let j: { port?: unknown; pid?: unknown };
      try {
        j = JSON.parse(line) as typeof j;
      } catch {
        return;
      }
      if (typeof j.port === "number" && typeof j.pid === "number") resolve({ proc, port: j.port, pid: j.pid, stderr, exited });
    });
    void exited.then(({ code }) => reject(new Error(`aios up exited with ${code} before listening: ${err}`)));
  });
  listening.catch(() => undefined); // a launch stopped before it listened is not an unhandled rejection
  return { proc, stderr, exited, listening };
}

export interface DaemonFixture {
  /** The test file's temp directory (removed after the file). */
  readonly dir: string;
  /** The daemon's data dir, inside `dir`. */
  readonly data: string;
  readonly daemon: Daemon;
}

/**
 * One `aios up` daemon for the whole test file: a temp dir named `prefix`, the daemon started before
 * the first test on its `data` subdirectory, stopped (unless a test already ended it) and the dir
 * removed after the last. Read the fields inside tests, not at module load.
 */
export function useDaemon(prefix: string): DaemonFixture {
  let state: { dir: string; data: string; daemon: Daemon } | undefined;
  const get = (): { dir: string; data: string; daemon: Daemon } => {
    if (state === undefined) throw new Error("useDaemon: read the fixture inside a test, after beforeAll");
    return state;
  };
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    const data = join(dir, "data");
    state = { dir, data, daemon: await startDaemon(data) };
  }, 30_000);
  afterAll(async () => {
    if (state === undefined) return;
    const { daemon, dir } = state;
    if (daemon.proc.exitCode === null && daemon.proc.signalCode === null) {
      daemon.proc.kill("SIGTERM");
      await daemon.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return get().dir;
    },
    get data() {
      return get().data;
    },
    get daemon() {
      return get().daemon;
    },
  };
}
