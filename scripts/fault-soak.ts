/**
 * The fault suite's long form (issue #16 item 7: >= 200 seeded schedules): runs schedules of
 * tests/cluster/fault/harness.ts one after another against one PostgreSQL and one nats-server it
 * starts itself, printing a JSON line per schedule and a summary (violations; failover p50/p99 of
 * every node fault, and of those no other fault overlapped against 2 x the lease TTL). A failing
 * schedule prints its seed; `--seed=<n> --schedules=1` replays it.
 *   npm run fault-soak -- --schedules=200 [--seed=1] [--faults=3] [--span=6000] [--ttl=1000]
 *     [--kinds=pg-restart,skew] (the fault kinds drawn from; default all) [--verbose]
 *     [--net=proxy] (partitions by TCP proxies even where network namespaces are allowed)
 *     [--trees] (the workers are supervised child trees: harness.ts RunOptions.trees)
 */
import { loadavg } from "node:os";
import { runSchedule, startEnv, type ScheduleResult } from "../tests/cluster/fault/harness.js";
import { FAULT_KINDS, type FaultKind } from "../tests/cluster/fault/schedule.js";

function flag(name: string, dflt: number): number {
  const a = process.argv.find((x) => x.startsWith(`--${name}=`));
  const v = a === undefined ? dflt : Number(a.slice(name.length + 3));
  if (!Number.isFinite(v)) throw new Error(`--${name} must be a number`);
  return v;
}

const schedules = flag("schedules", 200);
const first = flag("seed", Date.now() % 1_000_000);
const faults = flag("faults", 3);
const spanMs = flag("span", 6_000);
const ttlMs = flag("ttl", 1_000);
const verbose = process.argv.includes("--verbose");
const kindsArg = process.argv.find((x) => x.startsWith("--kinds="))?.slice("--kinds=".length);
const kinds: readonly FaultKind[] = kindsArg === undefined ? FAULT_KINDS : kindsArg.split(",").map((k) => {
  if (!(FAULT_KINDS as readonly string[]).includes(k)) throw new Error(`--kinds: ${k} is not one of ${FAULT_KINDS.join(", ")}`);
  return k as FaultKind;
});

function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : (s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? 0);
}

/** A failed verdict with at most 10 entries per list (the counts in full). */
function brief(v: ScheduleResult["verdict"]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = Array.isArray(x) ? { n: x.length, first: x.slice(0, 10) } : x;
  return out;
}

// SIGINT/SIGTERM: finish the schedule under way, then stop its servers (never leave them behind).
let stopping = false;
for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => (stopping = true));

const netArg = process.argv.find((x) => x.startsWith("--net="))?.slice("--net=".length);
if (netArg !== undefined && netArg !== "proxy" && netArg !== "netns") throw new Error(`--net: ${netArg} is not netns or proxy`);
const trees = process.argv.includes("--trees");
const env = await startEnv(ttlMs, netArg);
process.stderr.write(`partitions: ${env.net === "netns" ? "network namespaces (ip netns)" : "TCP proxies on loopback"}\n`);
const results: ScheduleResult[] = [];
const failed: number[] = [];
/** Schedules that threw (a node that could not start, a spawn that failed): no verdict. */
const errored: number[] = [];
const t0 = Date.now();
try {
  for (let i = 0; i < schedules && !stopping; i++) {
    const seed = first + i;
    let r: ScheduleResult;
    try {
      r = await runSchedule(env, seed, { faults, spanMs, kinds, trees, ...(verbose ? { log: (l: string) => process.stderr.write(`${l}\n`) } : {}) });
    } catch (e) {
      failed.push(seed);
      errored.push(seed);
      process.stdout.write(`${JSON.stringify({ seed, error: String(e instanceof Error ? e.stack : e) })}\n`);
      continue;
    }
    results.push(r);
    if (!r.ok) failed.push(seed);
    process.stdout.write(`${JSON.stringify({ seed, ok: r.ok, sends: r.sends, acked: r.acked, retried: r.verdict.retried, failovers: r.failovers, isolatedFailovers: r.isolatedFailovers, pgUpFailovers: r.pgUpFailovers, ms: r.ms, steps: r.steps, ...(r.ok ? {} : { verdict: brief(r.verdict) }) })}\n`);
  }
} finally {
  await env.close();
}
const fo = results.flatMap((r) => r.failovers);
const iso = results.flatMap((r) => r.isolatedFailovers);
const pgUp = results.flatMap((r) => r.pgUpFailovers);
process.stdout.write(
  `${JSON.stringify({
    summary: true,
    schedules,
    // Fewer than asked when stopped by a signal.
    ran: results.length + errored.length,
    kinds,
    net: env.net,
    trees,
    passed: results.filter((r) => r.ok).length,
    failedSeeds: failed,
    couldNotRun: errored,
    acked: results.reduce((a, r) => a + r.acked, 0),
    sends: results.reduce((a, r) => a + r.sends, 0),
    retriedExecutions: results.reduce((a, r) => a + r.verdict.retried, 0),
    // Every failover, and those no other fault overlapped (the rest of the cluster healthy): the target.
    failover: { n: fo.length, p50: pct(fo, 50), p99: pct(fo, 99), max: Math.max(0, ...fo), ttlMs },
    isolatedFailover: { n: iso.length, p50: pct(iso, 50), p99: pct(iso, 99), max: Math.max(0, ...iso), target: 2 * ttlMs },
    // Those PostgreSQL stayed up through (other nodes' faults, NATS restarts and skews allowed).
    pgUpFailover: { n: pgUp.length, p50: pct(pgUp, 50), p99: pct(pgUp, 99), max: Math.max(0, ...pgUp), target: 2 * ttlMs },
    minutes: Math.round((Date.now() - t0) / 600) / 100,
    loadavg: loadavg().map((x) => Math.round(x * 10) / 10),
  })}\n`,
);
process.exitCode = failed.length === 0 ? 0 : 1;
