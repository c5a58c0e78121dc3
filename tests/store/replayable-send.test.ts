/**
 * Issue #19.1 at the level a user meets it: a real kernel process killed (SIGKILL) after A's forward
 * to B was journaled and before A's `handled` record was. After the restart A handles the letter
 * again; its plain sends are found in the journal (ADR 0016) and skipped, and its envelope carries the
 * same derived id and is dropped by B's de-duplication window, so each forwarded message reaches B
 * as one letter. Before the fix B received a second copy of each under a fresh message id.
 */
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { bundleChild, runNode } from "./crash-harness.js";
import { cleanupDirs, tempDir } from "./helpers.js";

afterEach(cleanupDirs);


describe("a send between durable agents after kill -9 (issue #19.1)", () => {
  it("is not handled twice when the sender handles its letter again", async () => {
    const bundle = await bundleChild("-forward", "forward-child.ts");
    try {
      const dir = tempDir("aios-forward-");
      const data = join(dir, "data");
      const work = join(dir, "work");
      mkdirSync(work);
      const stalled = await runNode([bundle, data, work, "stall"], "forwarded\n");
      expect(stalled.signal, stalled.stderr).toBe("SIGKILL");
      const done = await runNode([bundle, data, work, "finish"]);
      expect(done.code, done.stderr).toBe(0);
      // A handled its one letter (after the restart), B the three forwards: once each.
      expect(done.stdout).toContain("drained 1 3");
      const handled = readFileSync(join(work, "handled.log"), "utf8").trim().split("\n").map((l) => l.split(" "));
      // Each forward reached B as one letter: one message id per key. (Before the fix B got a second
      // copy of each under a fresh id.) B's file append is its own effect and is not journaled: when
      // the kill lands after B appended a letter and before B's handled record committed, B handles
      // that same letter, under the same id, again after the restart — durable delivery is
      // at-least-once for effects a receive does outside the door (a clean-clone run saw m1.3 twice
      // under one id). What must never happen is a second copy under another id.
      const ids = new Map<string, Set<string>>();
      for (const [k, id] of handled) ids.set(String(k), (ids.get(String(k)) ?? new Set<string>()).add(String(id)));
      expect([...ids.keys()].sort()).toEqual(["m1.1", "m1.2", "m1.3"]);
      for (const [k, set] of ids) expect([...set], k).toHaveLength(1);
    } finally {
      rmSync(bundle, { force: true });
    }
  }, 60_000);
});
