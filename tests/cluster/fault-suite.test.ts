/**
 * The fault-injection suite in CI (issue #16 item 7): three nodes as child processes, a durable
 * workload of agents forwarding to each other across nodes and calling a side-effecting tool, and a
 * seeded schedule of faults per test — kill -9, SIGSTOP/SIGCONT, partitions from PostgreSQL and NATS
 * (TCP proxies), PostgreSQL stopped or crashed and started again, nats-server killed and started again,
 * clock skew (tests/cluster/fault/). The checker must find no acknowledged message lost, no letter
 * handled twice, no effect applied under two idempotency keys, no effect without its letter, no
 * journal whose epochs interleave, no epoch acquired by two nodes, and (every other schedule, whose
 * workers are supervised child trees) exactly one live child per supervisor slot.
 *
 * CI runs FAULT_SCHEDULES schedules (default 2, ~30 s each on a loaded machine); the soak script
 * (`npm run fault-soak -- --schedules=200`) runs hundreds. Each schedule prints its seed;
 * FAULT_SEED=<n> replays it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSchedule, startEnv, type Env } from "./fault/harness.js";
import { FAULT_KINDS, type FaultKind } from "./fault/schedule.js";

const count = Number(process.env["FAULT_SCHEDULES"] ?? 2);
// CI draws from every fault kind but partitions: PostgreSQL stopped or crashed and restarted is in
// since a lost journal write restarts the tree (ADR 0044); partitions cost the most time per schedule
// (a cut node's leases expire) and run in the soak; FAULT_KINDS=all runs them here too.
const CI_KINDS: readonly FaultKind[] = ["kill", "pause", "pg-restart", "nats-restart", "skew"];
const kindsEnv = process.env["FAULT_KINDS"];
const kinds: readonly FaultKind[] = kindsEnv === "all" ? FAULT_KINDS : kindsEnv === undefined ? CI_KINDS : (kindsEnv.split(",") as FaultKind[]);
const base = Number(process.env["FAULT_SEED"] ?? Date.now() % 1_000_000);
let env: Env;
beforeAll(async () => {
  env = await startEnv(1_000);
}, 60_000);
afterAll(async () => {
  await env.close();
}, 30_000);

describe("seeded fault schedules against three node processes", () => {
  for (let i = 0; i < count; i++) {
    const seed = base + i;
    it(`schedule ${seed}: nothing acknowledged lost, nothing run twice, one activation per epoch`, async () => {
      const lines: string[] = [];
      // Every other schedule's workers are supervised child trees (ADR 0048): one live child per slot.
      const r = await runSchedule(env, seed, { spanMs: 5_000, kinds, trees: i % 2 === 1, log: (l) => lines.push(l) });
      console.log(`fault schedule seed ${seed} (FAULT_SEED=${seed} replays it): ${r.acked}/${r.sends} sends acknowledged, failovers ${JSON.stringify(r.failovers)} ms\n${r.steps.join("\n")}`);
      // The workload ran and was judged: some sends were acknowledged and the states were read.
      expect(r.acked).toBeGreaterThan(0);
      const { retried: _, ...violations } = r.verdict;
      expect(violations, `seed ${seed}\n${lines.join("\n")}`).toEqual({ lost: [], duplicated: [], dupEffects: [], missingEffects: [], orphanEffects: [], epochOrder: [], sharedEpochs: [], slots: [] });
    }, 120_000);
  }
});
