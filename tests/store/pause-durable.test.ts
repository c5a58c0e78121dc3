/**
 * An operator's pause and resume of a durable agent are answered once journaled: a child process on
 * the default stack and real SQLite files (fixtures/pause-child.ts) kills itself with SIGKILL the
 * moment `os.pause` or `os.resume` returned, and the next boot finds the agent paused or running as
 * the call said. (The lifecycle's own transitions ride the next commit, ADR 0053; an operator's
 * acknowledged command must not.)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { boot, type AgentLogic } from "../../src/index.js";
import { silentLogger } from "../../src/core/index.js";
import { bundleChild, startChild } from "./crash-harness.js";

const keep: AgentLogic<number> = { init: () => 0, receive: (n) => n + 1 };

async function statusAfterRestart(dataDir: string, id: string): Promise<string | undefined> {
  const os = await boot({ dataDir, logger: silentLogger, logics: { keep }, subsystems: { memory: false, embedder: false, mcp: false } });
  try {
    return os.status(id)?.status;
  } finally {
    await os.shutdown();
  }
}

describe("an operator's pause and resume under SIGKILL", () => {
  it("a process killed the moment os.pause / os.resume returned comes back paused / running", async () => {
    const bundle = await bundleChild("-pause", "pause-child.ts");
    const dir = mkdtempSync(join(tmpdir(), "aios-pause-durable-"));
    try {
      const spawned = await startChild(bundle, [dir, "spawn"]).exited;
      expect(spawned.code, spawned.stderr).toBe(0);
      const id = spawned.stdout.trim();
      expect(id).toMatch(/^ag_/);
      for (let round = 0; round < 3; round++) {
        for (const [op, want] of [["pause", "paused"], ["resume", "running"]] as const) {
          const x = await startChild(bundle, [dir, op, id]).exited;
          expect(x.signal, `${op} child: ${x.stderr.slice(0, 2000)}`).toBe("SIGKILL");
          expect(await statusAfterRestart(dir, id), `after ${op}, round ${round}`).toBe(want);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
