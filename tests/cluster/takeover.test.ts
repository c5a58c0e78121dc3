/**
 * Takeover after a crash, from the crash side: a node in a child process appends to its agents'
 * fenced journals and prints an ack after each commit; it is killed with SIGKILL mid-stream. Another
 * node (this process, on a SimulatedClock started at the kill) takes nothing before the dead node's
 * TTL ran out, then takes every agent over under epoch 2, finds every acknowledged entry in the
 * journals, continues them, and a write under the dead node's epoch is refused. And a node paused with
 * SIGSTOP past its TTL: its agents are taken over; resumed with SIGCONT, it writes nothing more under
 * its old epoch (it stops on its next beat or its next refused append).
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { ClusterNode, FencedJournal, parseClusterConfig, type Lease } from "../../src/cluster/index.js";
import { SimulatedClock } from "../../src/core/index.js";
import { useClusterDb } from "./cluster-db.js";

const CHILD = "tests/cluster/node-child.ts";
const AGENTS = 4;
const db = useClusterDb("takeover");

interface Child {
  readonly pid: number;
  readonly acked: Map<string, { seq: number; epoch: number }[]>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** Starts node-child.ts and resolves after `acks` acknowledged appends, calling `at` right then. */
function runChild(cluster: string, acks: number, at: (pid: number) => void): Promise<Child> {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, db.url, cluster, "dead", String(AGENTS)], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once("exit", (code, signal) => r({ code, signal })));
  const acked = new Map<string, { seq: number; epoch: number }[]>();
  let n = 0;
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout });
    rl.on("line", (line) => {
      const m = /^ack (\S+) (\d+) (\d+)$/.exec(line);
      if (m === null) return;
      const [, agent = "", seq = "0", epoch = "0"] = m;
      acked.set(agent, [...(acked.get(agent) ?? []), { seq: Number(seq), epoch: Number(epoch) }]);
      if (++n === acks) {
        at(child.pid ?? 0);
        resolve({ pid: child.pid ?? 0, acked, exited, stderr: () => stderr });
      }
    });
    void exited.then((e) => (n >= acks ? undefined : reject(new Error(`child exited early (${JSON.stringify(e)}): ${stderr}`))));
  });
}

describe("a node paused with SIGSTOP past its TTL", () => {
  it("loses its agents to another node and, resumed, writes nothing more under its old epoch", async () => {
    // Stopped in the middle of a transaction, the child would hold its lease rows locked until it
    // resumes: PostgreSQL ends such a session after the TTL. A node's own pool asks for that on every
    // connection (ADR 0070); the child opens a plain pool, so the database's setting stands in for it
    // (its sessions are new, so they take it).
    const dbName = new URL(db.url).pathname.slice(1);
    await db.pool.query(`ALTER DATABASE "${dbName}" SET idle_in_transaction_session_timeout = '1000'`);
    const child = await runChild("t2", 100, (pid) => process.kill(pid, "SIGSTOP"));
    const clock = new SimulatedClock(Date.now());
    const survivor = await ClusterNode.start({ pool: db.pool, clock, autoBeat: false, config: parseClusterConfig({ cluster: "t2", node: "alive", heartbeatMs: 200, ttlMs: 1_000 }) });
    const journal = new FencedJournal(db.pool, "t2");
    try {
      clock.advance(1_000);
      // Stopped inside a transaction, the child holds some lease rows locked until PostgreSQL ends its
      // session (a TTL idle): a takeover waits for such a row at most one heartbeat and takes it at a
      // later beat (ADR 0070), so the survivor beats until it holds every lease.
      const acquired: Lease[] = [];
      for (let i = 0; i < 50 && acquired.length < AGENTS; i++) {
        if (i > 0) {
          await new Promise((r) => setTimeout(r, 100));
          clock.advance(200);
        }
        acquired.push(...(await survivor.beat()).acquired);
      }
      expect(acquired.map((l) => l.epoch)).toEqual(Array.from({ length: AGENTS }, () => 2));
      for (const lease of acquired) await journal.append(lease, (await journal.lastSeq(lease.agent)) + 1, [{ kind: "note", body: "new owner" }]);
      process.kill(child.pid, "SIGCONT");
      const end = await child.exited;
      expect(end.code).not.toBe(0); // it stopped: its leases were taken, or its append was fenced
      expect(child.stderr()).toMatch(/lost k\d|fenced/);
      for (const lease of acquired) {
        const rows = await journal.read(lease.agent);
        const firstNew = rows.findIndex((r) => r.epoch === 2);
        expect(firstNew).toBeGreaterThan(0);
        // No write of the paused activation after the takeover: epoch 1 rows all come before epoch 2.
        expect(rows.slice(firstNew).every((r) => r.epoch === 2)).toBe(true);
        const stored = new Set(rows.map((r) => `${r.seq}@${r.epoch}`));
        for (const a of child.acked.get(lease.agent) ?? []) expect(stored.has(`${a.seq}@${a.epoch}`)).toBe(true);
      }
    } finally {
      await survivor.stop();
      // Never leave a stopped child behind when an assertion failed before SIGCONT.
      if (child.pid > 0) {
        try {
          process.kill(child.pid, "SIGKILL");
        } catch {
          /* already gone */
        }
      }
    }
  }, 20_000);
});

describe("a node killed with -9", () => {
  it("has its agents taken over after the TTL, with no acknowledged entry lost", async () => {
    // Mid-stream: appends in flight are unacknowledged, not lost-if-acked.
    const { acked, exited } = await runChild("t1", 200, (pid) => process.kill(pid, "SIGKILL"));
    expect((await exited).signal).toBe("SIGKILL");

    const clock = new SimulatedClock(Date.now());
    const taken: string[] = [];
    const survivor = await ClusterNode.start({
      pool: db.pool,
      clock,
      autoBeat: false,
      config: parseClusterConfig({ cluster: "t1", node: "alive", heartbeatMs: 200, ttlMs: 1_000 }),
      onAcquire: (l) => taken.push(`${l.agent}@${l.epoch}`),
    });
    try {
      // Not before the dead node's TTL: its leases were renewed within the last heartbeat.
      expect(taken).toEqual([]);
      clock.advance(1_000);
      const report = await survivor.beat();
      expect(report.acquired.map((l) => `${l.agent}@${l.epoch}`).sort()).toEqual(Array.from({ length: AGENTS }, (_, i) => `k${i}@2`));
      expect((await survivor.list()).find((n) => n.node === "dead")?.live).toBe(false);

      const journal = new FencedJournal(db.pool, "t1");
      for (const lease of report.acquired) {
        const rows = await journal.read(lease.agent);
        const stored = new Set(rows.map((r) => `${r.seq}@${r.epoch}`));
        const mine = acked.get(lease.agent) ?? [];
        expect(mine.length).toBeGreaterThan(0);
        for (const a of mine) expect(stored.has(`${a.seq}@${a.epoch}`)).toBe(true);
        // The journal is gap-free and all of it was written under epoch 1 (the dead activation).
        expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
        expect(new Set(rows.map((r) => r.epoch))).toEqual(new Set([1]));
        // The new activation continues it; the dead one's epoch is refused.
        const last = rows.length;
        await journal.append(lease, last + 1, [{ kind: "note", body: "after takeover" }]);
        await expect(journal.append({ agent: lease.agent, epoch: 1 }, last + 2, [{ kind: "note", body: "zombie" }])).rejects.toMatchObject({ details: { reason: "fenced" } });
      }
    } finally {
      await survivor.stop();
    }
  }, 20_000);
});
