/**
 * One bubblewrap process and its pipes. Invariants:
 * - it runs in its own process group (detached), so `killGroup` takes bwrap down with SIGKILL;
 *   --die-with-parent and the pid namespace take everything inside down with it, and closing the
 *   control socket stops a sandbox that was still being set up (see killGroup);
 * - stdout and stderr are each captured up to `maxOutputBytes` from the start (the rest is drained
 *   and dropped, so a chatty command can neither block on a full pipe nor fill our memory);
 * - `ready` resolves true once the launcher said "R" on the control socket (fd 3: the sandbox is
 *   set up and its rlimits applied), false if bwrap ended or failed to spawn before that;
 * - when this process is root, bwrap itself runs as an unprivileged host uid: Linux exempts the root
 *   user from RLIMIT_NPROC, so a fork bomb is only bounded if the sandbox's host uid is not 0;
 * - while `idle` it holds no reference on the event loop: a prepared sandbox nobody claims never
 *   keeps the daemon alive, and dies with it (--die-with-parent);
 * - no descriptor of ours reaches the sandbox but its pipes and the mount sources: Node opens its
 *   own with close-on-exec, but descriptors this process inherited without it (from whoever
 *   started the daemon) would pass through bwrap into the command, which could read them through
 *   /proc/self/fd/N. Each is overwritten with /dev/null in bwrap's copy (inheritedFds).
 */
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { openSync, readdirSync, readFileSync } from "node:fs";
import { Socket } from "node:net";
import type { Readable } from "node:stream";

export const CONTROL_FD = 3;
/** bwrap's --json-status-fd: it names the sandbox's init (host pid) right after clone. */
export const STATUS_FD = 4;

export interface SandboxSpawn {
  readonly bwrap: string;
  readonly args: readonly string[];
  readonly maxOutputBytes: number;
  /** Host uid/gid bwrap runs as when this process is root. */
  readonly hostUid: number;
  /** Descriptors handed to bwrap as its fds MOUNT_FD_BASE, MOUNT_FD_BASE+1, ... (bind sources). */
  readonly passFds?: readonly number[];
}

export interface SandboxExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The spawn itself failed (ENOENT, EACCES): no sandbox ever ran. */
  readonly spawnError?: Error;
}

export interface Capture {
  text(): string;
  truncated(): boolean;
}

export class SandboxProcess {
  readonly ready: Promise<boolean>;
  readonly exited: Promise<SandboxExit>;
  readonly stdout: Capture;
  readonly stderr: Capture;
  private readonly child: ChildProcess;
  private readonly control: Socket | undefined;
  /** Host pid of the sandbox's pid-namespace init, once bwrap has reported it. */
  private initPid: number | undefined;
  private killed = false;

  constructor(s: SandboxSpawn) {
    const asRoot = process.getuid?.() === 0;
    this.child = spawn(s.bwrap, s.args, {
      stdio: stdioFor(s.passFds ?? []),
      detached: true, // its own process group, so the timeout can kill the group
      env: {},
      ...(asRoot ? { uid: s.hostUid, gid: s.hostUid } : {}),
    });
    const control = this.child.stdio[CONTROL_FD];
    this.control = control instanceof Socket ? control : undefined;
    this.control?.on("error", () => undefined);
    this.child.stdin?.on("error", () => undefined); // the command may exit without reading its input
    const status = this.child.stdio[STATUS_FD];
    if (status instanceof Socket) {
      let text = "";
      status.on("error", () => undefined);
      status.on("data", (b: Buffer) => {
        if (this.initPid !== undefined || text.length > 4096) return;
        text += b.toString("utf8");
        const m = /"child-pid"\s*:\s*(\d+)/.exec(text);
        if (m === null) return;
        this.initPid = Number(m[1]);
        if (this.killed) this.killInit();
      });
    }
    this.stdout = capture(this.child.stdout, s.maxOutputBytes);
    this.stderr = capture(this.child.stderr, s.maxOutputBytes);
    // "close" (not "exit"): the pipes have drained too, so the captures are complete.
    this.exited = new Promise((resolve) => {
      this.child.on("error", (e) => resolve({ code: null, signal: null, spawnError: e }));
      this.child.on("close", (code, signal) => resolve({ code, signal }));
    });
    this.ready = new Promise((resolve) => {
      if (this.control === undefined) return resolve(false);
      this.control.once("data", (b: Buffer) => resolve(b.includes(0x52)));
      this.control.once("close", () => resolve(false));
      void this.exited.then(() => resolve(false));
    });
  }

  /** Sends the command (an argvScript) to a prepared launcher, then stdin, then EOF on stdin. */
  start(argvScript: string | undefined, stdin: string): void {
    if (argvScript !== undefined) this.control?.end(argvScript);
    else this.control?.end();
    this.child.stdin?.end(stdin);
  }

  get hasExited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  killGroup(): void {
    if (this.child.pid !== undefined) {
      try {
        process.kill(-this.child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    // bwrap's sandbox child leaves our process group (setsid) a moment before it sets its
    // parent-death signal, so one killed in between would live on as an orphan. Two locks: SIGKILL
    // to the pid namespace's init ends everything in the namespace; and without our end of the
    // control socket the launcher cannot pass its "R" (EPIPE, set -e), so no command starts.
    this.killed = true;
    this.killInit();
    this.control?.destroy();
    this.child.stdin?.destroy();
  }

  private killInit(): void {
    // Only while bwrap, the init's parent, has not been seen to exit: until bwrap exits nobody
    // else can reap the init, so its pid is not free for reuse (after that, reuse would need the
    // pid space to wrap within the moment before node notices).
    if (this.initPid === undefined || this.hasExited) return;
    try {
      process.kill(this.initPid, "SIGKILL");
    } catch {
      // already gone
    }
  }

  /** Idle (prepared, unclaimed): hold no reference on the event loop. */
  idle(): void {
    this.child.unref();
    for (const s of this.child.stdio) if (s instanceof Socket) s.unref();
  }

  claim(): void {
    this.child.ref();
    for (const s of this.child.stdio) if (s instanceof Socket) s.ref();
  }
}

/**
 * bwrap's descriptors: 0-4 pipes (libuv makes them socketpairs: fd 3 is two-way), the mount sources
 * from MOUNT_FD_BASE, and /dev/null over every inherited descriptor without close-on-exec.
 */
function stdioFor(passFds: readonly number[]): StdioOptions {
  return bwrapStdio(["pipe", "pipe", "pipe", "pipe", "pipe", ...passFds]);
}

/** `own` (bwrap's slots from 0) with /dev/null over every inherited descriptor above them. */
export function bwrapStdio(own: readonly (number | "pipe" | "ignore")[]): StdioOptions {
  const leaks = inheritedFds().filter((fd) => fd >= own.length);
  if (leaks.length === 0) return [...own];
  const stdio: (number | "pipe" | "ignore")[] = [...own];
  const nul = devNull();
  for (const fd of leaks) {
    while (stdio.length <= fd) stdio.push("ignore"); // "ignore" above 2 leaves a descriptor as it is
    stdio[fd] = nul;
  }
  return stdio;
}

const O_CLOEXEC = 0o2000000;

/** Descriptors of this process without close-on-exec (Linux /proc/self/fdinfo; none elsewhere). */
export function inheritedFds(): number[] {
  let names: string[];
  try {
    names = readdirSync("/proc/self/fd");
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const name of names) {
    const fd = Number(name);
    if (fd <= 2) continue;
    try {
      const m = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, "utf8"));
      if (m?.[1] !== undefined && (parseInt(m[1], 8) & O_CLOEXEC) === 0) out.push(fd);
    } catch {
      // closed meanwhile (the directory's own descriptor among them)
    }
  }
  return out;
}

let nullFd: number | undefined;
function devNull(): number {
  nullFd ??= openSync("/dev/null", "r"); // opened close-on-exec by Node; kept for the process's life
  return nullFd;
}

function capture(stream: Readable | null, cap: number): Capture {
  const chunks: Buffer[] = [];
  let size = 0;
  let dropped = false;
  stream?.on("data", (b: Buffer) => {
    if (size >= cap) {
      dropped = true;
      return;
    }
    const keep = b.length <= cap - size ? b : b.subarray(0, cap - size);
    if (keep.length < b.length) dropped = true;
    chunks.push(keep);
    size += keep.length;
  });
  stream?.on("error", () => undefined);
  return { text: () => Buffer.concat(chunks).toString("utf8"), truncated: () => dropped };
}
