/**
 * Runs one command under bubblewrap and collects its result. Invariants:
 * - the wall-clock timeout (on the injected Clock) runs from the call, whether the sandbox was
 *   prepared earlier or is still being set up; it and the abort signal SIGKILL bwrap's process group
 *   (sandbox-process.ts), and --die-with-parent and the pid namespace take everything inside down;
 * - a sandbox that fails to start (bwrap missing, namespaces forbidden, a mount refused, a limit
 *   that cannot be set) is E_SANDBOX, never a command result: the command runs only after the
 *   launcher reported the sandbox set up and limited (sandbox-launcher.ts);
 * - with a PreparedSandboxes cache, a call without mounts takes a sandbox set up ahead of it and
 *   leaves a new one of its shape behind for the next call (prepared-sandboxes.ts); each sandbox
 *   runs one command. Calls with mounts, or with argv too long for the control socket, start a
 *   sandbox that names the command on bwrap's command line.
 */
import { existsSync } from "node:fs";
import { AiosError, type Clock } from "../core/index.js";
import { bwrapArgs, passedFds, preparedBwrapArgs, type BwrapPlan } from "./bwrap-args.js";
import { withSeccompFd } from "./seccomp-filter.js";
import type { PreparedSandboxes } from "./prepared-sandboxes.js";
import { argvScript, MAX_PREPARED_ARGV } from "./sandbox-launcher.js";
import { CONTROL_FD, SandboxProcess, STATUS_FD } from "./sandbox-process.js";

export interface SandboxRunOptions {
  readonly clock: Clock;
  readonly signal?: AbortSignal;
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  readonly stdin?: string;
  /** Host uid/gid bwrap runs as when we are root (default 65534, "nobody"). */
  readonly hostUid?: number;
  readonly bwrapPath?: string;
  /** Sandboxes set up ahead of calls; without it every call sets one up. */
  readonly prepared?: PreparedSandboxes;
  /**
   * Variables for this call's command (they may hold secrets): always sent over the control socket
   * in the launcher's script, never on bwrap's command line (readable by any local user in /proc).
   */
  readonly env?: Readonly<Record<string, string>>;
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

type Plan = Omit<BwrapPlan, "statusFd" | "controlFd">;

export function runSandboxed(plan: Plan, o: SandboxRunOptions): Promise<SandboxResult> {
  const bwrap = o.bwrapPath ?? DEFAULT_BWRAP;
  if (!existsSync(bwrap)) {
    return Promise.reject(new AiosError("E_SANDBOX", `bubblewrap not found at ${bwrap}; install it with scripts/ci-deps.sh`, { details: { bwrap } }));
  }
  const started = o.clock.monotonic();
  const hostUid = o.hostUid ?? 65534;
  const spawnArgs = (args: string[]): SandboxProcess =>
    withSeccompFd((seccomp) => new SandboxProcess({ bwrap, args, maxOutputBytes: o.maxOutputBytes, hostUid, passFds: passedFds(plan.mounts, seccomp) }));
  const shape = o.prepared !== undefined && plan.mounts.length === 0 ? shapeKey(plan, bwrap, hostUid, o.maxOutputBytes) : undefined;
  const prepare = (): SandboxProcess => spawnArgs(preparedBwrapArgs({ ...plan, controlFd: CONTROL_FD, statusFd: STATUS_FD }));
  const env = o.env ?? {};
  const withEnv = Object.keys(env).length > 0;
  let script: string | undefined;
  let sandbox: SandboxProcess;
  try {
    script = shape === undefined && !withEnv ? undefined : argvScript(plan.command, plan.args, env);
    if (script !== undefined && Buffer.byteLength(script) > MAX_PREPARED_ARGV) {
      if (withEnv) throw new AiosError("E_INVALID_ARG", `args and env: more than ${MAX_PREPARED_ARGV} bytes together (a call with env sends them over the control socket)`, { details: { path: "env" } });
      script = undefined;
    }
    if (shape !== undefined && script !== undefined) sandbox = o.prepared?.take(shape) ?? prepare();
    // With mounts and env: a sandbox of this call's own shape that waits for its script.
    else if (script !== undefined) sandbox = prepare();
    else sandbox = spawnArgs(bwrapArgs({ ...plan, controlFd: CONTROL_FD, statusFd: STATUS_FD }));
  } catch (e) {
    return Promise.reject(e instanceof AiosError ? e : new AiosError("E_INVALID_ARG", e instanceof Error ? e.message : String(e), { cause: e }));
  }

  return new Promise<SandboxResult>((resolve, reject) => {
    let timedOut = false;
    let aborted = false;
    let settled = false;
    const timer = o.clock.setTimeout(() => {
      timedOut = true;
      sandbox.killGroup();
    }, o.timeoutMs);
    const onAbort = (): void => {
      aborted = true;
      sandbox.killGroup();
    };
    o.signal?.addEventListener("abort", onAbort, { once: true });
    if (o.signal?.aborted === true) onAbort();

    void sandbox.ready.then((ok) => {
      if (ok && !settled && !timedOut && !aborted) sandbox.start(script, o.stdin ?? "");
      // The next call of this shape finds its sandbox set up (or on the way); not after a failure.
      if (ok && shape !== undefined && o.prepared?.has(shape) === false) o.prepared.put(shape, prepare(), o.clock);
    });
    void Promise.all([sandbox.ready, sandbox.exited]).then(([ok, exit]) => {
      settled = true;
      o.clock.clearTimeout(timer);
      o.signal?.removeEventListener("abort", onAbort);
      const stderr = sandbox.stderr.text();
      if (exit.spawnError !== undefined) {
        reject(new AiosError("E_SANDBOX", `cannot start bubblewrap: ${exit.spawnError.message}`, { cause: exit.spawnError }));
      } else if (!ok && !timedOut && !aborted) {
        reject(new AiosError("E_SANDBOX", `the sandbox failed to start: ${stderr.trim() || `bwrap exited with ${exit.code ?? exit.signal}`}`, {
          details: { exitCode: exit.code, stderr: stderr.slice(0, 1000) },
        }));
      } else {
        resolve({
          exitCode: exit.code,
          signal: exit.signal,
          stdout: sandbox.stdout.text(),
          stderr,
          stdoutTruncated: sandbox.stdout.truncated(),
          stderrTruncated: sandbox.stderr.truncated(),
          timedOut,
          durationMs: o.clock.monotonic() - started,
        });
      }
    });
  });
}

/** Everything that makes two sandboxes interchangeable before their command is known. */
function shapeKey(plan: Plan, bwrap: string, hostUid: number, maxOutputBytes: number): string {
  return JSON.stringify([bwrap, hostUid, maxOutputBytes, plan.network, plan.uid, plan.workDir, plan.limits, plan.env ?? {}]);
}
