/**
 * Attacker's side of issue 15 items 9 and 10 for the shell sandbox (real bubblewrap): a command
 * tries to make a nested user namespace, to read a descriptor the daemon inherited without
 * close-on-exec, to grow its address space without bound and to fill RAM through the tmpfs.
 */
import { spawn, type StdioOptions } from "node:child_process";
import { closeSync, existsSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ToolRegistry, shellTool, type SandboxResult } from "../../src/tools/index.js";
import { ctxFor } from "../tools/helpers.js";

const hasBwrap = existsSync("/usr/bin/bwrap");
const reg = new ToolRegistry();
reg.register(shellTool({ limits: { processes: 16, cpuSeconds: 10 } }));
const CAPS = ["tool:shell.execute#call", "shell#exec{allow=[sh,unshare]}"];

async function run(command: string, args: string[]): Promise<SandboxResult> {
  return (await reg.execute("shell.execute", { command, args }, ctxFor(CAPS))) as SandboxResult;
}

describe.skipIf(!hasBwrap)("shell sandbox hardening", () => {
  it("refuses a nested user namespace", async () => {
    const r = await run("unshare", ["--user", "--map-root-user", "id", "-u"]);
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout.trim()).not.toBe("0");
  });

  it("caps each process's address space (RLIMIT_AS, 1 GiB by default) and kills a runaway allocation", async () => {
    expect((await run("sh", ["-c", "ulimit -v"])).stdout.trim()).toBe(String(1 << 20)); // KiB
    // Doubles a string until something gives: here a 64 MiB limit, long before the host's memory.
    const small = new ToolRegistry();
    small.register(shellTool({ limits: { memoryBytes: 64 << 20 } }));
    const hog = (await small.execute("shell.execute", { command: "sh", args: ["-c", "awk 'BEGIN { s = \"x\"; for (i = 0; i < 40; i++) s = s s; print length(s) }'; echo exit=$?"] }, ctxFor(CAPS))) as SandboxResult;
    expect(hog.stdout).not.toMatch(/^\d{9,}$/m); // never reached 2^27 bytes
    expect(hog.stdout).toMatch(/exit=[1-9]/);
    for (const t of small.list()) await small.get(t.name).dispose?.();
  });

  it("sizes /tmp and the work dir (64 MiB each by default): filling them stops there", async () => {
    // 15 MiB files (under the 16 MiB file-size limit) until the tmpfs is full.
    const r = await run("sh", ["-c", "i=0; while [ $i -lt 20 ] && head -c 15728640 /dev/zero > /tmp/f$i 2>/dev/null; do i=$((i+1)); done; echo $i; df -k /tmp . | tail -n 2"]);
    const files = Number(r.stdout.split("\n")[0]);
    expect(files).toBeLessThanOrEqual(4); // 4 x 15 MiB fit in 64 MiB, the 5th does not
    for (const line of r.stdout.trim().split("\n").slice(1)) expect(Number(line.split(/\s+/)[1])).toBe(65536);
  });

  it("a descriptor the daemon inherited without close-on-exec is not readable inside", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-fdleak-"));
    const secretPath = join(dir, "secret");
    writeFileSync(secretPath, "INHERITED-SECRET");
    const fd = openSync(secretPath, "r");
    try {
      for (const mode of ["direct", "prepared"]) {
        const stdio: StdioOptions = ["ignore", "pipe", "pipe", ...Array.from({ length: 97 }, () => "ignore" as const), fd];
        const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "fixtures", "leaky-daemon.ts"), mode], { stdio, cwd: join(__dirname, "..", "..") });
        let out = "";
        let err = "";
        child.stdout?.on("data", (b: Buffer) => (out += b.toString()));
        child.stderr?.on("data", (b: Buffer) => (err += b.toString()));
        const code = await new Promise<number | null>((r) => child.on("close", r));
        expect(err).toBe("");
        expect(code).toBe(0);
        const results = JSON.parse(out) as SandboxResult[];
        expect(results).toHaveLength(2);
        for (const res of results) {
          expect(res.stdout).not.toContain("INHERITED-SECRET");
          expect(res.stdout).not.toContain(secretPath); // fd 100 is /dev/null in there, if anything
        }
      }
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
