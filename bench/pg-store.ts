/**
 * `npm run bench -- pg-store`: the journal on PostgreSQL beside SQLite (issue #16 item 1), same
 * workload, same process, interleaved (SQLite, PostgreSQL, SQLite, PostgreSQL) so the shared
 * machine's load hits both alike:
 * - appends/s with group commit from 1,000 concurrent producers (records of 1,000 agents: enqueue,
 *   intent, result, handled), acknowledged = committed (SQLite synchronous=FULL; PostgreSQL
 *   synchronous_commit=on with fsync=on);
 * - single-producer append latency p50/p99 (one record per commit: the floor of one durable write);
 * - recovery (open + verify every checksum + fold) of the journal just written.
 * Needs PostgreSQL binaries (scripts/ci-deps.sh); starts its own server in a temp dir, or uses
 * AIOS_BENCH_PG_URL. Args: --appends=<n> (default 100,000), --latency=<n> (default 500).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FileAckMark, Journal, PgDriver, SqliteDriver, type StorageDriver } from "../src/store/index.js";
import { produce, record, spawnAgents } from "./journal-workload.js";
import { startPostgres } from "../tests/helpers/postgres-server.js";
import { percentile, numArg, type Suite } from "./harness.js";


interface Store {
  readonly name: string;
  open(): Promise<Journal>;
}

async function run(store: Store, n: number, latencyN: number): Promise<{ perSec: number; p50: number; p99: number; recoveryMs: number }> {
  const journal = await store.open();
  await spawnAgents(journal);
  const t0 = performance.now();
  await produce(journal, n, 1000);
  const perSec = n / ((performance.now() - t0) / 1000);
  const lat: number[] = [];
  for (let i = 0; i < latencyN; i++) {
    const s = performance.now();
    await journal.append(record(n + i));
    lat.push(performance.now() - s);
  }
  await journal.close();
  const r0 = performance.now();
  const again = await store.open();
  const recoveryMs = performance.now() - r0;
  await again.close();
  return { perSec, p50: percentile(lat, 50), p99: percentile(lat, 99), recoveryMs };
}

const suite: Suite = async (emit, args) => {
  const n = numArg(args, "appends", 100_000);
  const latencyN = numArg(args, "latency", 500);
  const root = mkdtempSync(join(tmpdir(), "aios-bench-pg-"));
  const own = process.env["AIOS_BENCH_PG_URL"] === undefined ? await startPostgres() : undefined;
  const url = process.env["AIOS_BENCH_PG_URL"] ?? (await own!.createDatabase("bench"));
  let k = 0;
  const stores = (): Store[] => {
    const dir = mkdtempSync(join(root, "sqlite-"));
    const schema = `bench_${process.pid}_${++k}`;
    const withDriver = (d: () => StorageDriver, ack?: string) => () => Journal.open(d(), { compactMinRows: Number.MAX_SAFE_INTEGER, ...(ack === undefined ? {} : { ack: new FileAckMark(ack) }) });
    return [
      { name: "sqlite", open: withDriver(() => SqliteDriver.open(dir), join(dir, "journal.ack")) },
      { name: "postgres", open: async () => Journal.open(await PgDriver.open({ url, schema }), { compactMinRows: Number.MAX_SAFE_INTEGER }) },
    ];
  };
  try {
    const results = new Map<string, { perSec: number; p50: number; p99: number; recoveryMs: number }[]>();
    for (let round = 0; round < 2; round++) {
      for (const s of stores()) {
        const r = await run(s, n, latencyN);
        results.set(s.name, [...(results.get(s.name) ?? []), r]);
      }
    }
    for (const [name, rs] of results) {
      const best = <K extends keyof (typeof rs)[number]>(key: K, max: boolean): number => rs.map((r) => r[key]).reduce((a, b) => (max ? Math.max(a, b) : Math.min(a, b)));
      const wl = `${n} appends from 1,000 producers over 1,000 agents, group commit, acknowledged = committed; best of 2 interleaved rounds`;
      emit({ metric: `journal_appends_per_sec_${name}`, value: Math.round(best("perSec", true)), unit: "records/s", workload: wl });
      emit({ metric: `journal_append_p50_ms_${name}`, value: Number(best("p50", false).toFixed(3)), unit: "ms", workload: `${latencyN} sequential appends, one per commit` });
      emit({ metric: `journal_append_p99_ms_${name}`, value: Number(best("p99", false).toFixed(3)), unit: "ms", workload: `${latencyN} sequential appends, one per commit` });
      emit({ metric: `journal_recovery_ms_${name}`, value: Math.round(best("recoveryMs", false)), unit: "ms", workload: `open + verify + fold ${n + latencyN + 1000} records` });
    }
  } finally {
    await own?.dispose();
    rmSync(root, { recursive: true, force: true });
  }
};

export default suite;
