/**
 * The bubblewrap command line for one sandboxed command, as a pure function (so it is testable and
 * reviewable in one place). The sandbox: a new user namespace with a non-zero uid and no
 * capabilities, new pid/ipc/uts/cgroup (and, unless granted, net) namespaces, a new session (no
 * TIOCSTI into the caller's terminal), cleared environment, the system directories read-only, a
 * tmpfs work dir and /tmp, a private /proc and minimal /dev, and only the granted paths bound.
 * rlimits are applied inside, just before the command runs, by the launcher (sandbox-launcher.ts);
 * the command runs under a seccomp filter (seccomp-filter.ts).
 * `bwrapArgs` names the command; `preparedBwrapArgs` starts a sandbox whose command comes later.
 */
import { lstatSync, readlinkSync } from "node:fs";
import { directLauncher, preparedLauncher } from "./sandbox-launcher.js";
import { SECCOMP_SUPPORTED } from "./seccomp-filter.js";
import type { SandboxLimits } from "./sandbox-limits.js";

export type { SandboxLimits } from "./sandbox-limits.js";

export interface SandboxMount {
  readonly path: string;
  readonly write: boolean;
  /**
   * An open descriptor (in this process) of what to bind at `path`. bwrap binds the object the
   * descriptor holds (--bind-fd), so a path swapped after it was checked cannot redirect the mount;
   * without it bwrap resolves `path` by name itself (only for paths no agent can write).
   */
  readonly fd?: number;
}

/** The sandbox's view of the i-th mount's descriptor: bwrap's fds from 5 up (0-2 stdio, 3 control, 4 status). */
export const MOUNT_FD_BASE = 5;

/** Everything about a sandbox except the command it runs. */
export interface SandboxShape {
  readonly mounts: readonly SandboxMount[];
  readonly network: boolean;
  readonly limits: SandboxLimits;
  /** The uid (and gid) the command sees inside the sandbox; never 0. */
  readonly uid: number;
  readonly workDir: string;
  readonly statusFd?: number;
  /** A socket the launcher writes "R" to once the sandbox is set up and limited. */
  readonly controlFd?: number;
  /** Variables set on top of PATH, HOME and LANG (the environment is cleared otherwise). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface BwrapPlan extends SandboxShape {
  readonly command: string;
  readonly args: readonly string[];
}

export const SANDBOX_PATH = "/usr/local/bin:/usr/bin:/bin";
const SYSTEM_DIRS = ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];
// Each bind costs bwrap a mount, a re-read of mountinfo and a remount, so only what programs read at
// run time: the loader's cache (ld.so.conf* only matter to ldconfig), the alternatives the /usr/bin
// symlinks point into (awk, editor, ...), the time zone. nsswitch.conf only matters for name lookups
// (there is no passwd or group inside), i.e. with network.
const ETC_MINIMAL = ["/etc/ld.so.cache", "/etc/alternatives", "/etc/localtime"];
const ETC_NETWORK = ["/etc/resolv.conf", "/etc/hosts", "/etc/nsswitch.conf", "/etc/ssl", "/etc/ca-certificates", "/etc/gai.conf"];

/** The descriptors to hand bwrap, in the order `bwrapArgs` numbers them from MOUNT_FD_BASE. */
export function mountFds(mounts: readonly SandboxMount[]): number[] {
  return mounts.flatMap((m) => (m.fd === undefined ? [] : [m.fd]));
}

/** Every descriptor bwrap gets from MOUNT_FD_BASE up: the mounts', then the seccomp program's. */
export function passedFds(mounts: readonly SandboxMount[], seccompFd: number | undefined): number[] {
  return [...mountFds(mounts), ...(seccompFd === undefined ? [] : [seccompFd])];
}

export function bwrapArgs(plan: BwrapPlan): string[] {
  return [...sandboxArgs(plan), "--", ...directLauncher(plan.limits, plan.controlFd), plan.command, ...plan.args];
}

/** A sandbox that waits on `controlFd` for its command (an `argvScript`). */
export function preparedBwrapArgs(shape: SandboxShape & { readonly controlFd: number }): string[] {
  return [...sandboxArgs(shape), "--", ...preparedLauncher(shape.limits, shape.controlFd)];
}

function sandboxArgs(plan: SandboxShape): string[] {
  if (plan.uid === 0) throw new Error("sandbox uid must be non-zero");
  const a: string[] = [
    // --disable-userns: no nested user namespace inside (a second one would hand the command a
    // full capability set over its own namespaces, the usual first step of a kernel exploit).
    "--unshare-user", "--disable-userns", "--uid", String(plan.uid), "--gid", String(plan.uid),
    "--cap-drop", "ALL",
    "--new-session", "--die-with-parent", "--clearenv",
    "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
    ...(plan.network ? [] : ["--unshare-net"]),
    "--hostname", "sandbox",
    "--ro-bind", "/usr", "/usr",
  ];
  for (const dir of SYSTEM_DIRS) a.push(...systemDir(dir));
  for (const f of ETC_MINIMAL) a.push("--ro-bind-try", f, f);
  if (plan.network) for (const f of ETC_NETWORK) a.push("--ro-bind-try", f, f);
  const size = plan.limits.tmpfsBytes === undefined ? [] : ["--size", String(plan.limits.tmpfsBytes)];
  a.push("--proc", "/proc", "--dev", "/dev", ...size, "--tmpfs", "/tmp", ...size, "--tmpfs", plan.workDir);
  let passed = 0; // the k-th mount with a descriptor is bwrap's fd MOUNT_FD_BASE + k (mountFds' order)
  for (const m of plan.mounts) {
    if (m.fd === undefined) a.push(m.write ? "--bind" : "--ro-bind", m.path, m.path);
    else a.push(m.write ? "--bind-fd" : "--ro-bind-fd", String(MOUNT_FD_BASE + passed++), m.path);
  }
  a.push(
    "--chdir", plan.workDir,
    "--setenv", "PATH", SANDBOX_PATH,
    "--setenv", "HOME", plan.workDir,
    "--setenv", "LANG", "C.UTF-8",
    ...Object.entries(plan.env ?? {}).flatMap(([k, v]) => ["--setenv", k, v]),
    ...(plan.statusFd === undefined ? [] : ["--json-status-fd", String(plan.statusFd)]),
    // The seccomp program is the descriptor after the mounts' (the spawner passes it last, fresh
    // for each sandbox: seccomp-filter.ts). A spawner that forgets it makes bwrap fail: closed.
    ...(SECCOMP_SUPPORTED ? ["--seccomp", String(MOUNT_FD_BASE + passed)] : []),
  );
  return a;
}

/** Debian 12 has merged /usr: /bin is a symlink to usr/bin, so it is recreated as a symlink. */
function systemDir(dir: string): string[] {
  try {
    const st = lstatSync(dir);
    if (st.isSymbolicLink()) return ["--symlink", readlinkSync(dir), dir];
    if (st.isDirectory()) return ["--ro-bind", dir, dir];
  } catch {
    // absent on this host: nothing to bind
  }
  return [];
}
