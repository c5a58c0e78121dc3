/**
 * Issue #19.1 at the level a user meets it: a real kernel process killed (SIGKILL) after A's forward
 * to B was journaled and before A's `handled` record was. After the restart A handles the letter
 * again; its plain sends are found in the journal (ADR 0016) and skipped, and its envelope carries the
 * same derived id and is dropped by B's de-duplication window, so B handles each forwarded message
 * once. Before the fix B received a second copy of each under a fresh message id (6 handled, not 3).
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { bundleChild } from "./crash-harness.js";
import { cleanupDirs, tempDir } from "./helpers.js";

afterEach(cleanupDirs);

function run(bundle: string, args: string[], until?: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const p = spawn(process.execPath, [bundle, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  p.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
    if (until !== undefined && stdout.includes(until)) p.kill("SIGKILL");
  });
  p.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  return new Promise((resolve) => p.once("exit", (code, signal) => resolve({ code, signal, stdout, stderr })));
}

describe("a send between durable agents after kill -9 (issue #19.1)", () => {
  it("is not handled twice when the sender handles its letter again", async () => {
    const bundle = await bundleChild("-forward", "forward-child.ts");
    try {
      const dir = tempDir("aios-forward-");
      const data = join(dir, "data");
      const work = join(dir, "work");
      mkdirSync(work);
      const stalled = await run(bundle, [data, work, "stall"], "forwarded\n");
      expect(stalled.signal, stalled.stderr).toBe("SIGKILL");
      const done = await run(bundle, [data, work, "finish"]);
      expect(done.code, done.stderr).toBe(0);
      // A handled its one letter (after the restart), B the three forwards: once each.
      expect(done.stdout).toContain("drained 1 3");
      const handled = readFileSync(join(work, "handled.log"), "utf8").trim().split("\n").map((l) => l.split(" "));
      expect(handled.map(([k]) => k).sort()).toEqual(["m1.1", "m1.2", "m1.3"]);
    } finally {
      rmSync(bundle, { force: true });
    }
  }, 60_000);
});
