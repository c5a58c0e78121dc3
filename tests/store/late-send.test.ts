/**
 * A durable agent's send and tool call from a callback that outlived its receive (ADR 0016, "Late
 * effects"), on the default stack. The callback fires while the agent handles its next letter; a
 * kill -9 lands before that letter is handled. The late effects must not be numbered as that
 * letter's: they were, and after the restart the letter's own second send matched its number in the
 * journal and was skipped as already sent — a message lost — and its tool call was answered with
 * the late call's journaled result instead of running.
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { runNode } from "./crash-harness.js";
import { cleanupDirs, tempDir } from "./helpers.js";

afterEach(cleanupDirs);

const CHILD = fileURLToPath(new URL("./fixtures/late-send-child.ts", import.meta.url));

describe("a durable agent's effects from a callback of an earlier receive, then kill -9", () => {
  it.each(["code", "isolated", "approval", "init"])("take none of the next letter's numbers: its sends and calls happen after the restart (%s agent)", async (kind) => {
    const dir = tempDir("aios-late-");
    const args = [join(dir, "data"), join(dir, "notes")];
    const stalled = await runNode(["--import", "tsx", CHILD, ...args, "stall", kind], "stalled\n");
    expect(stalled.signal, stalled.stderr).toBe("SIGKILL");
    const done = await runNode(["--import", "tsx", CHILD, ...args, "finish", kind]);
    expect(done.code, done.stderr).toBe(0);
    const out = JSON.parse(done.stdout.trim().split("\n").at(-1) ?? "null") as { b: string[]; noted: string[]; calls: string[] };
    // B got every message once: the late one and both of m1's (m1.2 was skipped as sent before the fix).
    expect([...out.b].sort()).toEqual(["late", "m1.1", "m1.2"]);
    // m1's tool call ran after the restart and got its own result (before: the late call's "late").
    expect(out.noted).toEqual(["late", "m1"]);
    expect(out.calls).toEqual(['m1 got "m1"']);
  }, 60_000);
});
