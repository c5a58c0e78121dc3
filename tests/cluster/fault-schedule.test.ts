/**
 * A small seeded fault schedule (issue #16 item 7, in small form): an `aios up --cluster` daemon owns
 * a durable tally agent while this process (another node) keeps sending to it across nodes; at a
 * seeded point the daemon is killed with -9 or paused with SIGSTOP past its lease TTL (then resumed
 * with SIGCONT). Checked like Jepsen's checkers: every send that was acknowledged is in the agent's
 * final state exactly once (none lost, none duplicated), and the tree's journal was written under
 * epoch 1 and then epoch 2, never both interleaved (no epoch held by two activations). A failure
 * prints its seed; FAULT_SEED=<n> replays it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { HttpControl } from "../../src/cli/client.js";
import { clusterSubsystem } from "../../src/cluster/index.js";
import { silentLogger } from "../../src/core/index.js";
import { boot } from "../../src/sdk/index.js";
import { useClusterDb } from "./cluster-db.js";
import { TEST_SECRET } from "./node-fixture.js";
import { rng } from "./fault/schedule.js";

const db = useClusterDb("faults", { nats: true, dir: true });

function daemon(data: string, cluster: string): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "--data-dir", data, "--json", "up", "--port", "0", "--cluster", cluster, "--postgres", db.url, "--nats", db.nats.url, "--node", "victim", "--lease-ttl", "1000"], {
    stdio: ["ignore", "pipe", "ignore"],
    env: { ...process.env, AIOS_CLUSTER_SECRET: TEST_SECRET },
  });
  return new Promise((res, rej) => {
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).once("line", (l) => res({ proc, port: (JSON.parse(l) as { port: number }).port }));
    proc.once("exit", (code) => rej(new Error(`aios up exited with ${code}`)));
  });
}

async function runSchedule(fault: "kill" | "pause", seed: number): Promise<void> {
  const r = rng(seed);
  const cluster = `f${seed % 100_000}`;
  const data = join(db.dir, cluster);
  const victim = await daemon(data, cluster);
  const me = await boot({ stack: "bare", durable: true, logger: silentLogger, add: [clusterSubsystem({ postgres: db.url, nats: db.nats.url, secret: TEST_SECRET, config: { cluster, node: "survivor", ttlMs: 1_000, heartbeatMs: 200 } })] });
  await me.subsystems.cluster?.join();
  try {
    const api = new HttpControl(`http://127.0.0.1:${victim.port}`, readFileSync(join(data, "api-token"), "utf8").trim());
    const { id } = await api.spawn({ spec: { name: "tally", kind: "code", module: resolve("tests/cli/fixtures/tally.ts"), export: "tally", durable: true } });
    const faultAt = 5 + Math.floor(r() * 30);
    const total = faultAt + 20;
    const acked: number[] = [];
    for (let seq = 1; seq <= total; seq++) {
      if (seq === faultAt) victim.proc.kill(fault === "kill" ? "SIGKILL" : "SIGSTOP");
      try {
        await me.send(id, { seq });
        acked.push(seq);
      } catch {
        // Not acknowledged: it may or may not arrive; the checker only holds acknowledged ones.
      }
      if (r() < 0.3) await new Promise((res) => setTimeout(res, Math.floor(r() * 20)));
    }
    // The survivor takes the tree over after the TTL and handles what waits for it.
    let seqs: number[] = [];
    for (let i = 0; i < 400; i++) {
      if (me.kernel.find(id) !== undefined) {
        seqs = (await me.request(id, { type: "get" }, { timeoutMs: 10_000 })) as number[];
        if (acked.every((s) => seqs.includes(s))) break;
      }
      await new Promise((res) => setTimeout(res, 25));
    }
    if (fault === "pause") {
      // Resumed, the paused node may try to write under epoch 1: the fence refuses it.
      victim.proc.kill("SIGCONT");
      await me.send(id, { seq: total + 1 });
      acked.push(total + 1);
      for (let i = 0; i < 100 && !seqs.includes(total + 1); i++) seqs = (await me.request(id, { type: "get" }, { timeoutMs: 10_000 })) as number[];
    }
    const lost = acked.filter((s) => !seqs.includes(s));
    const dups = seqs.filter((s, i) => seqs.indexOf(s) !== i);
    expect({ seed, fault, lost, dups }).toEqual({ seed, fault, lost: [], dups: [] });
    // Epochs along the journal: non-decreasing by seq, 1 then 2 (no interleaving of two activations).
    const rows = await db.pool.query("SELECT seq, epoch FROM cluster_journal WHERE cluster = $1 AND agent = $2 ORDER BY seq", [cluster, id]);
    const epochs = rows.rows.map((row) => Number(row["epoch"]));
    expect(epochs.every((e, i) => i === 0 || e >= (epochs[i - 1] ?? 0)), `seed ${seed}: epochs interleaved ${epochs.join(",")}`).toBe(true);
    expect([...new Set(epochs)], `seed ${seed}`).toEqual([1, 2]);
  } finally {
    victim.proc.kill("SIGKILL");
    await me.shutdown();
  }
}

const base = Number(process.env["FAULT_SEED"] ?? Date.now() % 1_000_000);

describe("seeded fault schedule: a node dies or pauses while mail flows to its agent", () => {
  it("kill -9: no acknowledged message lost or duplicated, one epoch per activation", async () => {
    console.log(`fault schedule seed ${base}`);
    await runSchedule("kill", base);
  }, 20_000);

  it("SIGSTOP past the TTL, then SIGCONT: the same, and the resumed node writes nothing", async () => {
    console.log(`fault schedule seed ${base + 1}`);
    await runSchedule("pause", base + 1);
  }, 20_000);
});
