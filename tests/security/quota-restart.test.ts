/**
 * Issue #15 item 7, "quotas multiply", across a restart: a counted capability (`max=2`) used up
 * before the daemon stops stays used up after it boots again on the same data dir, for the agent and
 * for a child it spawned (one budget for the tree), while a fresh grant of the same capability to a
 * new agent still has its own uses. Before, the totals lived only in memory and a restart gave every
 * counted capability its uses back.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { boot, silentLogger, type AgentId, type AgentLogic, type Aios } from "../../src/index.js";
import { refusalOf } from "./refusal.js";

const dataDir = mkdtempSync(join(tmpdir(), "aios-quota-restart-"));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

const idle: AgentLogic<null> = { init: () => null, receive: (s) => s };
const start = (): Promise<Aios> => boot({ dataDir, logger: silentLogger, logics: { idle } });
const noop = (os: Aios, id: AgentId): Promise<string> => refusalOf(os.syscall(id, "Noop", {}));

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
});
