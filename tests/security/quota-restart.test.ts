/**
 * Issue #15 item 7, "quotas multiply", across a restart: a counted capability (`max=2`) used up
 * before the daemon stops stays used up after it boots again on the same data dir, for the agent and
 * for a child it spawned (one budget for the tree), while a fresh grant of the same capability to a
 * new agent still has its own uses. Before, the totals lived only in memory and a restart gave every
 * counted capability its uses back.
 * Issue #17's bounds: an agent's persisted totals end with it — dropped from grants.db when it leaves
 * the process table for good, and at boot for an agent that ended (or was not durable) last run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { boot, silentLogger, type AgentId, type AgentLogic, type Aios } from "../../src/index.js";
import { refusalOf } from "./refusal.js";

const dataDir = mkdtempSync(join(tmpdir(), "aios-quota-restart-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const idle: AgentLogic<null> = { init: () => null, receive: (s) => s };
const start = (): Promise<Aios> => boot({ dataDir, logger: silentLogger, logics: { idle } });
const noop = (os: Aios, id: AgentId): Promise<string> => refusalOf(os.syscall(id, "Noop", {}));

/** The quota rows grants.db holds for `agent` (read through a second connection, as an operator would). */
function rowsOf(dir: string, agent: AgentId): string[] {
  const db = new Database(join(dir, "security", "grants.db"), { readonly: true });
  try {
    return (db.prepare("SELECT key FROM quota_used WHERE key LIKE ?").pluck().all(`spec:${agent}/%`) as string[]).sort();
  } finally {
    db.close();
  }
}

describe("a counted capability across a daemon restart", () => {
  it("keeps what was used: no uses come back", async () => {
    const first = await start();
    const a = await first.spawn({ name: "reader", kind: "code", logic: "idle", durable: true, capabilities: ["agent#spawn", "kernel#noop{max=2}"] });
    const kid = (await first.syscall(a, "AgentSpawn", { spec: { name: "kid", kind: "code", logic: "idle", durable: true, capabilities: ["kernel#noop{max=2}"] } })).id;
    expect(await noop(first, a)).toBe("allowed");
    expect(await noop(first, kid)).toBe("allowed");
    expect(await noop(first, a)).toMatch(/^E_QUOTA: /);
    await first.shutdown("restart");

    const second = await start();
    try {
      expect(second.ps().map((p) => p.id)).toEqual(expect.arrayContaining([a, kid]));
      for (const id of [a, kid, a, kid]) expect(await noop(second, id)).toMatch(/^E_QUOTA: quota max=2 of kernel#noop\{max=2\} exhausted/);
      // A new agent's own grant is its own budget.
      const fresh = await second.spawn({ name: "other", kind: "code", logic: "idle", durable: true, capabilities: ["kernel#noop{max=2}"] });
      expect([await noop(second, fresh), await noop(second, fresh), await noop(second, fresh)]).toEqual(["allowed", "allowed", expect.stringMatching(/^E_QUOTA: /)]);
    } finally {
      await second.shutdown("done");
    }
  });

  it("drops an ended agent's totals from grants.db once it leaves the table", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-quota-gone-"));
    const os = await boot({ dataDir: dir, logger: silentLogger, logics: { idle }, limits: { keepEnded: 0 } });
    try {
      const a = await os.spawn({ name: "counted", kind: "code", logic: "idle", durable: true, capabilities: ["kernel#noop{max=3}"] });
      const b = await os.spawn({ name: "stays", kind: "code", logic: "idle", durable: true, capabilities: ["kernel#noop{max=3}"] });
      expect([await noop(os, a), await noop(os, b)]).toEqual(["allowed", "allowed"]);
      expect(rowsOf(dir, a)).toEqual([`spec:${a}/kernel#noop{max=3}:max`]);
      await os.kill(a, "test");
      // keepEnded 0: it left the table as it ended, and its row went with it; the other's stays.
      expect(os.ps().map((p) => p.id)).not.toContain(a);
      expect(rowsOf(dir, a)).toEqual([]);
      expect(rowsOf(dir, b)).toEqual([`spec:${b}/kernel#noop{max=3}:max`]);
    } finally {
      await os.shutdown("done");
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("drops at boot the totals of agents that did not come back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-quota-boot-"));
    const open = (): Promise<Aios> => boot({ dataDir: dir, logger: silentLogger, logics: { idle } });
    try {
      const first = await open();
      const ended = await first.spawn({ name: "ended", kind: "code", logic: "idle", durable: true, capabilities: ["kernel#noop{max=3}"] });
      const passing = await first.spawn({ name: "passing", kind: "code", logic: "idle", durable: false, capabilities: ["kernel#noop{max=3}"] });
      const live = await first.spawn({ name: "live", kind: "code", logic: "idle", durable: true, capabilities: ["kernel#noop{max=3}"] });
      for (const id of [ended, passing, live]) expect(await noop(first, id)).toBe("allowed");
      await first.kill(ended, "test");
      await first.wait(ended);
      // Still visible (the default keeps the last 1,024 ended agents), so its row is still there.
      expect(rowsOf(dir, ended)).toHaveLength(1);
      await first.shutdown("restart");

      const second = await open();
      try {
        expect(rowsOf(dir, ended)).toEqual([]);
        expect(rowsOf(dir, passing)).toEqual([]);
        // The durable live one came back (dormant) with its total: one use left of three... two.
        expect(rowsOf(dir, live)).toHaveLength(1);
        expect([await noop(second, live), await noop(second, live), await noop(second, live)]).toEqual(["allowed", "allowed", expect.stringMatching(/^E_QUOTA: /)]);
      } finally {
        await second.shutdown("done");
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
