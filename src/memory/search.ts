/**
 * Hybrid retrieval: BM25 over FTS5 and cosine over HNSW, fused by reciprocal rank (score =
 * sum of 1/(60 + rank) over the lists a record appears in), under the caller's visibility and
 * filter, then an optional rerank hook. Small candidate sets (a private namespace inside a big
 * store) are searched exactly instead of through the graph, because a filtered graph walk that
 * admits few nodes degrades to a slow full walk with poor recall.
 * The lexical leg is issued before the vector leg and awaited after it: a file-backed store of
 * 50,000+ records answers it on a worker thread (sqlite-storage.ts, lexical-worker.ts), so both
 * legs run at once on the two cores; the fused answer is the same either way (tested). Measured at
 * 1,000,000 records (bench/memory.ts, interleaved A/B, one run, load ~1.3): p50 4.55 ms with the
 * worker vs 5.42 ms in-process, at ~0.6 more CPU-ms per query; 200,000 records 2.64 vs 3.02 ms.
 * Lexical-only queries stay in-process: with nothing to overlap, the round trip (+0.1-0.2 ms at
 * 5,000-50,000 records) is pure cost.
 */
import type { AccessControl, Actor } from "./access.js";
import type { Catalog, MemoryFilter } from "./catalog.js";
import type { Embedder } from "./embedder.js";
import type { Hnsw } from "./hnsw.js";
import type { MemoryStorage } from "./storage.js";

export const RRF_K = 60;
const EXACT_BELOW = 4096;

export interface MemoryHit {
  readonly id: string;
  readonly score: number;
  readonly type: string;
  readonly scope: string;
  readonly namespace: string;
  readonly tags: readonly string[];
  readonly version: string;
  readonly content: unknown;
  readonly lexicalRank?: number;
  readonly vectorRank?: number;
  /** Cosine similarity of the vector match. */
  readonly similarity?: number;
}

export type RerankHook = (query: { text?: string; vector?: readonly number[] }, hits: MemoryHit[]) => MemoryHit[] | Promise<MemoryHit[]>;

export interface SearchDeps {
  readonly catalog: Catalog;
  readonly storage: MemoryStorage;
  readonly hnsw: Hnsw;
  readonly access: AccessControl;
  readonly embedder: Embedder | undefined;
  readonly now: number;
}

export interface SearchRequest {
  readonly text?: string | undefined;
  readonly vector?: readonly number[] | undefined;
  readonly k: number;
  readonly filter: MemoryFilter;
  readonly mode: "hybrid" | "lexical" | "vector";
  readonly ef?: number | undefined;
  readonly rerank?: RerankHook | undefined;
}

export async function search(d: SearchDeps, req: SearchRequest, actor: Actor): Promise<MemoryHit[]> {
  const accept = d.catalog.compile(actor, d.access, req.filter, d.now);
  const pool = Math.max(req.k * 4, 40);
  const fused = new Map<number, { score: number; lexicalRank?: number; vectorRank?: number; similarity?: number }>();

  // The lexical leg starts first: with a worker-backed store it runs on the other core while this
  // thread walks the HNSW graph (storage.lexical returns a pending promise); in-process it has
  // already run by the time the call returns. Either way the fusion below is the same.
  const lexical = req.mode !== "vector" && req.text !== undefined && req.text.trim() !== "";
  const vectorLeg = req.mode !== "lexical" && d.hnsw.size > 0 && (req.vector !== undefined || (lexical && d.embedder !== undefined));
  let limit = pool * 4;
  const firstRows = lexical && req.text !== undefined ? d.storage.lexical(req.text, limit, { overlap: vectorLeg }) : undefined;
  // Handled where it is awaited; this only keeps a rejection during the embedder's await from
  // being reported as unhandled.
  firstRows?.catch(() => undefined);

  let vector = req.vector;
  if (vector === undefined && req.mode !== "lexical" && req.text !== undefined && req.text.trim() !== "" && d.embedder !== undefined) {
    vector = Array.from((await d.embedder.embed([req.text]))[0] ?? []);
  }
  let vectorHits: readonly { label: number; score: number }[] = [];
  if (req.mode !== "lexical" && vector !== undefined && d.hnsw.size > 0) {
    const cands = d.catalog.candidateRows(actor, d.access, req.filter);
    vectorHits = cands.count <= EXACT_BELOW
      ? d.hnsw.exactAmong(vector, iterSets(cands.sets), pool, accept)
      : d.hnsw.search(vector, pool, { ef: Math.max(req.ef ?? d.hnsw.efSearch, pool), accept });
  }

  if (firstRows !== undefined && req.text !== undefined) {
    let rows = await firstRows;
    let ranked: number[] = [];
    // Widen the BM25 window until enough visible matches are found or the matches run out.
    for (;;) {
      ranked = rows.filter((r) => accept(r.rowid)).map((r) => r.rowid);
      if (ranked.length >= pool || rows.length < limit || limit >= 100_000) break;
      limit *= 8;
      rows = await d.storage.lexical(req.text, limit);
    }
    ranked.slice(0, pool).forEach((rowid, i) => fused.set(rowid, { score: 1 / (RRF_K + i + 1), lexicalRank: i + 1 }));
  }
  vectorHits.forEach((h, i) => {
    const prev = fused.get(h.label);
    const s = 1 / (RRF_K + i + 1);
    fused.set(h.label, { ...prev, score: (prev?.score ?? 0) + s, vectorRank: i + 1, similarity: h.score });
  });

  const top = [...fused.entries()].sort((a, b) => b[1].score - a[1].score || a[0] - b[0]).slice(0, req.rerank === undefined ? req.k : pool);
  const hits: MemoryHit[] = [];
  for (const [rowid, f] of top) {
    const m = d.catalog.get(rowid);
    const head = m?.heads[0];
    if (m === undefined || head === undefined) continue;
    const v = await d.storage.getVersion(head, rowid); // by its record: the store's index is (record, hash)
    hits.push({ id: m.id, score: f.score, type: m.type, scope: m.scope, namespace: m.namespace, tags: m.tags, version: head, content: v?.content ?? null, ...pick(f) });
  }
  if (req.rerank === undefined) return hits;
  const reranked = await req.rerank({ ...(req.text === undefined ? {} : { text: req.text }), ...(vector === undefined ? {} : { vector }) }, hits);
  // The hook may reorder or drop hits, never inject records the caller cannot see.
  const allowed = new Set(hits.map((h) => h.id));
  return reranked.filter((h) => allowed.has(h.id)).slice(0, req.k);
}

function pick(f: { lexicalRank?: number; vectorRank?: number; similarity?: number }): Partial<MemoryHit> {
  return {
    ...(f.lexicalRank === undefined ? {} : { lexicalRank: f.lexicalRank }),
    ...(f.vectorRank === undefined ? {} : { vectorRank: f.vectorRank }),
    ...(f.similarity === undefined ? {} : { similarity: f.similarity }),
  };
}

function* iterSets(sets: readonly Set<number>[]): Generator<number> {
  for (const s of sets) yield* s;
}
