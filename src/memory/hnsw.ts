/**
 * The dense-vector index: Hierarchical Navigable Small World graphs (Malkov & Yashunin), written
 * here because it is the product's index. Cosine similarity: vectors are normalised on insert, so
 * distance is 1 - dot. Storage is flat typed arrays (vectors in one Float32Array, layer-0 adjacency
 * in one Int32Array with a count slot per node); upper layers, which hold ~1/M of the nodes, are
 * per-node arrays. Invariants: a node's label (the catalog rowid) maps to one live node; replacing a
 * label's vector tombstones the old node (still traversed, never returned). Search takes a
 * predicate, so filters apply inside the graph walk instead of after a fixed-size fetch.
 */
import { AiosError } from "../core/index.js";
import { DistHeap } from "./heap.js";
import { readHnsw, writeHnsw } from "./hnsw-file.js";

export interface HnswOptions {
  readonly dim: number;
  /** Links per node on upper layers (layer 0 keeps 2*M). */
  readonly M?: number;
  readonly efConstruction?: number;
  readonly efSearch?: number;
  readonly seed?: number;
}

export interface HnswHit {
  readonly label: number;
  /** Cosine similarity in [-1, 1]. */
  readonly score: number;
}

export class Hnsw {
  readonly dim: number;
  readonly M: number;
  readonly M0: number;
  readonly efConstruction: number;
  efSearch: number;
  /** @internal flat state, exposed to the file codec */
  s = { count: 0, capacity: 0, entry: -1, maxLevel: -1, vectors: new Float32Array(0), levels: new Uint8Array(0), labels: new Int32Array(0),
    deleted: new Uint8Array(0), layer0: new Int32Array(0), upper: [] as (Int32Array | undefined)[] };
  private readonly byLabel = new Map<number, number>();
  private visited = new Uint32Array(0);
  private epoch = 0;
  private rng: number;
  private readonly mL: number;
  private live = 0;

  constructor(o: HnswOptions) {
    if (!Number.isInteger(o.dim) || o.dim < 1) throw new AiosError("E_INVALID_ARG", "hnsw.dim: must be a positive integer", { details: { path: "hnsw.dim" } });
    this.dim = o.dim;
    this.M = o.M ?? 16;
    this.M0 = this.M * 2;
    this.efConstruction = o.efConstruction ?? 200;
    this.efSearch = o.efSearch ?? 64;
    this.rng = (o.seed ?? 42) >>> 0 || 1;
    this.mL = 1 / Math.log(this.M);
    this.grow(1024);
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

  private grow(min: number): void {
    const s = this.s;
    if (s.capacity >= min) return;
    const cap = Math.max(min, s.capacity * 2);
    const v = new Float32Array(cap * this.dim);
    v.set(s.vectors);
    const lv = new Uint8Array(cap);
    lv.set(s.levels);
    const lb = new Int32Array(cap);
    lb.set(s.labels);
    const del = new Uint8Array(cap);
    del.set(s.deleted);
    const l0 = new Int32Array(cap * (this.M0 + 1));
    l0.set(s.layer0);
    Object.assign(s, { capacity: cap, vectors: v, levels: lv, labels: lb, deleted: del, layer0: l0 });
    this.visited = new Uint32Array(cap);
    this.epoch = 0;
  }

  private dot(q: Float32Array, node: number): number {
    const v = this.s.vectors;
    const dim = this.dim;
    let o = node * dim;
    let a = 0, b = 0, c = 0, d = 0;
    let i = 0;
    for (; i + 3 < dim; i += 4, o += 4) {
      a += (q[i] as number) * (v[o] as number);
      b += (q[i + 1] as number) * (v[o + 1] as number);
      c += (q[i + 2] as number) * (v[o + 2] as number);
      d += (q[i + 3] as number) * (v[o + 3] as number);
    }
    for (; i < dim; i++, o++) a += (q[i] as number) * (v[o] as number);
    return a + b + c + d;
  }

  private dist(q: Float32Array, node: number): number {
    return 1 - this.dot(q, node);
  }

  private vec(node: number): Float32Array {
    return this.s.vectors.subarray(node * this.dim, (node + 1) * this.dim);
  }

  /** Neighbour list of `node` at `level`: [array, offset of the count slot]. */
  private links(node: number, level: number): [Int32Array, number] {
    if (level === 0) return [this.s.layer0, node * (this.M0 + 1)];
    const u = this.s.upper[node];
    if (u === undefined) throw new AiosError("E_INTERNAL", `hnsw: node ${node} has no level ${level}`);
    return [u, (level - 1) * (this.M + 1)];
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
  }

  add(label: number, vector: ArrayLike<number>): void {
    const q = this.normalise(vector);
    this.remove(label);
    const s = this.s;
    this.grow(s.count + 1);
    const node = s.count++;
    s.vectors.set(q, node * this.dim);
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
    let curD = this.dist(q, cur);
    for (let l = s.maxLevel; l > level; l--) [cur, curD] = this.greedy(q, cur, curD, l);
    for (let l = Math.min(level, s.maxLevel); l >= 0; l--) {
      const w = this.searchLayer(q, cur, this.efConstruction, l, undefined).sorted();
      const chosen = this.selectNeighbours(w, this.M);
      const [arr, off] = this.links(node, l);
      arr[off] = chosen.length;
      chosen.forEach((n, i) => (arr[off + 1 + i] = n));
      for (const n of chosen) this.connect(n, node, l);
      const best = w[0];
      if (best !== undefined) [cur, curD] = [best.id, best.d];
    }
    if (level > s.maxLevel) {
      s.entry = node;
      s.maxLevel = level;
    }
  }

  private greedy(q: Float32Array, start: number, startD: number, level: number): [number, number] {
    let cur = start, curD = startD, changed = true;
    while (changed) {
      changed = false;
      const [arr, off] = this.links(cur, level);
      const n = arr[off] as number;
      for (let i = 1; i <= n; i++) {
        const c = arr[off + i] as number;
        const d = this.dist(q, c);
        if (d < curD) [cur, curD, changed] = [c, d, true];
      }
    }
    return [cur, curD];
  }

  /** hnswlib's heuristic: keep a candidate only if it is closer to the base than to any kept one. */
  private selectNeighbours(sortedCands: readonly { id: number; d: number }[], m: number): number[] {
    const out: number[] = [];
    for (const c of sortedCands) {
      if (out.length >= m) break;
      const cv = this.vec(c.id);
      let good = true;
      for (const r of out) {
        if (this.dist(cv, r) < c.d) {
          good = false;
          break;
        }
      }
      if (good) out.push(c.id);
    }
    return out;
  }

  private connect(from: number, to: number, level: number): void {
    const max = level === 0 ? this.M0 : this.M;
    const [arr, off] = this.links(from, level);
    const n = arr[off] as number;
    if (n < max) {
      arr[off + 1 + n] = to;
      arr[off] = n + 1;
      return;
    }
    const base = this.vec(from);
    const cands = [{ id: to, d: this.dist(base, to) }];
    for (let i = 1; i <= n; i++) {
      const id = arr[off + i] as number;
      cands.push({ id, d: this.dist(base, id) });
    }
    cands.sort((a, b) => a.d - b.d);
    const kept = this.selectNeighbours(cands, max);
    arr[off] = kept.length;
    kept.forEach((id, i) => (arr[off + 1 + i] = id));
  }

  private searchLayer(q: Float32Array, ep: number, ef: number, level: number, accept: ((node: number) => boolean) | undefined): DistHeap {
    if (++this.epoch === 0xffffffff) {
      this.visited.fill(0);
      this.epoch = 1;
    }
    const vis = this.visited, epoch = this.epoch;
    const cands = new DistHeap(false);
    const res = new DistHeap(true);
    const d0 = this.dist(q, ep);
    vis[ep] = epoch;
    cands.push(ep, d0);
    if (accept === undefined || accept(ep)) res.push(ep, d0);
    let bound = res.size > 0 ? res.topDist() : Infinity;
    while (cands.size > 0) {
      const c = cands.topId(), cd = cands.topDist();
      if (cd > bound && res.size >= ef) break;
      cands.pop();
      const [arr, off] = this.links(c, level);
      const n = arr[off] as number;
      for (let i = 1; i <= n; i++) {
        const e = arr[off + i] as number;
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
    return res;
  }

  /** Approximate k nearest labels by cosine similarity, best first, among labels `accept` admits. */
  search(query: ArrayLike<number>, k: number, opts: { ef?: number; accept?: (label: number) => boolean } = {}): HnswHit[] {
    const s = this.s;
    if (s.entry < 0 || k <= 0) return [];
    const q = this.normalise(query);
    let cur = s.entry;
    let curD = this.dist(q, cur);
    for (let l = s.maxLevel; l > 0; l--) [cur, curD] = this.greedy(q, cur, curD, l);
    const accept = opts.accept;
    const labels = s.labels, deleted = s.deleted;
    const ok = (node: number): boolean => deleted[node] === 0 && (accept === undefined || accept(labels[node] as number));
    const res = this.searchLayer(q, cur, Math.max(k, opts.ef ?? this.efSearch), 0, ok).sorted();
    return res.slice(0, k).map((r) => ({ label: labels[r.id] as number, score: 1 - r.d }));
  }

  /** Exact k nearest by brute force (for small filtered sets and for measuring recall). */
  exact(query: ArrayLike<number>, k: number, accept?: (label: number) => boolean): HnswHit[] {
    const q = this.normalise(query);
    const heap = new DistHeap(true);
    const s = this.s;
    for (let node = 0; node < s.count; node++) {
      if (s.deleted[node] === 1) continue;
      const label = s.labels[node] as number;
      if (accept !== undefined && !accept(label)) continue;
      const d = this.dist(q, node);
      if (heap.size < k) heap.push(node, d);
      else if (d < heap.topDist()) {
        heap.pop();
        heap.push(node, d);
      }
    }
    return heap.sorted().map((r) => ({ label: s.labels[r.id] as number, score: 1 - r.d }));
  }

  /** Exact k nearest among the given labels only (a filter that admits few records). */
  exactAmong(query: ArrayLike<number>, labels: Iterable<number>, k: number, accept?: (label: number) => boolean): HnswHit[] {
    const q = this.normalise(query);
    const heap = new DistHeap(true);
    for (const label of labels) {
      const node = this.byLabel.get(label);
      if (node === undefined || (accept !== undefined && !accept(label))) continue;
      const d = this.dist(q, node);
      if (heap.size < k) heap.push(node, d);
      else if (d < heap.topDist()) {
        heap.pop();
        heap.push(node, d);
      }
    }
    return heap.sorted().map((r) => ({ label: this.s.labels[r.id] as number, score: 1 - r.d }));
  }

  save(file: string): void {
    writeHnsw(file, this);
  }

  /** Loads a saved index; returns undefined when the file is missing or was written with other parameters. */
  static load(file: string, o: HnswOptions): Hnsw | undefined {
    const h = new Hnsw(o);
    if (!readHnsw(file, h)) return undefined;
    for (let node = 0; node < h.s.count; node++) {
      if (h.s.deleted[node] === 0) {
        h.byLabel.set(h.s.labels[node] as number, node);
        h.live++;
      }
    }
    h.visited = new Uint32Array(h.s.capacity);
    return h;
  }
}
