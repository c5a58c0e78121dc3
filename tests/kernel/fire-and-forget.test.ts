/**
 * Issue #10 defect 4: one agent's refused fire-and-forget effect used to be an unhandled rejection
 * that ended the whole process with exit code 1 (and a refused send, a synchronous throw, did so as
 * an uncaught exception when a timer of the agent's made it). Run as a real child process on the default stack.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

describe("a refused fire-and-forget effect", () => {
  it("is an audited denial, never the process's unhandled rejection", () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-faf-"));
    try {
      const script = fileURLToPath(new URL("./fixtures/fire-and-forget.ts", import.meta.url));
      const r = spawnSync(process.execPath, ["--import", "tsx", script, dir], { encoding: "utf8", timeout: 80_000 });
      expect(r.stderr).not.toMatch(/Unhandled|unhandled/);
      expect(r.status).toBe(0);
      const m = /^survived (\d+) (\S+)$/m.exec(r.stdout);
      expect(m).not.toBeNull();
      // Three rounds, each refused at the door: two sends (one from a timer), request, spawn, the
      // no-op syscall and the tool.
      expect(Number(m?.[1])).toBeGreaterThanOrEqual(18);
      expect(m?.[2]).toBe("AgentRequest,AgentSpawn,Noop,SemanticSend,ToolCall");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // A child process booting the default stack through tsx: 4-5 CPU-s, 20-35 s of wall time when
    // the two cores are shared with the rest of the suite.
  }, 90_000);
});
