/**
 * Runs the real CLI as a child process (`node --import tsx src/cli/main.ts ...`), the way a user
 * does, capturing stdout, stderr and the exit code; and starts a real `aios up` daemon, resolving
 * once it printed its listening line (no polling, no sleeps).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

export const MAIN = "src/cli/main.ts";

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ["--import", "tsx", MAIN, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

export interface Daemon {
  readonly proc: ChildProcess;
  readonly port: number;
  readonly pid: number;
  stderr(): string;
  /** Resolves with the exit code and signal once the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startDaemon(dataDir: string, extra: readonly string[] = []): Promise<Daemon> {
  const proc = spawn(process.execPath, ["--import", "tsx", MAIN, "--data-dir", dataDir, "--json", "up", "--port", "0", ...extra], { stdio: ["ignore", "pipe", "pipe"] });
  let err = "";
  proc.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => proc.once("exit", (code, signal) => r({ code, signal })));
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
    rl.once("line", (line) => {
      const j = JSON.parse(line) as { port: number; pid: number };
      resolve({ proc, port: j.port, pid: j.pid, stderr: () => err, exited });
    });
    void exited.then(({ code }) => reject(new Error(`aios up exited with ${code} before listening: ${err}`)));
  });
}
