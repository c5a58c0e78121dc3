/**
 * The first program inside a shell sandbox: a constant dash script that applies the rlimits with
 * `ulimit`, says "R" on the control socket (the sandbox is set up and limited), then runs the
 * command. dash links only libc, so this costs a third of util-linux `prlimit` (libsmartcols and
 * locale loading: ~6 ms against ~1.5 ms per exec on the loaded 2-cpu host, hyperfine).
 *
 * Two ways the command arrives, and in neither is it parsed as shell syntax written by anyone else:
 * - direct: as positional parameters on bwrap's command line, `exec "$@"`;
 * - prepared: the sandbox is started before the command is known and blocks reading the control
 *   socket; the command then comes as `exec 'arg' 'arg' ...`, every argument single-quoted by
 *   `argvScript` (a quote is written '\''), preceded by its line count, and is `eval`ed once. NUL
 *   cannot be represented and is refused. dash reads a socket a byte per syscall, so prepared
 *   sandboxes take argv up to MAX_PREPARED_ARGV bytes; longer ones start a direct sandbox.
 * `set -e`: a ulimit that fails (a limit above what this process may set) ends the script before
 * "R", so the sandbox reports failing to start instead of running the command unlimited.
 */
import { AiosError } from "../core/index.js";
import type { SandboxLimits } from "./sandbox-limits.js";

/** Debian's /bin/sh (dash is essential, so always installed). */
export const LIMIT_SHELL = "/usr/bin/dash";
/** The longest argv script sent to a prepared sandbox, bytes. */
export const MAX_PREPARED_ARGV = 4096;

/**
 * `ulimit` in dash sets soft and hard limit together (the command cannot raise them again); -f
 * counts 512-byte blocks (rounded down, never above the byte limit) and -p is RLIMIT_NPROC.
 */
export function ulimitScript(l: SandboxLimits): string {
  const n = (v: number, field: string): string => {
    if (!Number.isSafeInteger(v) || v < 0) throw new AiosError("E_INVALID_ARG", `limits.${field} must be a non-negative integer`, { details: { path: `limits.${field}` } });
    return String(v);
  };
  return [
    "set -e",
    `ulimit -t ${n(l.cpuSeconds, "cpuSeconds")}`,
    `ulimit -p ${n(l.processes, "processes")}`,
    `ulimit -f ${n(Math.floor(l.fileSizeBytes / 512), "fileSizeBytes")}`,
    `ulimit -n ${n(l.openFiles, "openFiles")}`,
    // -v counts KiB (rounded down, never above the byte limit): RLIMIT_AS.
    ...(l.memoryBytes === undefined ? [] : [`ulimit -v ${n(Math.floor(l.memoryBytes / 1024), "memoryBytes")}`]),
    "unset PWD", // dash exports PWD; the command gets only the environment set with --setenv
  ].join("; ");
}

/** Runs `"$@"` (the command follows on bwrap's command line); readiness on `controlFd` if given. */
export function directLauncher(l: SandboxLimits, controlFd?: number): string[] {
  const ready = controlFd === undefined ? "" : `printf R >&${fd(controlFd)}; exec ${fd(controlFd)}>&-; `;
  return [LIMIT_SHELL, "-c", `${ulimitScript(l)}; ${ready}exec "$@"`, "sh"];
}

/** Waits on `controlFd` for an `argvScript` and runs it; exits 125 if the socket closes first. */
export function preparedLauncher(l: SandboxLimits, controlFd: number): string[] {
  const c = fd(controlFd);
  const script = [
    ulimitScript(l),
    `printf R >&${c}`,
    `IFS= read -r n <&${c} || exit 125`,
    "s=",
    `while [ "$n" -gt 0 ]; do IFS= read -r l <&${c} || exit 125; s="$s$l\n"; n=$((n-1)); done`,
    `exec ${c}>&-`,
    'eval "$s"',
  ].join("; ");
  return [LIMIT_SHELL, "-c", script, "sh"];
}

/** A shell variable name a call may set (never the launcher's own PATH, HOME, LANG, IFS or LD_*). */
export const ENV_NAME = /^(?!(?:PATH|HOME|LANG|IFS|PS4|ENV|LD_[A-Z0-9_]*)$)[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * The message a prepared launcher reads: line count, then `export NAME='value'` for each call
 * variable and `exec 'command' 'arg' ...`. Variables travel this way, over the control socket, and
 * never on bwrap's command line, which any local user can read in /proc (they may be secrets).
 */
export function argvScript(command: string, args: readonly string[], env: Readonly<Record<string, string>> = {}): string {
  const quote = (w: string, path: string): string => {
    if (w.includes("\u0000")) throw new AiosError("E_INVALID_ARG", `${path} contains a NUL byte`, { details: { path } });
    return `'${w.replaceAll("'", "'\\''")}'`;
  };
  const words = [command, ...args].map((w, i) => quote(w, i === 0 ? "command" : `args.${i - 1}`));
  const exports = Object.entries(env).map(([k, v]) => {
    if (!ENV_NAME.test(k)) throw new AiosError("E_INVALID_ARG", `env.${k}: not a variable name a call may set`, { details: { path: `env.${k}` } });
    return `export ${k}=${quote(v, `env.${k}`)}; `;
  });
  const body = `${exports.join("")}exec ${words.join(" ")}`;
  return `${body.split("\n").length}\n${body}\n`;
}

function fd(n: number): string {
  if (!Number.isInteger(n) || n < 3 || n > 9) throw new Error("control fd must be 3..9 (dash redirections take one digit)");
  return String(n);
}
