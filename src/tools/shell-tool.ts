/**
 * shell.execute: one program with an argv (never a shell string, so there is nothing to inject into)
 * run under bubblewrap (shell-sandbox.ts). Capabilities:
 *   `shell#exec{allow=[ls,cat],timeout=30s}` — which programs, and the longest wall-clock time;
 *     a `shell#exec` capability without `allow` allows every program on the sandbox's PATH. The
 *     list names the program started, not what it starts: allowing `find`, `xargs`, `env`,
 *     `timeout`, a shell or an interpreter allows everything (`find -exec sh`) unless
 *     `denyargs=[-exec,-execdir,-ok,-okdir]` refuses the arguments that make it run another
 *     program (an argument equal to an entry, or `entry=value`, is refused);
 *   `shell#network` — the command keeps the host's network (otherwise it gets an empty net ns);
 *   `file:<dir>/#read` (or `#write`) for each path in `mounts`, bound at the same place inside;
 *   `secret:NAME#use` for each `{{secret:NAME}}` in `env` (its one secret slot, secret-slots.ts):
 *     the command gets the value in its environment, sent over the control socket, never argv.
 * The command sees only /usr (read-only), a few /etc files, a private /proc and /dev, and a tmpfs
 * work dir; its rlimits come from the tool options and cannot be raised by the caller. Each tool
 * instance keeps its prepared sandboxes (shell-sandbox.ts) unless `prepare: false`.
 */
import { join } from "node:path";
import { z } from "zod";
import { AiosError } from "../core/index.js";
import type { SandboxLimits } from "./bwrap-args.js";
import { O_PATH, openLeaf, walk } from "./fd-path.js";
import type { FileHandle } from "node:fs/promises";
import { AbsolutePath, checkCanonical, fileResource, lexicalPath } from "./fs-scope.js";
import { PreparedSandboxes } from "./prepared-sandboxes.js";
import { ENV_NAME } from "./sandbox-launcher.js";
import { runSandboxed } from "./shell-sandbox.js";
import { defineTool, eraseTool, type AnyTool, type ToolContext } from "./tool.js";

export interface ShellToolOptions {
  readonly limits?: Partial<SandboxLimits>;
  readonly defaultTimeoutMs?: number;
  readonly maxTimeoutMs?: number;
  readonly maxOutputBytes?: number;
  readonly sandboxUid?: number;
  readonly hostUid?: number;
  readonly bwrapPath?: string;
  /**
   * Keep a sandbox set up ahead of the next call without mounts (default true): the call then only
   * hands it its argv, which takes bwrap's setup off the call's latency. Costs one waiting bwrap
   * (three processes) per shape for up to a minute after the last call.
   */
  readonly prepare?: boolean;
}

const COMMAND_RE = /^(\/[A-Za-z0-9._+\-/]+|[A-Za-z0-9._+-]+)$/;
const FORBIDDEN_MOUNTS = ["/", "/proc", "/dev", "/usr", "/etc", "/tmp"];

const Input = z.strictObject({
  command: z.string().regex(COMMAND_RE, "expected a program name or absolute path (no shell syntax)"),
  args: z.array(z.string().max(65_536).refine((s) => !s.includes("\u0000"), "contains a NUL byte")).max(1024).default([]),
  stdin: z.string().max(1 << 20).optional(),
  timeoutMs: z.number().int().positive().optional(),
  network: z.boolean().default(false),
  mounts: z.array(z.strictObject({ path: AbsolutePath, write: z.boolean().default(false) })).max(16).default([]),
  // A secret slot: `{"TOKEN": "{{secret:GITHUB_TOKEN}}"}` gives the command the value, never the agent.
  env: z.record(z.string().regex(ENV_NAME, "not a variable name a call may set"), z.string().max(8192)).default({}),
});

const Output = z.object({
  exitCode: z.number().nullable(),
  signal: z.string().nullable(),
  stdout: z.string(),
  stderr: z.string(),
  stdoutTruncated: z.boolean(),
  stderrTruncated: z.boolean(),
  timedOut: z.boolean(),
  durationMs: z.number(),
});

export function shellTool(options: ShellToolOptions = {}): AnyTool {
  const limits: SandboxLimits = {
    cpuSeconds: options.limits?.cpuSeconds ?? 10,
    processes: options.limits?.processes ?? 64,
    fileSizeBytes: options.limits?.fileSizeBytes ?? 16 << 20,
    openFiles: options.limits?.openFiles ?? 256,
    // Defaults (docs/threat-model.md): 1 GiB of address space per process and a 64 MiB /tmp and
    // work dir, so a command can neither grow resident without bound nor fill RAM through tmpfs
    // (no cgroup bounds the sandbox as a whole: see the threat model's residual risks).
    memoryBytes: options.limits?.memoryBytes ?? 1 << 30,
    tmpfsBytes: options.limits?.tmpfsBytes ?? 64 << 20,
  };
  const maxTimeout = options.maxTimeoutMs ?? 60_000;
  const prepared = options.prepare === false ? undefined : new PreparedSandboxes();
  return eraseTool(
    defineTool({
      name: "shell.execute",
      description: "Run one program with arguments in a bubblewrap sandbox (no shell; no network unless granted).",
      input: Input,
      output: Output,
      sideEffect: true,
      secretSlots: ["env.*"],
      requires: (a) => [
        { resource: "shell", action: "exec" },
        ...(a.network ? [{ resource: "shell", action: "network" }] : []),
        ...a.mounts.map((m) => ({ resource: fileResource(dirPath(lexicalPath(m.path, "args.mounts.path"))), action: m.write ? "write" : "read" })),
      ],
      async execute(a, ctx) {
        const grantedTimeout = allowedTimeout(ctx, a.command, a.args);
        const timeoutMs = Math.min(a.timeoutMs ?? options.defaultTimeoutMs ?? 30_000, grantedTimeout ?? maxTimeout, maxTimeout);
        // Each mount is walked descriptor by descriptor and bound from the descriptor (--bind-fd):
        // a swap of any component after the check cannot change what bwrap mounts.
        const held: FileHandle[] = [];
        try {
          const mounts = [];
          for (const m of a.mounts) {
            const lexical = lexicalPath(m.path, "args.mounts.path");
            const w = await walk(lexical, true);
            try {
              const canonical = w.path;
              if (FORBIDDEN_MOUNTS.includes(canonical)) {
                throw new AiosError("E_INVALID_ARG", `args.mounts.path: ${canonical} cannot be mounted into the sandbox`, { details: { path: "args.mounts.path" } });
              }
              checkCanonical(ctx, dirPath(lexical), dirPath(canonical), m.write ? "write" : "list");
              const fh = await openLeaf(w, O_PATH, "file-or-dir");
              held.push(fh);
              mounts.push({ path: canonical, write: m.write, fd: fh.fd });
            } finally {
              await w.close();
            }
          }
          return await runSandboxed(
            { command: a.command, args: a.args, mounts, network: a.network, limits, uid: options.sandboxUid ?? 1000, workDir: "/work" },
            {
              clock: ctx.clock,
              signal: ctx.signal,
              timeoutMs,
              maxOutputBytes: options.maxOutputBytes ?? 64 << 10,
              ...(a.stdin === undefined ? {} : { stdin: a.stdin }),
              ...(options.hostUid === undefined ? {} : { hostUid: options.hostUid }),
              ...(options.bwrapPath === undefined ? {} : { bwrapPath: options.bwrapPath }),
              ...(prepared === undefined ? {} : { prepared }),
              ...(Object.keys(a.env).length === 0 ? {} : { env: a.env }),
            },
          );
        } finally {
          for (const fh of held) await fh.close();
        }
      },
      // Sandboxes started ahead of the next call are killed at shutdown, not left to expire.
      dispose: () => prepared?.dispose(),
    }),
  );
}

/** The first argument a `denyargs` list refuses: equal to an entry, or `entry=value`. */
function deniedArg(denied: readonly string[], args: readonly string[]): string | undefined {
  return args.find((arg) => denied.some((d) => arg === d || arg.startsWith(`${d}=`)));
}

/**
 * The capabilities that allow `shell#exec` and admit this command with these arguments; the longest
 * `timeout` among them (undefined: no constraint). E_CAP_DENIED naming the allow lists when none
 * admits the program, or the argument a `denyargs` list refuses when that is what stopped it.
 */
function allowedTimeout(ctx: ToolContext, command: string, args: readonly string[]): number | undefined {
  const caps = ctx.constraints({ resource: "shell", action: "exec" });
  // Fail closed: a checker that allowed exec without naming a readable capability gives no allow-list.
  if (caps.length === 0) {
    throw new AiosError("E_CAP_DENIED", "shell#exec: the grant that allows it has no readable constraints; refused", { details: { resource: "shell", action: "exec" } });
  }
  const programOk = caps.filter((c) => c["allow"] === undefined || parseList(c["allow"]).includes(command));
  const admitting = programOk.filter((c) => c["denyargs"] === undefined || deniedArg(parseList(c["denyargs"]), args) === undefined);
  if (programOk.length > 0 && admitting.length === 0) {
    const arg = programOk.map((c) => deniedArg(parseList(c["denyargs"] ?? "[]"), args)).find((x) => x !== undefined) ?? "";
    throw new AiosError("E_CAP_DENIED", `shell#exec: argument "${arg}" of ${command} is refused by the grant's denyargs`, {
      details: { resource: "shell", action: "exec", command, arg },
    });
  }
  if (admitting.length === 0) {
    const lists = caps.map((c) => c["allow"] ?? "*").join(" | ");
    throw new AiosError("E_CAP_DENIED", `shell#exec: command "${command}" is not in the allowed commands ${lists}`, {
      details: { resource: "shell", action: "exec", command },
    });
  }
  let best: number | undefined = 0;
  for (const c of admitting) {
    const t = c["timeout"] === undefined ? undefined : parseDuration(c["timeout"]);
    if (t === undefined) return undefined;
    best = Math.max(best, t);
  }
  return best;
}

export function parseList(s: string): string[] {
  const body = s.trim().replace(/^\[/, "").replace(/\]$/, "");
  return body.split(",").map((x) => x.trim()).filter((x) => x !== "");
}

/** `30s`, `500ms`, `2m`, or a bare number of milliseconds. */
export function parseDuration(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(s.trim());
  if (m === null) return undefined;
  const n = Number(m[1]);
  const unit = m[2] ?? "ms";
  return Math.round(n * (unit === "ms" ? 1 : unit === "s" ? 1000 : unit === "m" ? 60_000 : 3_600_000));
}

function dirPath(p: string): string {
  return p.endsWith("/") ? p : join(p, "/");
}
