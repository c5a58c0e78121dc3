/**
 * How shell.execute starts a command under bubblewrap (real bwrap): the rlimits are in force as
 * hard limits before the command runs, the environment is exactly the one the sandbox sets, argv
 * reaches the program byte for byte (quotes, newlines, shell syntax are data), exit statuses and
 * signals come back as they are. Run several times in a row so that calls starting from a
 * prepared sandbox and calls starting a fresh one are both covered.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, createReadStream, existsSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { RealClock } from "../../src/core/index.js";
import { ToolRegistry, shellTool, type SandboxResult } from "../../src/tools/index.js";
import { ctxFor } from "../tools/helpers.js";

const hasBwrap = existsSync("/usr/bin/bwrap");
const CAPS = ["tool:shell.execute#call", "shell#exec{allow=[sh,cat,printf,env,false]}"];
const limits = { processes: 16, cpuSeconds: 5, fileSizeBytes: (1 << 20) + 100, openFiles: 64 };

function registry(): ToolRegistry {
  const reg = new ToolRegistry();
  reg.register(shellTool({ limits, maxOutputBytes: 1 << 16 }));
  return reg;
}

async function run(reg: ToolRegistry, command: string, args: string[], extra: Record<string, unknown> = {}): Promise<SandboxResult> {
  return (await reg.execute("shell.execute", { command, args, ...extra }, ctxFor(CAPS))) as SandboxResult;
}

function limitLine(limitsText: string, name: string): string[] {
  const line = limitsText.split("\n").find((l) => l.startsWith(name)) ?? "";
  return line.slice(name.length).trim().split(/\s+/).slice(0, 2);
}

describe.skipIf(!hasBwrap)("shell.execute start", () => {
  it("applies every rlimit as soft and hard limit before the command runs, on every call", async () => {
    const reg = registry();
    for (let i = 0; i < 3; i++) {
      const r = await run(reg, "cat", ["/proc/self/limits"]);
      expect(r.exitCode).toBe(0);
      expect(limitLine(r.stdout, "Max cpu time")).toEqual(["5", "5"]);
      expect(limitLine(r.stdout, "Max processes")).toEqual(["16", "16"]);
      // dash counts 512-byte blocks: rounded down, never above the byte limit
      expect(limitLine(r.stdout, "Max file size")).toEqual(["1048576", "1048576"]);
      expect(limitLine(r.stdout, "Max open files")).toEqual(["64", "64"]);
    }
  });

  it("cannot raise its limits again", async () => {
    const r = await run(registry(), "sh", ["-c", "ulimit -n 1000 2>&1; ulimit -n"]);
    expect(r.stdout).toMatch(/Operation not permitted|Invalid argument|error/i);
    expect(r.stdout.trim().split("\n").at(-1)).toBe("64");
  });

  it("passes exactly the sandbox environment", async () => {
    const reg = registry();
    for (let i = 0; i < 2; i++) {
      const r = await run(reg, "env", []);
      expect(r.stdout.trim().split("\n").sort()).toEqual(["HOME=/work", "LANG=C.UTF-8", "PATH=/usr/local/bin:/usr/bin:/bin"]);
    }
  });

  it("hands argv over byte for byte: quotes, newlines, spaces and shell syntax are data", async () => {
    const reg = registry();
    const args = ["%s|", "it's", "two\nlines", "  spaced  ", "$(id) `id` $HOME; rm -rf /", "'\"\\", "", "ünïcødé"];
    for (let i = 0; i < 2; i++) {
      const r = await run(reg, "printf", args);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toBe(args.slice(1).map((a) => `${a}|`).join(""));
    }
  });

  it("hands over a long argv too", async () => {
    const big = Array.from({ length: 24 }, (_, i) => `${i}:${"x'y\n".repeat(500)}`);
    const r = await run(registry(), "printf", ["%s\\n", ...big]);
    expect(r.stdout).toBe(big.map((a) => `${a}\n`).join(""));
  });

  it("returns exit statuses, signals and stdin as the command left them", async () => {
    const reg = registry();
    expect((await run(reg, "false", [])).exitCode).toBe(1);
    expect((await run(reg, "sh", ["-c", "exit 42"])).exitCode).toBe(42);
    const killed = await run(reg, "sh", ["-c", "kill -9 $$"]);
    expect(killed.exitCode === 137 || killed.signal === "SIGKILL").toBe(true);
    const missing = await run(reg, "sh", ["-c", "exec no-such-program"]);
    expect(missing.exitCode).toBe(127);
    expect((await run(reg, "cat", [], { stdin: "from stdin\n" })).stdout).toBe("from stdin\n");
  });

  it("kills the sandbox when the call is aborted, while it starts or while the command runs", async () => {
    const reg = registry();
    await run(reg, "false", []); // leaves a prepared sandbox for the next call
    // Starting: the tool spawns (or takes) its sandbox synchronously, so an abort right after the
    // call comes before the sandbox reported ready.
    const ac1 = new AbortController();
    const starting = reg.execute("shell.execute", { command: "sh", args: ["-c", "sleep 30"] }, ctxFor(CAPS, new RealClock(), ac1.signal)) as Promise<SandboxResult>;
    ac1.abort();
    expect(await starting).toMatchObject({ signal: "SIGKILL", timedOut: false });
    // Running: the command says so through a FIFO in a granted directory, then blocks.
    const dir = realpathSync(mkdtempSync(join(tmpdir(), "aios-abort-")));
    try {
      chmodSync(dir, 0o777);
      execFileSync("mkfifo", ["-m", "666", join(dir, "fifo")]);
      const caps = [...CAPS, `file:${dir}/**#read`, `file:${dir}/**#write`];
      const ac2 = new AbortController();
      const running = reg.execute("shell.execute", { command: "sh", args: ["-c", `echo up > ${dir}/fifo; sleep 30`], mounts: [{ path: dir, write: true }] }, ctxFor(caps, new RealClock(), ac2.signal)) as Promise<SandboxResult>;
      const fifo = createReadStream(join(dir, "fifo"));
      await new Promise<void>((resolve) => fifo.once("data", () => resolve()));
      ac2.abort();
      expect(await running).toMatchObject({ signal: "SIGKILL", timedOut: false });
      fifo.destroy();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
