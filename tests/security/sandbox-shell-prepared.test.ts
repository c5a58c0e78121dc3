/**
 * Prepared sandboxes (shell.execute keeps one set up ahead of the next call), against real bwrap:
 * each sandbox runs one command, a prepared sandbox has its call's shape (network), concurrent calls
 * each get their own, a waiting sandbox is killed after its idle time (simulated clock), a sandbox
 * that cannot apply its limits fails as E_SANDBOX instead of running unlimited and is not prepared
 * again. Waiting sandboxes are observed as this process's bwrap children in /proc.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SimulatedClock } from "../../src/core/index.js";
import { ToolRegistry, shellTool, type SandboxResult, type ShellToolOptions } from "../../src/tools/index.js";
import { ctxFor } from "../tools/helpers.js";

const hasBwrap = existsSync("/usr/bin/bwrap");
const CAPS = ["tool:shell.execute#call", "shell#exec{allow=[sh,cat,true]}", "shell#network"];

function registry(o: ShellToolOptions = {}): ToolRegistry {
  const reg = new ToolRegistry();
  reg.register(shellTool(o));
  return reg;
}

async function sh(reg: ToolRegistry, script: string, extra: Record<string, unknown> = {}, clock?: SimulatedClock): Promise<SandboxResult> {
  return (await reg.execute("shell.execute", { command: "sh", args: ["-c", script], ...extra }, ctxFor(CAPS, clock))) as SandboxResult;
}

/** Pids of this process's live (not zombie) bwrap children: the sandboxes it started. */
function bwrapChildren(): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const m = /^\d+ \((.*)\) (\S) (\d+)/.exec(stat);
      if (m?.[1] === "bwrap" && m[2] !== "Z" && Number(m[3]) === process.pid) out.push(Number(e));
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** Process death is an OS event we cannot subscribe to from here: poll /proc, bounded. */
async function untilNoChild(pid: number): Promise<void> {
  for (let i = 0; i < 500 && bwrapChildren().includes(pid); i++) await new Promise((r) => setTimeout(r, 10));
  expect(bwrapChildren()).not.toContain(pid);
}

describe.skipIf(!hasBwrap)("shell.execute prepared sandboxes", () => {
  it("runs one command per sandbox: nothing a call leaves behind is seen by the next", async () => {
    const reg = registry();
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await sh(reg, `ls -A /tmp /work | tr '\\n' ' '; touch /tmp/left-$RANDOM /work/left; sleep 0 &`);
      expect(r.exitCode).toBe(0);
      seen.push(r.stdout.trim());
    }
    for (const s of seen) expect(s).not.toMatch(/left/);
  });

  it("keeps exactly one sandbox waiting per shape, and not with prepare: false", async () => {
    const before = bwrapChildren();
    const reg = registry();
    await sh(reg, "true");
    const waiting = bwrapChildren().filter((p) => !before.includes(p));
    expect(waiting).toHaveLength(1);
    await sh(reg, "true");
    expect(bwrapChildren().filter((p) => !before.includes(p))).toHaveLength(1);
    const cold = registry({ prepare: false });
    const beforeCold = bwrapChildren();
    await sh(cold, "true");
    expect(bwrapChildren().filter((p) => !beforeCold.includes(p))).toHaveLength(0);
  });

  it("gives each call a sandbox of its own shape (network or not), alternating", async () => {
    const reg = registry();
    const ifaces = "cat /proc/net/dev | tail -n +3 | wc -l";
    for (let i = 0; i < 3; i++) {
      expect(Number((await sh(reg, ifaces)).stdout.trim())).toBe(1); // lo only
      expect(Number((await sh(reg, ifaces, { network: true })).stdout.trim())).toBeGreaterThan(1);
    }
  });

  it("runs concurrent calls each in its own sandbox", async () => {
    const reg = registry();
    await sh(reg, "true");
    const results = await Promise.all([1, 2, 3, 4].map((n) => sh(reg, `echo ${n} > /work/n; cat /work/n; ls /work | wc -l`)));
    expect(results.map((r) => r.stdout)).toEqual([1, 2, 3, 4].map((n) => `${n}\n1\n`));
  });

  it("kills a waiting sandbox after its idle time on the call's clock", async () => {
    const clock = new SimulatedClock();
    const before = bwrapChildren();
    const reg = registry();
    await sh(reg, "true", {}, clock);
    const [waiting] = bwrapChildren().filter((p) => !before.includes(p));
    expect(waiting).toBeDefined();
    clock.advance(59_000);
    expect(bwrapChildren()).toContain(waiting);
    clock.advance(1_000);
    await untilNoChild(waiting ?? -1);
  });

  it("fails as E_SANDBOX, not unlimited, when a limit cannot be applied, and prepares nothing after it", async () => {
    const before = bwrapChildren();
    const reg = registry({ limits: { openFiles: 1 << 30 } });
    for (let i = 0; i < 2; i++) {
      const p = sh(reg, "echo ran");
      await expect(p).rejects.toMatchObject({ code: "E_SANDBOX" });
      await expect(p).rejects.toThrow(/failed to start/);
    }
    expect(bwrapChildren().filter((p) => !before.includes(p))).toHaveLength(0);
  });

  it("ends a call killed at any point of its sandbox's setup (no orphan holds it open)", async () => {
    const reg = registry();
    for (let ms = 0; ms <= 60; ms++) {
      const clock = new SimulatedClock();
      const p = reg.execute("shell.execute", { command: "sh", args: ["-c", "sleep 30 & sleep 30"], timeoutMs: 1000 }, ctxFor(CAPS, clock)) as Promise<SandboxResult>;
      // Not a wait for an outcome: real time only places the kill at a different point of bwrap's
      // setup (clone, mounts, pivot_root, launcher) each round.
      await new Promise((r) => setTimeout(r, ms));
      clock.advance(1000);
      expect(await p).toMatchObject({ timedOut: true, signal: "SIGKILL" });
    }
  }, 20_000);
});
