/**
 * A node stopped inside one of its transactions (SIGSTOP, a paused VM, a partition) while it holds
 * its lease row locked — every journal write reads that row FOR SHARE, every heartbeat FOR UPDATE —
 * on a real PostgreSQL. The other node's takeover waits for that lock at most one heartbeat, so its
 * own heartbeats go on; the server ends the stopped node's session once it was idle in its
 * transaction for a whole TTL (the node's pool asks for that on every connection), and the next
 * takeover scan takes the lease. Before, the survivor's heartbeat waited on the lock for as long as
 * the owner stayed stopped (the seeded fault schedule's "no epoch 2" under load).
 */
import { describe, expect, it } from "vitest";
import { ClusterNode, openClusterPool, parseClusterConfig, type BeatReport } from "../../src/cluster/index.js";
import { SimulatedClock } from "../../src/core/index.js";
import { useClusterDb } from "./cluster-db.js";

const db = useClusterDb("stalled");
const TTL = 1_000;
const BEAT = 200;

/** beat(), or the word "stuck" when it has not resolved after `ms` of real time. */
async function beatWithin(node: ClusterNode, ms: number): Promise<BeatReport | "stuck"> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stuck = new Promise<"stuck">((r) => (timer = setTimeout(() => r("stuck"), ms)));
  try {
    return await Promise.race([node.beat(), stuck]);
  } finally {
    clearTimeout(timer);
  }
}

describe("a lease owner stopped inside its transaction", () => {
  it("does not hold the other node's heartbeat, and loses its lease once the server ends its session", async () => {
    const clock = new SimulatedClock(Date.now());
    // The owner's connections as a node opens them: ended by the server after a TTL idle in a transaction.
    const ownerPool = openClusterPool({ url: db.url, idleInTransactionMs: TTL });
    const owner = await ClusterNode.start({ pool: ownerPool, clock, autoBeat: false, config: parseClusterConfig({ cluster: "s1", node: "owner", heartbeatMs: BEAT, ttlMs: TTL }) });
    const survivorPool = openClusterPool({ url: db.url, idleInTransactionMs: TTL });
    let survivor: ClusterNode | undefined;
    const stuck = await ownerPool.connect();
    try {
      const lease = await owner.claim("ag_stalled");
      expect(lease.epoch).toBe(1);
      // The owner stops in the middle of a journal write: its lease row read FOR SHARE, no COMMIT.
      await stuck.query("BEGIN");
      await stuck.query("SELECT epoch FROM cluster_leases WHERE cluster = $1 AND agent = $2 FOR SHARE", ["s1", "ag_stalled"]);
      survivor = await ClusterNode.start({ pool: survivorPool, clock, autoBeat: false, config: parseClusterConfig({ cluster: "s1", node: "alive", heartbeatMs: BEAT, ttlMs: TTL }) });
      clock.advance(TTL);
      // The lease has lapsed but its row is locked: this beat gives up on it and ends (before the fix
      // it waited on the lock for as long as the owner's transaction stayed open).
      const first = await beatWithin(survivor, 20_000);
      expect(first).not.toBe("stuck");
      if (first === "stuck") return;
      expect(first.acquired).toEqual([]);
      // Once the server ended the stopped session (a TTL idle), a later beat takes the lease.
      let taken: BeatReport["acquired"] = [];
      for (let i = 0; i < 100 && taken.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        clock.advance(BEAT);
        const r = await beatWithin(survivor, 20_000);
        expect(r).not.toBe("stuck");
        if (r !== "stuck") taken = r.acquired;
      }
      expect(taken.map((l) => [l.agent, l.epoch])).toEqual([["ag_stalled", 2]]);
      // The stopped node, resumed, finds its transaction gone: nothing it had open commits.
      await expect(stuck.query("COMMIT")).rejects.toThrow();
    } finally {
      stuck.release(true);
      await survivor?.stop();
      await owner.stop().catch(() => undefined);
      await ownerPool.end();
      await survivorPool.end();
    }
  }, 60_000);
});
