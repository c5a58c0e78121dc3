/**
 * Runs one command under bubblewrap and collects its result. Invariants:
 * - the wall-clock timeout (on the injected Clock) and the abort signal SIGKILL bwrap's whole process
 *   group; --die-with-parent and the pid namespace take everything inside down with it;
 * - stdout and stderr are each capped at `maxOutputBytes` (the rest is drained and dropped, so a
 *   chatty command can neither block on a full pipe nor fill our memory);
 * - when this process is root, bwrap itself runs as an unprivileged host uid (65534 by default):
 *   Linux exempts the root user from RLIMIT_NPROC, so a fork bomb is only bounded if the sandbox's
 *   host uid is not 0. Granted paths must therefore be accessible to that uid;
 * - a sandbox that fails to start (bwrap missing, namespaces forbidden) is E_SANDBOX, never a
 *   command result: bwrap reports the child's pid on --json-status-fd only once setup succeeded.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import type { Readable } from "node:stream";
import { AiosError, type Clock } from "../core/index.js";
import { bwrapArgs, type BwrapPlan } from "./bwrap-args.js";

export interface SandboxRunOptions {
  readonly clock: Clock;
  readonly signal?: AbortSignal;
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  readonly stdin?: string;
  /** Host uid/gid bwrap runs as when we are root (default 65534, "nobody"). */
  readonly hostUid?: number;
  readonly bwrapPath?: string;
}

export interface SandboxResult {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutTruncated: boolean;
  readonly stderrTruncated: boolean;
  readonly timedOut: boolean;
  readonly durationMs: number;
}

export const DEFAULT_BWRAP = "/usr/bin/bwrap";

export function runSandboxed(plan: Omit<BwrapPlan, "statusFd">, o: SandboxRunOptions): Promise<SandboxResult> {
  const bwrap = o.bwrapPath ?? DEFAULT_BWRAP;
  if (!existsSync(bwrap)) {
    return Promise.reject(new AiosError("E_SANDBOX", `bubblewrap not found at ${bwrap}; install it with scripts/ci-deps.sh`, { details: { bwrap } }));
  }
  const asRoot = process.getuid?.() === 0;
  const hostUid = o.hostUid ?? 65534;
  const started = o.clock.monotonic();
  return new Promise<SandboxResult>((resolve, reject) => {
    const child = spawn(bwrap, bwrapArgs({ ...plan, statusFd: 3 }), {
      stdio: ["pipe", "pipe", "pipe", "pipe"],
      detached: true, // its own process group, so the timeout can kill the group
      env: {},
      ...(asRoot ? { uid: hostUid, gid: hostUid } : {}),
    });
    const out = capture(child.stdout, o.maxOutputBytes);
    const err = capture(child.stderr, o.maxOutputBytes);
    const status = capture(child.stdio[3] as Readable, 4096);
    let timedOut = false;
    let settled = false;
    const killGroup = (): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    };
    const timer = o.clock.setTimeout(() => {
      timedOut = true;
      killGroup();
    }, o.timeoutMs);
    const onAbort = (): void => killGroup();
    o.signal?.addEventListener("abort", onAbort, { once: true });
    const finish = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      o.clock.clearTimeout(timer);
      o.signal?.removeEventListener("abort", onAbort);
      fn();
    };
    child.on("error", (e) => finish(() => reject(new AiosError("E_SANDBOX", `cannot start bubblewrap: ${e.message}`, { cause: e }))));
    child.stdin.on("error", () => undefined); // the command may exit without reading its input
    child.stdin.end(o.stdin ?? "");
    child.on("close", (code, sig) => {
      finish(() => {
        const started_ok = status.text().includes("child-pid");
        if (!started_ok && !timedOut) {
          reject(new AiosError("E_SANDBOX", `the sandbox failed to start: ${err.text().trim() || `bwrap exited with ${code ?? sig}`}`, {
            details: { exitCode: code, stderr: err.text().slice(0, 1000) },
          }));
          return;
        }
        resolve({
          exitCode: code,
          signal: sig,
          stdout: out.text(),
          stderr: err.text(),
          stdoutTruncated: out.truncated(),
          stderrTruncated: err.truncated(),
          timedOut,
          durationMs: o.clock.monotonic() - started,
        });
      });
    });
    if (o.signal?.aborted === true) killGroup();
  });
}

function capture(stream: Readable, cap: number): { text(): string; truncated(): boolean } {
  const chunks: Buffer[] = [];
  let size = 0;
  let dropped = false;
  stream.on("data", (b: Buffer) => {
    if (size >= cap) {
      dropped = true;
      return;
    }
    const keep = b.length <= cap - size ? b : b.subarray(0, cap - size);
    if (keep.length < b.length) dropped = true;
    chunks.push(keep);
    size += keep.length;
  });
  stream.on("error", () => undefined);
  return { text: () => Buffer.concat(chunks).toString("utf8"), truncated: () => dropped };
}
