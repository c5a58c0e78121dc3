/**
 * The dense-vector index: Hierarchical Navigable Small World graphs (Malkov & Yashunin), written
 * here because it is the product's index. Cosine similarity: vectors are normalised on insert, so
 * distance is 1 - dot, computed by a WebAssembly SIMD kernel over one flat memory (vector-space.ts).
 * The graph is built on float32 distances; a search walks it on int8 codes of the same vectors
 * (code-space.ts: a quarter of the memory traffic, which is what a search at 1,000,000 records is
 * bound by) and re-ranks its best candidates in float32, so returned scores are exact cosines.
 * Layer-0 adjacency is one Int32Array with a count slot per node; upper layers, which hold ~1/M of
 * the nodes, are per-node arrays. The hot loops allocate nothing: a generation-stamped visited
 * array, two reusable typed heaps and scratch buffers for candidate lists.
 * Invariants: a node's label (the catalog rowid) maps to one live node; replacing a label's vector
 * tombstones the old node (still traversed, never returned). Search takes a predicate, so filters
 * apply inside the graph walk instead of after a fixed-size fetch.
 */
import { AiosError } from "../core/index.js";
import { CodeSpace } from "./code-space.js";
import { DistHeap } from "./heap.js";
import { readHnsw, writeHnsw } from "./hnsw-file.js";
import type { HnswImage, HnswOptions } from "./hnsw-image.js";
import { VectorSpace } from "./vector-space.js";

export type { HnswOptions } from "./hnsw-image.js";

export interface HnswHit {
  readonly label: number;
  /** Cosine similarity in [-1, 1]. */
  readonly score: number;
}

const QUERY = 0;

export class Hnsw implements HnswImage {
  readonly dim: number;
  readonly M: number;
  readonly M0: number;
  readonly efConstruction: number;
  efSearch: number;
  /** @internal flat state, exposed to the file codec; node i's vector is `vs` slot i + 1 */
  s = { count: 0, capacity: 0, entry: -1, maxLevel: -1, levels: new Uint8Array(0), labels: new Int32Array(0),
    deleted: new Uint8Array(0), layer0: new Int32Array(0), upper: [] as (Int32Array | undefined)[] };
  /** @internal */ readonly vs: VectorSpace;
  /** @internal int8 codes of the same vectors: a search's first pass (node i is code i) */
  readonly cs: CodeSpace;
  private readonly byLabel = new Map<number, number>();
  private visited = new Uint32Array(0);
  private epoch = 0;
  private rng: number;
  private readonly mL: number;
  private live = 0;
  /** Changed since it was loaded or saved (closing an unchanged index skips rewriting its file). */
  dirty = false;
  /** The storage's vector stamp this index was saved with (undefined: a file written without one). */
  stamp: number | undefined;
  private readonly cands = new DistHeap(false);
  private readonly res = new DistHeap(true);
  private wIds = new Int32Array(0);
  private wDs = new Float64Array(0);
  private readonly sel: Int32Array;
  private readonly cIds: Int32Array;
  private readonly cDs: Float64Array;
  private readonly bDs: Float64Array;

  constructor(o: HnswOptions, initialCapacity = 1024) {
    if (!Number.isInteger(o.dim) || o.dim < 1) throw new AiosError("E_INVALID_ARG", "hnsw.dim: must be a positive integer", { details: { path: "hnsw.dim" } });
    this.dim = o.dim;
    this.M = o.M ?? 16;
    this.M0 = this.M * 2;
    this.efConstruction = o.efConstruction ?? 200;
    this.efSearch = o.efSearch ?? 64;
    this.rng = (o.seed ?? 42) >>> 0 || 1;
    this.mL = 1 / Math.log(this.M);
    this.vs = new VectorSpace(this.dim, initialCapacity + 1, o.simd ?? true);
    this.sel = new Int32Array(this.M0 + 1);
    this.cIds = new Int32Array(this.M0 + 1);
    this.cDs = new Float64Array(this.M0 + 1);
    this.cs = new CodeSpace(this.dim, this.M0 + 1, initialCapacity, o.simd ?? true);
    this.bDs = new Float64Array(this.M0 + 1);
    this.grow(initialCapacity);
  }

  get size(): number {
    return this.live;
  }
  has(label: number): boolean {
    return this.byLabel.has(label);
  }

  private random(): number {
    // xorshift32: deterministic levels for a given seed, so tests and benchmarks are reproducible.
    let x = this.rng;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rng = x >>> 0;
    return (this.rng + 1) / 4294967297;
  }

  /** @internal grows the per-node arrays to at least `min` nodes (the file codec calls it too). */
  grow(min: number): void {
    const s = this.s;
    if (s.capacity >= min) return;
    const cap = Math.max(min, s.capacity * 2);
    this.vs.ensure(cap + 1);
    this.cs.ensure(cap);
    const lv = new Uint8Array(cap);
    lv.set(s.levels);
    const lb = new Int32Array(cap);
    lb.set(s.labels);
    const del = new Uint8Array(cap);
    del.set(s.deleted);
    const l0 = new Int32Array(cap * (this.M0 + 1));
    l0.set(s.layer0);
    Object.assign(s, { capacity: cap, levels: lv, labels: lb, deleted: del, layer0: l0 });
    this.visited = new Uint32Array(cap);
    this.epoch = 0;
  }

  /** @internal rebuilds what the file does not hold (label map, int8 codes) after the codec filled `s` and the vectors */
  reindex(): void {
    this.byLabel.clear();
    this.live = 0;
    const f32 = this.vs.f32, stride = this.vs.stride;
    for (let node = 0; node < this.s.count; node++) {
      this.cs.put(node, f32, (node + 1) * stride);
      if (this.s.deleted[node] === 0) {
        this.byLabel.set(this.s.labels[node] as number, node);
        this.live++;
      }
    }
  }

  /** Distance between two nodes, or (a = -1) between the query scratch and a node. */
  private dist(a: number, b: number): number {
    return 1 - this.vs.dot(a + 1, b + 1);
  }

  /** Neighbour list of `node` at `level`: the array, and the offset of its count slot. */
  private arr(node: number, level: number): Int32Array {
    if (level === 0) return this.s.layer0;
    const u = this.s.upper[node];
    if (u === undefined) throw new AiosError("E_INTERNAL", `hnsw: node ${node} has no level ${level}`);
    return u;
  }
  private off(node: number, level: number): number {
    return level === 0 ? node * (this.M0 + 1) : (level - 1) * (this.M + 1);
  }

  normalise(v: ArrayLike<number>): Float32Array {
    if (v.length !== this.dim) throw new AiosError("E_INVALID_ARG", `embedding: expected ${this.dim} dimensions, got ${v.length}`, { details: { path: "embedding" } });
    const out = new Float32Array(this.dim);
    let n = 0;
    for (let i = 0; i < this.dim; i++) {
      const x = v[i] as number;
      if (!Number.isFinite(x)) throw new AiosError("E_INVALID_ARG", `embedding[${i}]: not a finite number`, { details: { path: `embedding.${i}` } });
      out[i] = x;
      n += x * x;
    }
    n = Math.sqrt(n);
    if (n > 0) for (let i = 0; i < this.dim; i++) out[i] = (out[i] as number) / n;
    return out;
  }

  /** Removes a label from results (its node stays in the graph as a waypoint). */
  remove(label: number): void {
    const node = this.byLabel.get(label);
    if (node === undefined) return;
    this.s.deleted[node] = 1;
    this.byLabel.delete(label);
    this.live--;
    this.dirty = true;
  }

  add(label: number, vector: ArrayLike<number>): void {
    const q = this.normalise(vector);
    this.remove(label);
    this.dirty = true;
    const s = this.s;
    this.grow(s.count + 1);
    const node = s.count++;
    this.vs.put(node + 1, q);
    this.cs.put(node, q);
    s.labels[node] = label;
    s.deleted[node] = 0;
    this.byLabel.set(label, node);
    this.live++;
    const level = Math.min(32, Math.floor(-Math.log(this.random()) * this.mL));
    s.levels[node] = level;
    s.layer0[node * (this.M0 + 1)] = 0;
    if (level > 0) s.upper[node] = new Int32Array(level * (this.M + 1));
    if (s.entry < 0) {
      s.entry = node;
      s.maxLevel = level;
      return;
    }
    let cur = s.entry;
    for (let l = s.maxLevel; l > level; l--) cur = this.greedy(node, cur, l);
    if (this.wIds.length < this.efConstruction) {
      this.wIds = new Int32Array(this.efConstruction);
      this.wDs = new Float64Array(this.efConstruction);
    }
    for (let l = Math.min(level, s.maxLevel); l >= 0; l--) {
      this.searchLayer(node, cur, this.efConstruction, l, undefined);
      const wn = this.res.drainAscending(this.wIds, this.wDs);
      const k = this.selectNeighbours(this.wIds, this.wDs, wn, this.M, this.sel);
      const a = this.arr(node, l), o = this.off(node, l);
      a[o] = k;
      for (let i = 0; i < k; i++) a[o + 1 + i] = this.sel[i] as number;
      for (let i = 0; i < k; i++) this.connect(a[o + 1 + i] as number, node, l);
      if (wn > 0) cur = this.wIds[0] as number;
    }
    if (level > s.maxLevel) {
      s.entry = node;
      s.maxLevel = level;
    }
  }

  /** Greedy descent on an upper layer from `start` toward node `q` (-1: the query scratch). */
  private greedy(q: number, start: number, level: number): number {
    let cur = start, curD = this.dist(q, cur), changed = true;
    while (changed) {
      changed = false;
      const a = this.arr(cur, level), o = this.off(cur, level);
      const n = a[o] as number;
      for (let i = 1; i <= n; i++) {
        const c = a[o + i] as number;
        const d = this.dist(q, c);
        if (d < curD) {
          cur = c;
          curD = d;
          changed = true;
        }
      }
    }
    return cur;
  }

  /**
   * hnswlib's heuristic over candidates sorted by distance to the base: keep one only if it is
   * closer to the base than to every one kept. Writes up to `m` ids into `out`; returns how many.
   */
  private selectNeighbours(ids: Int32Array, ds: Float64Array, n: number, m: number, out: Int32Array): number {
    let k = 0;
    for (let i = 0; i < n && k < m; i++) {
      const c = ids[i] as number, cd = ds[i] as number;
      let good = true;
      for (let j = 0; j < k; j++) {
        if (this.dist(c, out[j] as number) < cd) {
          good = false;
          break;
        }
      }
      if (good) out[k++] = c;
    }
    return k;
  }

  private connect(from: number, to: number, level: number): void {
    const max = level === 0 ? this.M0 : this.M;
    const a = this.arr(from, level), o = this.off(from, level);
    const n = a[o] as number;
    if (n < max) {
      a[o + 1 + n] = to;
      a[o] = n + 1;
      return;
    }
    // Full: re-select among the old links plus the new one (insertion sort; at most M0 + 1).
    const ids = this.cIds, ds = this.cDs;
    let c = 0;
    for (let i = 0; i <= n; i++) {
      const id = i === n ? to : (a[o + 1 + i] as number);
      const d = this.dist(from, id);
      let j = c++;
      while (j > 0 && (ds[j - 1] as number) > d) {
        ds[j] = ds[j - 1] as number;
        ids[j] = ids[j - 1] as number;
        j--;
      }
      ds[j] = d;
      ids[j] = id;
    }
    const k = this.selectNeighbours(ids, ds, c, max, this.sel);
    a[o] = k;
    for (let i = 0; i < k; i++) a[o + 1 + i] = this.sel[i] as number;
  }

  /** Beam search of width `ef` at `level` toward node `q` (-1: the query); results in `this.res`. */
  private searchLayer(q: number, ep: number, ef: number, level: number, accept: ((node: number) => boolean) | undefined): void {
    if (++this.epoch === 0xffffffff) {
      this.visited.fill(0);
      this.epoch = 1;
    }
    const vis = this.visited, epoch = this.epoch;
    const cands = this.cands, res = this.res;
    cands.clear();
    res.clear();
    const d0 = this.dist(q, ep);
    vis[ep] = epoch;
    cands.push(ep, d0);
    if (accept === undefined || accept(ep)) res.push(ep, d0);
    let bound = res.size > 0 ? res.topDist() : Infinity;
    const l0 = level === 0 ? this.s.layer0 : undefined, stride = this.M0 + 1;
    while (cands.size > 0) {
      const c = cands.topId(), cd = cands.topDist();
      if (cd > bound && res.size >= ef) break;
      cands.pop();
      const a = l0 ?? this.arr(c, level), o = l0 !== undefined ? c * stride : this.off(c, level);
      const n = a[o] as number;
      for (let i = 1; i <= n; i++) {
        const e = a[o + i] as number;
        if (vis[e] === epoch) continue;
        vis[e] = epoch;
        const d = this.dist(q, e);
        if (res.size < ef || d < bound) {
          cands.push(e, d);
          if (accept === undefined || accept(e)) {
            res.push(e, d);
            if (res.size > ef) res.pop();
          }
          if (res.size > 0) bound = res.topDist();
        }
      }
    }
  }

  /**
   * Approximate k nearest labels by cosine similarity, best first, among labels `accept` admits.
   * The graph walk (beam width `ef`) measures int8 codes; its best `rerank` nodes (default 2k: the
   * codes' rounding moves a distance by ~1e-3, which reorders near-ties, not a top-k node to past
   * 2k — at 1,000,000 clustered records re-ranking k, 2k or all 400 gave the same recall) are then
   * re-measured in float32 and the best k of those returned with float32 scores.
   */
  search(query: ArrayLike<number>, k: number, opts: { ef?: number; rerank?: number; accept?: (label: number) => boolean } = {}): HnswHit[] {
    const s = this.s;
    if (s.entry < 0 || k <= 0) return [];
    const q = this.normalise(query);
    this.vs.put(QUERY, q);
    this.cs.setQuery(q);
    const cs = this.cs, batch = cs.batch, bDs = this.bDs;
    let cur = s.entry;
    batch[0] = cur;
    cs.measure(1, bDs);
    let curD = bDs[0] as number;
    for (let l = s.maxLevel; l > 0; l--) {
      // Greedy descent on the codes: one kernel call per neighbour list.
      for (let changed = true; changed;) {
        changed = false;
        const a = this.arr(cur, l), o = this.off(cur, l);
        const n = a[o] as number;
        for (let i = 0; i < n; i++) batch[i] = a[o + 1 + i] as number;
        cs.measure(n, bDs);
        for (let i = 0; i < n; i++) {
          if ((bDs[i] as number) < curD) {
            curD = bDs[i] as number;
            cur = batch[i] as number;
            changed = true;
          }
        }
      }
    }
    const accept = opts.accept;
    const labels = s.labels, deleted = s.deleted;
    const ok = (node: number): boolean => deleted[node] === 0 && (accept === undefined || accept(labels[node] as number));
    const ef = Math.max(k, opts.ef ?? this.efSearch);
    this.beamCodes(cur, curD, ef, ok);
    const found = this.res.size;
    if (this.wIds.length < found) {
      this.wIds = new Int32Array(found);
      this.wDs = new Float64Array(found);
    }
    const ids = this.wIds, ds = this.wDs;
    this.res.drainAscending(ids, ds);
    const r = Math.min(found, Math.max(k, opts.rerank ?? 2 * k));
    for (let i = 0; i < r; i++) this.res.push(ids[i] as number, this.dist(-1, ids[i] as number));
    const n = Math.min(k, this.res.drainAscending(ids, ds));
    const out: HnswHit[] = [];
    for (let i = 0; i < n; i++) out.push({ label: labels[ids[i] as number] as number, score: 1 - (ds[i] as number) });
    return out;
  }

  /** Layer-0 beam search of width `ef` on the int8 codes from `ep`; results (admitted by `ok`) in `this.res`. */
  private beamCodes(ep: number, epD: number, ef: number, ok: (node: number) => boolean): void {
    if (++this.epoch === 0xffffffff) {
      this.visited.fill(0);
      this.epoch = 1;
    }
    const vis = this.visited, epoch = this.epoch;
    const cands = this.cands, res = this.res, cs = this.cs, batch = cs.batch, bDs = this.bDs;
    cands.clear();
    res.clear();
    vis[ep] = epoch;
    cands.push(ep, epD);
    if (ok(ep)) res.push(ep, epD);
    let bound = res.size > 0 ? res.topDist() : Infinity;
    const l0 = this.s.layer0, stride = this.M0 + 1;
    while (cands.size > 0) {
      if (cands.topDist() > bound && res.size >= ef) break;
      const o = cands.topId() * stride;
      cands.pop();
      const n = l0[o] as number;
      let m = 0;
      for (let i = 1; i <= n; i++) {
        const e = l0[o + i] as number;
        if (vis[e] === epoch) continue;
        vis[e] = epoch;
        batch[m++] = e;
      }
      if (m === 0) continue;
      cs.measure(m, bDs);
      for (let j = 0; j < m; j++) {
        const d = bDs[j] as number;
        if (res.size < ef || d < bound) {
          const e = batch[j] as number;
          cands.push(e, d);
          if (ok(e)) {
            res.push(e, d);
            if (res.size > ef) res.pop();
          }
          if (res.size > 0) bound = res.topDist();
        }
      }
    }
  }

  /** Exact k nearest by brute force (for small filtered sets and for measuring recall). */
  exact(query: ArrayLike<number>, k: number, accept?: (label: number) => boolean): HnswHit[] {
    const s = this.s;
    this.vs.put(QUERY, this.normalise(query));
    const heap = new DistHeap(true);
    for (let node = 0; node < s.count; node++) {
      if (s.deleted[node] === 1) continue;
      if (accept !== undefined && !accept(s.labels[node] as number)) continue;
      this.keep(heap, k, node);
    }
    return heap.sorted().map((r) => ({ label: s.labels[r.id] as number, score: 1 - r.d }));
  }

  /** Exact k nearest among the given labels only (a filter that admits few records). */
  exactAmong(query: ArrayLike<number>, labels: Iterable<number>, k: number, accept?: (label: number) => boolean): HnswHit[] {
    this.vs.put(QUERY, this.normalise(query));
    const heap = new DistHeap(true);
    for (const label of labels) {
      const node = this.byLabel.get(label);
      if (node === undefined || (accept !== undefined && !accept(label))) continue;
      this.keep(heap, k, node);
    }
    return heap.sorted().map((r) => ({ label: this.s.labels[r.id] as number, score: 1 - r.d }));
  }

  private keep(heap: DistHeap, k: number, node: number): void {
    const d = this.dist(-1, node);
    if (heap.size < k) heap.push(node, d);
    else if (d < heap.topDist()) {
      heap.pop();
      heap.push(node, d);
    }
  }

  save(file: string, stamp?: number): void {
    writeHnsw(file, this, stamp);
    this.stamp = stamp;
    this.dirty = false;
  }

  /** Loads a saved index; returns undefined when the file is missing or was written with other parameters. */
  static load(file: string, o: HnswOptions): Hnsw | undefined {
    return readHnsw(file, o, (count) => new Hnsw(o, Math.max(1024, count)));
  }
}
