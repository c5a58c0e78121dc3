/**
 * Memory fabric benchmarks (issue #6 item 11, memory half):
 *   - inserts/s without embedding (storeMany batches of 1,000 into SQLite + FTS5, synchronous=FULL)
 *   - hybrid search p50 and recall@10 of its vector side against exact search, over N records with
 *     precomputed 512-d vectors (clustered, like real sentence embeddings; N = --records, default
 *     50,000: an HNSW of 1,000,000 x 512 does not build in minutes on 2 shared cores)
 *   - 3-hop BFS p50 over a graph of --edges typed edges (default 1,000,000) with a node predicate
 * Args: --inserts=N --records=N --edges=N --ef=N --queries=N
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SimulatedClock } from "../src/core/index.js";
import { EdgeGraph, MemoryFabric, type StoreInput } from "../src/memory/index.js";
import { gc, percentile, type Suite } from "./harness.js";

function arg(args: readonly string[], name: string, dflt: number): number {
  // `--name=value` (bench/index.ts passes only dash-prefixed arguments through to the suite).
  const a = args.find((x) => x.startsWith(`--${name}=`));
  const v = a === undefined ? NaN : Number(a.slice(name.length + 3));
  return Number.isFinite(v) && v > 0 ? v : dflt;
}

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

const suite: Suite = async (emit, args) => {
  const inserts = arg(args, "inserts", 100_000);
  const records = arg(args, "records", 50_000);
  const edges = arg(args, "edges", 1_000_000);
  const ef = arg(args, "ef", 96);
  const queries = arg(args, "queries", 200);
  const dir = mkdtempSync(join(tmpdir(), "aios-bench-mem-"));
  const r = rng(7);
  const word = (): string => WORDS[Math.floor(WORDS.length * r() ** 3)] as string;
  const sentence = (n = 8): string => Array.from({ length: n }, word).join(" ");
  try {
    // 1. inserts without embedding
    {
      const f = await MemoryFabric.open({ dataDir: join(dir, "ins"), clock: new SimulatedClock(), dim: 512 });
      const t0 = performance.now();
      for (let i = 0; i < inserts; i += 1000) {
        const batch: StoreInput[] = [];
        for (let j = i; j < Math.min(inserts, i + 1000); j++) batch.push({ type: "note", content: { text: sentence() }, tags: ["bench"], agent: `a${j % 10}` });
        await f.storeMany(batch);
      }
      const s = (performance.now() - t0) / 1000;
      emit({ metric: "memory.insert_rate", value: Math.round(inserts / s), unit: "records/s", workload: `${inserts} note records, storeMany batches of 1000, SQLite WAL synchronous=FULL + FTS5, no embedding`, target: ">= 50000", pass: inserts / s >= 50_000 });
      await f.close();
    }
    gc();
    // 2. hybrid search over records with precomputed 512-d vectors
    {
      const dim = 512;
      const gauss = (): number => Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
      const centers = Array.from({ length: 200 }, () => Float32Array.from({ length: dim }, gauss));
      const point = (): number[] => {
        const c = centers[Math.floor(r() * centers.length)] as Float32Array;
        return Array.from(c, (x) => x + gauss() * 0.6);
      };
      const f = await MemoryFabric.open({ dataDir: join(dir, "hyb"), clock: new SimulatedClock(), dim, hnsw: { M: 16, efConstruction: 100, efSearch: ef } });
      const t0 = performance.now();
      for (let i = 0; i < records; i += 1000) {
        const batch: StoreInput[] = [];
        for (let j = i; j < Math.min(records, i + 1000); j++) batch.push({ type: "note", content: { text: sentence() }, embedding: point(), scope: "global" });
        await f.storeMany(batch);
      }
      const buildS = (performance.now() - t0) / 1000;
      emit({ metric: "memory.hnsw_build", value: Math.round(buildS), unit: "s", workload: `${records} records x ${dim}-d (200 gaussian clusters), M=16 efConstruction=100, including SQLite writes` });
      const lat: number[] = [];
      let hit = 0;
      for (let q = 0; q < queries; q++) {
        const v = point();
        const text = sentence(3);
        const t = performance.now();
        await f.query({ text, vector: v, k: 10 });
        lat.push(performance.now() - t);
        const approx = await f.query({ vector: v, k: 10, mode: "vector" });
        const exact = new Set(f.hnsw.exact(v, 10).map((h) => f.catalog.get(h.label)?.id));
        hit += approx.filter((h) => exact.has(h.id)).length;
      }
      const recall = hit / (queries * 10);
      const p50 = percentile(lat, 50);
      emit({ metric: "memory.hybrid_search_p50", value: Number(p50.toFixed(3)), unit: "ms", workload: `k=10 hybrid (BM25 + HNSW efSearch=${ef}, RRF) over ${records} records x ${dim}-d; issue asks 1,000,000`, target: "<= 5 ms at 1,000,000 records", pass: p50 <= 5 && records >= 1_000_000 });
      emit({ metric: "memory.hybrid_search_p99", value: Number(percentile(lat, 99).toFixed(3)), unit: "ms", workload: `as hybrid_search_p50` });
      emit({ metric: "memory.vector_recall_at_10", value: Number(recall.toFixed(4)), unit: "ratio", workload: `HNSW efSearch=${ef} vs exact search, ${queries} queries, ${records} records x ${dim}-d`, target: ">= 0.95", pass: recall >= 0.95 });
      await f.close();
    }
    gc();
    // 3. 3-hop BFS over a large typed-edge graph
    {
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
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

export default suite;
