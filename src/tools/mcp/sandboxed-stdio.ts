/**
 * An MCP stdio transport whose server runs inside the same bubblewrap sandbox as shell.execute
 * (bwrap-args.ts): a user namespace with a non-zero uid and no capabilities, new pid/ipc/uts/net
 * namespaces (net kept only when the entry grants `network`), a new session, --die-with-parent, a
 * cleared environment, /usr read-only, and only the entry's mounts bound. When this process is root,
 * bwrap itself runs as an unprivileged host uid (as sandbox-process.ts does), so RLIMIT_NPROC binds
 * and nothing the server writes is owned by root. The SDK's StdioClientTransport cannot set a uid or
 * kill a process group, hence this small Transport (start/send/close/onmessage/onerror/onclose) over
 * the SDK's own line framing.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, openSync } from "node:fs";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { AiosError } from "../../core/index.js";
import { bwrapArgs, MOUNT_FD_BASE, type SandboxLimits } from "../bwrap-args.js";
import { bwrapStdio } from "../sandbox-process.js";
import { openSeccompFd, SECCOMP_SUPPORTED } from "../seccomp-filter.js";
import { mcpSdk, type McpSdk } from "./sdk.js";

/** A bind: `source` (a canonical host path, opened at each start and bound by descriptor) at `path`. */
export interface ServerMount {
  readonly source: string;
  readonly path: string;
  readonly write: boolean;
}

export interface SandboxedServer {
  readonly command: string;
  readonly args: readonly string[];
  readonly mounts: readonly ServerMount[];
  readonly network: boolean;
  readonly env: Readonly<Record<string, string>>;
  readonly limits: SandboxLimits;
  /** uid inside the sandbox (never 0). */
  readonly uid: number;
  /** Host uid bwrap runs as when we are root. */
  readonly hostUid: number;
  readonly bwrapPath: string;
}

/** A long-running server: CPU is bounded per call by the timeout, not by RLIMIT_CPU over its life. */
export const SERVER_LIMITS: SandboxLimits = { cpuSeconds: 86_400, processes: 256, fileSizeBytes: 64 << 20, openFiles: 1024 };
const STDERR_KEEP = 4096;

export class SandboxedStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private child: ChildProcess | undefined;
  /** The SDK's line framing (JSON-RPC messages, one per line); set by start (the SDK loads on first use). */
  private codec: { readonly buffer: InstanceType<McpSdk["ReadBuffer"]>; readonly serialize: McpSdk["serializeMessage"] } | undefined;
  private stderrTail = "";
  private closed = false;

  constructor(private readonly s: SandboxedServer) {}

  /** The last few KB the server wrote to stderr (for error messages when it dies). */
  get stderr(): string {
    return this.stderrTail;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    if (this.codec !== undefined) throw new Error("SandboxedStdioTransport already started");
    if (!existsSync(this.s.bwrapPath)) {
      throw new AiosError("E_SANDBOX", `bubblewrap not found at ${this.s.bwrapPath}; install it with scripts/ci-deps.sh`);
    }
    const { ReadBuffer, serializeMessage } = await mcpSdk();
    if (this.codec !== undefined) throw new Error("SandboxedStdioTransport already started");
    const codec = (this.codec = { buffer: new ReadBuffer(), serialize: serializeMessage });
    // Each mount is bound from a descriptor opened here (bwrap --bind-fd): the object checked is the
    // one bound, and a source reached through a symlink still appears at the path the entry names.
    const fds: number[] = [];
    try {
      for (const m of this.s.mounts) fds.push(openSync(m.source, "r"));
      // The seccomp program, the descriptor after the mounts' (bwrap-args.ts); closed with them.
      if (SECCOMP_SUPPORTED) fds.push(openSeccompFd());
    } catch (e) {
      // Whatever was opened before the failure is closed: a refused start leaks no descriptor.
      fds.forEach((fd) => closeSync(fd));
      throw new AiosError("E_SANDBOX", `cannot open a mount source or the seccomp filter: ${(e as Error).message}`, { cause: e });
    }
    const mounts = this.s.mounts.map((m, i) => ({ path: m.path, write: m.write, fd: MOUNT_FD_BASE + i }));
    const args = bwrapArgs({ command: this.s.command, args: this.s.args, mounts, network: this.s.network, env: this.s.env, limits: this.s.limits, uid: this.s.uid, workDir: "/sandbox" });
    const asRoot = process.getuid?.() === 0;
    return new Promise((resolve, reject) => {
      const child = spawn(this.s.bwrapPath, args, {
        // fds 3 and 4 are bwrap's control and status slots elsewhere; mounts start at MOUNT_FD_BASE.
        stdio: bwrapStdio(["pipe", "pipe", "pipe", "ignore", "ignore", ...fds]),
        detached: true, // own process group: close() takes bwrap and everything in it down
        env: {},
        ...(asRoot ? { uid: this.s.hostUid, gid: this.s.hostUid } : {}),
      });
      this.child = child;
      child.once("error", (e) => {
        if (child.pid === undefined) fds.forEach((fd) => closeSync(fd));
        reject(new AiosError("E_SANDBOX", `cannot start bubblewrap: ${e.message}`, { cause: e }));
        this.onerror?.(e);
      });
      const release = (): void => fds.forEach((fd) => closeSync(fd));
      child.once("spawn", () => {
        release();
        resolve();
      });
      child.once("close", () => this.finish());
      child.stdin?.on("error", (e) => this.onerror?.(e));
      child.stdout?.on("data", (chunk: Buffer) => {
        codec.buffer.append(chunk);
        this.drain();
      });
      child.stderr?.on("data", (chunk: Buffer) => {
        this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-STDERR_KEEP);
      });
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin;
    const codec = this.codec;
    if (stdin == null || codec === undefined || this.closed) return Promise.reject(new AiosError("E_UNAVAILABLE", "the MCP server process is not running"));
    return new Promise((resolve) => {
      if (stdin.write(codec.serialize(message))) resolve();
      else stdin.once("drain", () => resolve());
    });
  }

  async close(): Promise<void> {
    const child = this.child;
    if (child === undefined || this.closed) return;
    const gone = new Promise<void>((r) => child.once("close", () => r()));
    child.stdin?.end();
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
    await gone;
  }

  private drain(): void {
    for (;;) {
      let msg: JSONRPCMessage | null;
      try {
        msg = this.codec?.buffer.readMessage() ?? null;
      } catch (e) {
        this.onerror?.(e as Error);
        continue;
      }
      if (msg === null) return;
      this.onmessage?.(msg);
    }
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.codec?.buffer.clear();
    this.onclose?.();
  }
}
