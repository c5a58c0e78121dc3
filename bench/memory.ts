/**
 * Memory fabric benchmarks (issue #6 item 11, memory half):
 *   - inserts/s without embedding: storeMany batches of 1,000 into SQLite (WAL, synchronous=FULL,
 *     one transaction per batch) + FTS5; inputs are generated before the clock starts. Wall rate and
 *     CPU rate (records per CPU-second of this process) — the machine is shared, so wall time
 *     includes waiting for a core; the load average goes into the workload text.
 *   - hybrid search p50/p99 and recall@10 of its vector side against exact search, over --records
 *     records with precomputed 512-d vectors: --data=clustered (default: a mixture of 200 gaussian
 *     clusters, closer to real sentence embeddings) or --data=uniform (random directions, HNSW's
 *     hardest case). The built store (memory.db + memory.hnsw) is cached under --cache (default
 *     <os.tmpdir()>/aios-bench-cache), keyed by data kind, size, dimension, HNSW parameters and
 *     seed, so a large index is built once and reused by later runs (--rebuild forces a build).
 *     Default --records=200,000: the build costs ~0.75 CPU-ms per record at that size (HNSW
 *     M=16 efConstruction=100 plus SQLite), so 1,000,000 needs roughly 15 CPU-minutes — run it
 *     once with --records=1000000 on a quiet machine; later runs only open the cached store.
 *     Uniform random 512-d directions need efSearch in the hundreds for recall@10 >= 0.95 (their
 *     nearest neighbours are barely nearer than the rest). A search walks the graph on int8 codes
 *     and re-ranks its best 2k in float32 (hnsw.ts, code-space.ts); recall is always measured
 *     against exact float32 search. Clustered data at 1,000,000 records (M=16, efConstruction=100):
 *     float32 efSearch=200 gave recall 0.932 at ~2.2 ms; on int8 codes efSearch 300 gives 0.964 on
 *     the bench's queries and 0.976 on a held-out query stream (9) at ~1.1-1.2 ms, 400 gives
 *     0.972 / 0.981 at ~1.25-1.6 ms — hence the default --ef=300. BM25 runs the bounded plan of
 *     lexical-plan.ts (rarest terms within 2,000 matching rows). Measured (2026-11-22, taskset -c 1,
 *     nice 10, load ~1.5, three runs, BM25 after HNSW on one thread): hybrid p50 5.1 / 7.6 / 8.5 ms
 *     (5.1 / 7.1 / 7.8 CPU-ms per query), recall 0.964 — a miss. The page cache held only ~2.5 GB of
 *     the 4.5 GB memory.db (the kernel reclaims cold pages), so BM25 and the 10 body reads often go
 *     to disk; the HNSW side alone is ~1.1-1.5 CPU-ms. Figures here vary by +-50% run to run.
 *     Since then BM25 runs on the lexical worker thread (lexical-worker.ts) in parallel with HNSW;
 *     hybrid_search_p50 is that path and hybrid_search_inprocess_p50 the old one, interleaved query
 *     by query (run without taskset: the point is the second core). Measured 2026-11-22, nice 10,
 *     load ~1.3, one run each: 1,000,000 records p50 4.55 vs 5.42 ms, p99 11.7 vs 10.7 ms, 6.1 vs
 *     5.5 CPU-ms/query (the worker adds ~0.6 CPU-ms: message passing plus a second SQLite
 *     connection with its own cache); 200,000 records 2.64 vs 3.02 ms, 3.6 vs 3.3 CPU-ms. The 10
 *     body reads cost ~0.9-1.5 ms at 1,000,000 (scattered pages): one `rec IN (...)` statement
 *     measured the same as ten lookups (page reads dominate), so they stay ten.
 *   - 3-hop BFS p50 over a graph of --edges typed edges (default 1,000,000) with a node predicate.
 * Args: --inserts=N --records=N --edges=N --ef=N --efc=N --queries=N --data=clustered|uniform
 *       --cache=DIR --rebuild --skip=inserts,hybrid,bfs
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync, mkdtempSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { SimulatedClock } from "../src/core/index.js";
import { EdgeGraph, MemoryFabric, SqliteMemoryStorage, type StoreInput } from "../src/memory/index.js";
import { gc, percentile, numArg, strArg, type Emit, type Suite } from "./harness.js";
import { ipcFigures } from "./ipc-figures.js";


function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

// A 20,000-word synthetic vocabulary drawn with a Zipf-like skew, so BM25 sees realistic term
// selectivity (a 20-word vocabulary would make every query match every record).
const WORDS = Array.from({ length: 20_000 }, (_, i) => `w${i.toString(36)}`);
function texts(seed: number): (n?: number) => string {
  const r = rng(seed);
  const word = (): string => WORDS[Math.floor(WORDS.length * r() ** 3)] as string;
  return (n = 8) => Array.from({ length: n }, word).join(" ");
}

/** Deterministic 512-d vectors: the same seed gives the same clusters in every run. */
function vectors(kind: string, dim: number, seed: number): (stream: number) => () => number[] {
  const rc = rng(seed);
  const gaussOf = (r: () => number) => (): number => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
  const g = gaussOf(rc);
  const centers = Array.from({ length: 200 }, () => Float32Array.from({ length: dim }, g));
  return (stream) => {
    const r = rng(seed * 7919 + stream);
    const gauss = gaussOf(r);
    if (kind === "uniform") return () => Array.from({ length: dim }, gauss);
    return () => {
      const c = centers[Math.floor(r() * centers.length)] as Float32Array;
      return Array.from(c, (x) => x + gauss() * 0.6);
    };
  };
}

const load = (): string => `load average ${loadavg().map((x) => x.toFixed(1)).join("/")} on this shared 2-core machine`;

async function inserts(emit: Emit, dir: string, n: number): Promise<void> {
  const f = await MemoryFabric.open({ dataDir: join(dir, "ins"), clock: new SimulatedClock(), dim: 512 });
  const sentence = texts(7);
  const batches: StoreInput[][] = [];
  for (let i = 0; i < n; i += 1000) {
    const batch: StoreInput[] = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) batch.push({ type: "note", content: { text: sentence() }, tags: ["bench"], agent: `a${j % 10}` });
    batches.push(batch);
  }
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (const b of batches) await f.storeMany(b);
  const s = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const cpuS = (c.user + c.system) / 1e6;
  const what = `${n} note records (8 Zipf words each), storeMany batches of 1000, SQLite WAL synchronous=FULL (fsync per batch) + FTS5, no embedding`;
  emit({ metric: "memory.insert_rate", value: Math.round(n / s), unit: "records/s", workload: `${what}; wall clock, ${load()}`, target: ">= 50000", pass: n / s >= 50_000 });
  emit({ metric: "memory.insert_rate_cpu", value: Math.round(n / cpuS), unit: "records/CPU-s", workload: `${what}; records per CPU-second of the process (what one free core would give)` });
  await f.close();
}

interface Built {
  readonly buildS: number;
  readonly buildCpuS: number;
  readonly at: string;
}

/** Opens the cached store for this key, building it first when absent. */
async function hybridStore(emit: Emit, o: { cache: string; kind: string; records: number; dim: number; efc: number; ef: number; rebuild: boolean }): Promise<MemoryFabric> {
  const key = `mem-v2-${o.kind}-${o.records}-d${o.dim}-M16-efc${o.efc}-seed7`;
  const dir = join(o.cache, key);
  const marker = join(dir, "built.json");
  const hnsw = { M: 16, efConstruction: o.efc, efSearch: o.ef };
  const what = `${o.records} records x ${o.dim}-d (${o.kind === "uniform" ? "uniform random directions" : "200 gaussian clusters"}), M=16 efConstruction=${o.efc}`;
  if (o.rebuild) rmSync(dir, { recursive: true, force: true });
  if (!existsSync(marker)) {
    mkdirSync(o.cache, { recursive: true });
    const tmp = mkdtempSync(join(o.cache, `${key}.building-`));
    const f = await MemoryFabric.open({ dataDir: tmp, clock: new SimulatedClock(), dim: o.dim, hnsw });
    const point = vectors(o.kind, o.dim, 7)(1);
    const sentence = texts(8);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < o.records; i += 1000) {
      const batch: StoreInput[] = [];
      for (let j = i; j < Math.min(o.records, i + 1000); j++) batch.push({ type: "note", content: { text: sentence() }, embedding: point(), scope: "global" });
      await f.storeMany(batch);
      if (i % 50_000 === 0 && i > 0) process.stderr.write(`memory bench: built ${i} of ${o.records} in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
    }
    await f.close();
    const c = process.cpuUsage(c0);
    const built: Built = { buildS: (performance.now() - t0) / 1000, buildCpuS: (c.user + c.system) / 1e6, at: new Date().toISOString() };
    writeFileSync(join(tmp, "built.json"), JSON.stringify(built));
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
  }
  const built = JSON.parse(readFileSync(marker, "utf8")) as Built;
  emit({ metric: "memory.hnsw_build", value: Math.round(built.buildS), unit: "s", workload: `${what}, storeMany batches of 1000 including SQLite writes; built ${built.at} (${Math.round(built.buildCpuS)} CPU-s), ${load()}` });
  const t0 = performance.now();
  const f = await MemoryFabric.open({ dataDir: dir, clock: new SimulatedClock(), dim: o.dim, hnsw });
  emit({ metric: "memory.open_cached", value: Number(((performance.now() - t0) / 1000).toFixed(1)), unit: "s", workload: `open of the built store (${what}): catalog from SQLite + saved HNSW file` });
  return f;
}

async function hybrid(emit: Emit, args: readonly string[]): Promise<void> {
  const records = numArg(args, "records", 200_000);
  const kind = strArg(args, "data") ?? "clustered";
  const dim = 512;
  const ef = numArg(args, "ef", 300);
  const efc = numArg(args, "efc", 100);
  const queries = numArg(args, "queries", 200);
  const cache = strArg(args, "cache") ?? join(tmpdir(), "aios-bench-cache");
  const f = await hybridStore(emit, { cache, kind, records, dim, efc, ef, rebuild: args.includes("--rebuild") });
  // Separate query sets per pass, so no pass runs on pages and graph regions the previous one
  // just pulled into the caches (the hybrid pass would otherwise look slower than its parts).
  const querySet = (stream: number): { v: number[]; text: string }[] => {
    const point = vectors(kind, dim, 7)(stream);
    const sentence = texts(stream * 13);
    return Array.from({ length: queries }, () => ({ v: point(), text: sentence(3) }));
  };
  const [qs, qv, ql] = [querySet(2), querySet(3), querySet(4)];
  for (const q of querySet(5).slice(0, 20)) await f.query({ text: q.text, vector: q.v, k: 10 }); // JIT warm-up
  const pass = async (set: typeof qs, run: (q: (typeof qs)[number]) => Promise<unknown>): Promise<{ lat: number[]; cpuMs: number }> => {
    const lat: number[] = [];
    const c0 = process.cpuUsage();
    for (const q of set) {
      const t = performance.now();
      await run(q);
      lat.push(performance.now() - t);
    }
    const c = process.cpuUsage(c0);
    return { lat, cpuMs: (c.user + c.system) / 1000 / set.length };
  };
  // Hybrid queries alternate between the lexical worker (BM25 on the other core, in parallel with
  // HNSW here) and the in-process read (BM25 after HNSW on this thread), on one query set, the
  // starting arm alternating per pair, so both arms see the same caches and the same load.
  const worker = f.storage instanceof SqliteMemoryStorage ? f.storage.lexicalWorker : undefined;
  const before = worker?.answered ?? 0;
  const arms = { worker: { lat: [] as number[], cpuUs: 0 }, inproc: { lat: [] as number[], cpuUs: 0 } };
  for (const [i, q] of qs.entries()) {
    for (const arm of i % 2 === 0 ? (["worker", "inproc"] as const) : (["inproc", "worker"] as const)) {
      if (worker !== undefined) worker.suspended = arm === "inproc";
      const c0 = process.cpuUsage();
      const t = performance.now();
      await f.query({ text: q.text, vector: q.v, k: 10 });
      arms[arm].lat.push(performance.now() - t);
      const c = process.cpuUsage(c0);
      arms[arm].cpuUs += c.user + c.system;
    }
  }
  if (worker !== undefined) worker.suspended = false;
  const answered = (worker?.answered ?? 0) - before;
  const hy = { lat: arms.worker.lat, cpuMs: arms.worker.cpuUs / 1000 / qs.length };
  const hyIn = { lat: arms.inproc.lat, cpuMs: arms.inproc.cpuUs / 1000 / qs.length };
  const ve = await pass(qv, (q) => f.query({ vector: q.v, k: 10, mode: "vector" }));
  const le = await pass(ql, (q) => f.query({ text: q.text, k: 10, mode: "lexical" }));
  const lat = hy.lat;
  let hit = 0;
  const rq = qs.slice(0, Math.min(queries, 100));
  for (const q of rq) {
    const approx = await f.query({ vector: q.v, k: 10, mode: "vector" });
    const exact = new Set(f.hnsw.exact(q.v, 10).map((h) => f.catalog.get(h.label)?.id));
    hit += approx.filter((h) => exact.has(h.id)).length;
  }
  const recall = hit / (rq.length * 10);
  const p50 = percentile(lat, 50);
  const over = `${records} records x ${dim}-d ${kind}`;
  const full = records >= 1_000_000;
  emit({ metric: "memory.hybrid_search_p50", value: Number(p50.toFixed(3)), unit: "ms", workload: `k=10 hybrid (BM25 over 3 Zipf words, bounded plan, on the lexical worker thread (${answered} of ${qs.length} answered there) in parallel with HNSW efSearch=${ef} on int8 codes, float32 re-rank; RRF, 10 bodies read) over ${over}${full ? "" : "; the issue asks 1,000,000"}; ${load()}`, target: "<= 5 ms at 1,000,000 records", pass: p50 <= 5 && full });
  emit({ metric: "memory.hybrid_search_p99", value: Number(percentile(lat, 99).toFixed(3)), unit: "ms", workload: "as hybrid_search_p50" });
  emit({ metric: "memory.hybrid_search_cpu", value: Number(hy.cpuMs.toFixed(3)), unit: "CPU-ms/query", workload: `mean process CPU time per hybrid query (both threads), as hybrid_search_p50` });
  emit({ metric: "memory.hybrid_search_inprocess_p50", value: Number(percentile(hyIn.lat, 50).toFixed(3)), unit: "ms", workload: `as hybrid_search_p50 with BM25 in-process after the vector leg (the lexical worker suspended), interleaved query by query with it on the same queries; p99 ${percentile(hyIn.lat, 99).toFixed(3)} ms, ${hyIn.cpuMs.toFixed(2)} CPU-ms/query` });
  emit({ metric: "memory.vector_search_p50", value: Number(percentile(ve.lat, 50).toFixed(3)), unit: "ms", workload: `k=10 vector-only query through the fabric over ${over} (${ve.cpuMs.toFixed(2)} CPU-ms/query)` });
  emit({ metric: "memory.lexical_search_p50", value: Number(percentile(le.lat, 50).toFixed(3)), unit: "ms", workload: `k=10 BM25-only query (3 Zipf words) through the fabric over ${over} (${le.cpuMs.toFixed(2)} CPU-ms/query)` });
  emit({ metric: "memory.vector_recall_at_10", value: Number(recall.toFixed(4)), unit: "ratio", workload: `HNSW efSearch=${ef} vs exact search, ${rq.length} queries, ${over}`, target: ">= 0.95", pass: recall >= 0.95 });
  await f.close();
}

function bfs(emit: Emit, edges: number, queries: number): void {
  const r = rng(11);
  const nodes = Math.max(10, Math.round(edges / 10));
  const g = new EdgeGraph();
  const live = new Uint8Array(nodes + 1).fill(1);
  const types = ["knows", "cites", "part_of"];
  for (let i = 0; i < edges; i++) g.add(1 + Math.floor(r() * nodes), 1 + Math.floor(r() * nodes), types[i % 3] as string);
  const lat: number[] = [];
  let reached = 0;
  for (let q = 0; q < queries; q++) {
    const start = 1 + Math.floor(r() * nodes);
    const t = performance.now();
    reached += g.bfs(start, { maxDepth: 3, direction: "out", accept: (n) => live[n] === 1 }).length;
    lat.push(performance.now() - t);
  }
  const p50 = percentile(lat, 50);
  emit({ metric: "memory.bfs3_p50", value: Number(p50.toFixed(3)), unit: "ms", workload: `3-hop out-BFS with a node predicate, ${g.edgeCount} edges over ${nodes} nodes (3 edge types), avg ${Math.round(reached / queries)} nodes reached`, target: "<= 10 ms", pass: p50 <= 10 && g.edgeCount >= 1_000_000 * 0.99 });
}

const suite: Suite = async (emit, args) => {
  const skip = (strArg(args, "skip") ?? "").split(",");
  const dir = mkdtempSync(join(tmpdir(), "aios-bench-mem-"));
  try {
    if (!skip.includes("inserts")) await inserts(emit, dir, numArg(args, "inserts", 100_000));
    gc();
    if (!skip.includes("hybrid")) await hybrid(emit, args);
    gc();
    if (!skip.includes("bfs")) bfs(emit, numArg(args, "edges", 1_000_000), numArg(args, "queries", 200));
    gc();
    // The memory suite also carries the IPC figures: intent routing and signed/unsigned envelopes.
    if (!skip.includes("ipc")) await ipcFigures(emit);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

export default suite;
