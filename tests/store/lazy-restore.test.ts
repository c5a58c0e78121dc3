/**
 * Lazy restore under kill -9 (issue #17.6): a kernel child on the SQLite store is killed with SIGKILL
 * while it sends to durable agents, twice over the same data directory (each restart itself
 * restoring lazily); then a checking child boots on it. Every acknowledged message is handled by its
 * agent; the boot restored none of the agents that had nothing to do (the cold agents, whose code is
 * a module that records every import, were neither imported nor restored until first use); and the
 * first use of a cold agent imports its module then.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { bundleChild } from "./crash-harness.js";

const root = mkdtempSync(join(tmpdir(), "aios-lazy-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const COLD_MODULE = `import { appendFileSync } from "node:fs";
import { join } from "node:path";
appendFileSync(join(process.env.LAZY_WORK, "imported.log"), process.env.LAZY_RUN + " " + process.pid + "\\n");
export default {
  init: () => ({ keys: [] }),
  receive(s, m, ctx) { if (m && m.dump) { ctx.reply(s.keys); return s; } return { keys: [...s.keys, m.k] }; },
};
`;

const Report = z.object({
  atBoot: z.object({ known: z.number(), restored: z.array(z.string()), imported: z.number() }),
  keys: z.record(z.string(), z.array(z.string())),
  hot: z.number(),
  cold: z.number(),
  importedBeforeCold: z.number(),
  importedAfterCold: z.number(),
  coldAnswer: z.array(z.string()),
  restoredAfter: z.number(),
});

function run(bundle: string, args: readonly string[], untilAcks?: { file: string; count: number }): Promise<{ stdout: string; stderr: string; signal: NodeJS.Signals | null; code: number | null }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bundle, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    p.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    let poll: ReturnType<typeof setInterval> | undefined;
    if (untilAcks !== undefined) {
      // The crash moment: once this run has had `count` messages acknowledged (the test's input).
      poll = setInterval(() => {
        const acked = existsSync(untilAcks.file) ? readFileSync(untilAcks.file, "utf8").split("\n").length - 1 : 0;
        if (acked >= untilAcks.count) p.kill("SIGKILL");
      }, 20);
    }
    p.once("exit", (code, signal) => {
      if (poll !== undefined) clearInterval(poll);
      resolve({ stdout, stderr, signal, code });
    });
  });
}

describe("lazy restore across kill -9", () => {
  it("keeps every acknowledged message and restores nothing untouched at boot", async () => {
    const bundle = await bundleChild("-lazy", "lazy-child.ts");
    const dataDir = join(root, "data");
    const work = join(root, "work");
    const modules = join(root, "modules");
    mkdirSync(work);
    mkdirSync(modules);
    writeFileSync(join(modules, "cold.mjs"), COLD_MODULE);
    const acks = join(work, "acks.log");
    for (let i = 0; i < 2; i++) {
      const r = await run(bundle, [dataDir, work, modules, `r${i}`, "load"], { file: acks, count: 200 * (i + 1) });
      expect(r.signal, r.stderr).toBe("SIGKILL");
    }
    const c = await run(bundle, [dataDir, work, modules, "check", "check"]);
    expect(c.code, c.stderr).toBe(0);
    const report = Report.parse(JSON.parse(c.stdout.split("\n").find((l) => l.startsWith("{")) ?? "null"));

    // The whole process table is known at boot.
    expect(report.atBoot.known).toBe(report.hot + report.cold);
    // Boot restored only hot agents (those with unhandled journaled mail); no cold one, no module imported.
    for (const name of report.atBoot.restored) expect(name).toMatch(/^hot-/);
    expect(report.atBoot.imported).toBe(0);
    // Every acknowledged message was handled by the agent it was sent to.
    const acked = readFileSync(acks, "utf8").split("\n").filter((l) => l.length > 0);
    expect(acked.length).toBeGreaterThanOrEqual(400);
    const missing = acked.filter((l) => {
      const [to, k] = l.split(" ");
      return !(report.keys[to as string] ?? []).includes(k as string);
    });
    expect(missing).toEqual([]);
    // Every hot agent came back on its first use, the cold module only when a cold agent was used.
    expect(report.restoredAfter).toBe(report.hot);
    expect(report.importedBeforeCold).toBe(0);
    expect(report.importedAfterCold).toBe(1);
    expect(report.coldAnswer).toEqual([]);
  }, 120_000);
});
