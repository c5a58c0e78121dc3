/**
 * shell.execute escape attempts against real bubblewrap: network, writes outside the work dir, the
 * host's /proc and environment, a fork bomb, setuid binaries, the command allow-list, the wall-clock
 * timeout (driven by a SimulatedClock), output caps, and granted mounts. Every case: a clear result
 * or AiosError, no crash.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimulatedClock } from "../../src/core/index.js";
import { ToolRegistry, shellTool, type SandboxResult } from "../../src/tools/index.js";
import { ctxFor } from "../tools/helpers.js";

const hasBwrap = existsSync("/usr/bin/bwrap");
const reg = new ToolRegistry();
reg.register(shellTool({ limits: { processes: 16, cpuSeconds: 5, fileSizeBytes: 1 << 20, openFiles: 64 }, maxOutputBytes: 4096 }));
const SH = ["tool:shell.execute#call", "shell#exec{allow=[sh,ls,cat,id,env,su,mount,sleep,ps,yes,head]}"];

async function sh(script: string, caps = SH, extra: Record<string, unknown> = {}): Promise<SandboxResult> {
  return (await reg.execute("shell.execute", { command: "sh", args: ["-c", script], ...extra }, ctxFor(caps))) as SandboxResult;
}

let base: string;
beforeAll(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), "aios-sbx-")));
  chmodSync(base, 0o777); // the sandbox's host uid is unprivileged when the tests run as root
  writeFileSync(join(base, "in.txt"), "granted content");
  chmodSync(join(base, "in.txt"), 0o644);
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe.skipIf(!hasBwrap)("shell.execute sandbox", () => {
  it("runs an allowed command as a non-zero uid with no capabilities", async () => {
    const r = await sh("id -u; grep CapEff /proc/self/status");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^1000\n/);
    expect(r.stdout).toMatch(/CapEff:\s+0000000000000000/);
  });

  it("refuses a command outside the allow list, naming it", async () => {
    const p = reg.execute("shell.execute", { command: "rm", args: ["-rf", "/"] }, ctxFor(SH));
    await expect(p).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    await expect(p).rejects.toThrow(/"rm" is not in the allowed commands/);
  });

  it("refuses shell syntax in the command name", async () => {
    await expect(reg.execute("shell.execute", { command: "ls; rm -rf /" }, ctxFor(SH))).rejects.toMatchObject({ code: "E_INVALID_ARG" });
  });

  it("has no network unless granted", async () => {
    const r = await sh("cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' '");
    expect(r.stdout.trim().split("\n")).toEqual(["lo"]);
    await expect(reg.execute("shell.execute", { command: "id", network: true }, ctxFor(SH))).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    const granted = (await reg.execute("shell.execute", { command: "sh", args: ["-c", "cat /proc/net/dev | wc -l"], network: true }, ctxFor([...SH, "shell#network"]))) as SandboxResult;
    expect(Number(granted.stdout.trim())).toBeGreaterThan(3);
  });

  it("cannot write outside the work dir, and the work dir does not outlive the call", async () => {
    const r = await sh(`echo x > /usr/pwned; echo x > ${base}/pwned; echo ok > /work/f && cat /work/f`);
    expect(r.stdout).toContain("ok");
    expect(r.stderr).toMatch(/Read-only file system|No such file|Permission denied/);
    expect(existsSync("/usr/pwned")).toBe(false);
    expect(existsSync(join(base, "pwned"))).toBe(false);
    const again = await sh("ls /work");
    expect(again.stdout.trim()).toBe("");
  });

  it("sees neither the host's processes in /proc nor the host's environment", async () => {
    process.env["AIOS_TEST_SECRET"] = "hunter2-secret";
    try {
      const r = await sh(`env; ls /proc | grep -E '^[0-9]+$' | wc -l; cat /proc/${process.pid}/environ 2>&1; cat /proc/1/cmdline`);
      expect(r.stdout).not.toContain("hunter2-secret");
      expect(r.stdout).not.toContain("AIOS_TEST_SECRET");
      expect(r.stdout).toMatch(/PATH=\/usr\/local\/bin:\/usr\/bin:\/bin/);
      expect(r.stdout).toMatch(/No such file|Permission denied/);
      expect(r.stdout).not.toMatch(/node|vitest/);
    } finally {
      delete process.env["AIOS_TEST_SECRET"];
    }
  });

  it("bounds a fork bomb with the process limit", async () => {
    // Each successful fork prints its count; dash gives up with "Cannot fork" at the limit, and the
    // pid namespace takes the stragglers down when its init exits.
    const r = await sh("i=0; while [ $i -lt 500 ]; do sleep 30 & i=$((i+1)); echo $i; done");
    const started = Number(r.stdout.trim().split("\n").at(-1));
    expect(started).toBeGreaterThan(0);
    expect(started).toBeLessThan(100);
    expect(r.stderr).toMatch(/fork/i);
    expect(r.timedOut).toBe(false);
  });

  it("gives setuid binaries no privilege", async () => {
    const r = await sh("ls -l /usr/bin/mount | cut -c1-10; mount -t tmpfs none /work 2>&1; echo rc=$?; su -c id root 2>&1; id -u");
    expect(r.stdout).toMatch(/^-rwsr-xr-x/); // the bit is there on the binary ...
    expect(r.stdout).toMatch(/rc=[1-9]/); // ... but the mount is refused
    expect(r.stdout).not.toMatch(/uid=0/);
    expect(r.stdout.trim().split("\n").at(-1)).toBe("1000");
  });

  it("kills the process group at the wall-clock timeout (simulated clock)", async () => {
    const clock = new SimulatedClock();
    const p = reg.execute("shell.execute", { command: "sh", args: ["-c", "sleep 30 & sleep 30"], timeoutMs: 5000 }, ctxFor(SH, clock)) as Promise<SandboxResult>;
    clock.advance(5000);
    const r = await p;
    expect(r.timedOut).toBe(true);
    expect(r.signal).toBe("SIGKILL");
  });

  it("caps a granted timeout by the capability's timeout constraint", async () => {
    const clock = new SimulatedClock();
    const caps = ["tool:shell.execute#call", "shell#exec{allow=[sleep],timeout=2s}"];
    const p = reg.execute("shell.execute", { command: "sleep", args: ["30"], timeoutMs: 60_000 }, ctxFor(caps, clock)) as Promise<SandboxResult>;
    clock.advance(2000);
    expect((await p).timedOut).toBe(true);
  });

  it("caps stdout", async () => {
    const r = await sh("yes | head -c 100000");
    expect(r.stdout.length).toBe(4096);
    expect(r.stdoutTruncated).toBe(true);
  });

  it("binds only granted paths, read-only unless write is granted", async () => {
    const ro = ["tool:shell.execute#call", "shell#exec{allow=[sh]}", `file:${base}/**#read`];
    await expect(sh(`cat ${base}/in.txt`, SH, { mounts: [{ path: base }] })).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    const r = await sh(`cat ${base}/in.txt; echo y > ${base}/out.txt`, ro, { mounts: [{ path: base }] });
    expect(r.stdout).toContain("granted content");
    expect(existsSync(join(base, "out.txt"))).toBe(false);
    await expect(sh("true", ro, { mounts: [{ path: base, write: true }] })).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    const rw = [...ro, `file:${base}/**#write`];
    const w = await sh(`echo y > ${base}/out.txt`, rw, { mounts: [{ path: base, write: true }] });
    expect(w.exitCode).toBe(0);
    expect(readFileSync(join(base, "out.txt"), "utf8")).toBe("y\n");
  });

  it("reports a missing bwrap as E_SANDBOX", async () => {
    const r2 = new ToolRegistry();
    r2.register(shellTool({ bwrapPath: "/nonexistent/bwrap" }));
    await expect(r2.execute("shell.execute", { command: "id" }, ctxFor(SH))).rejects.toMatchObject({ code: "E_SANDBOX" });
  });
});
