/**
 * The int8 codes of an HNSW index's vectors: the first pass of a search walks the graph on these
 * and re-ranks its short list with the float32 vectors (vector-space.ts). A search at 1,000,000
 * records reads a few thousand scattered vectors and is bound by memory latency; an int8 code is a
 * quarter of a float32 vector's cache lines, so the same time buys a wider beam (more recall).
 *
 * Quantisation: each node's normalised vector is scaled so its largest component is +-127 (the
 * scale kept per node as float32); the query is scaled to +-16,383 in int16, so the query loses
 * next to nothing and a distance is 1 - qScale * nodeScale * (integer dot). The integer dot is
 * exact; only the nodes' rounding (half a step of max|x|/127 per component) separates the first
 * pass's ranking from the float32 one, which is why the caller re-ranks.
 *
 * Layout of the one WebAssembly memory (the kernel in simd-dot.ts links to it): the query's int16
 * code at 0, then a batch of node ids, then the kernel's i32 results, then node i's code at
 * `base + i * stride` (stride: dim rounded up to 16 bytes, zero padding). Invariant: the typed
 * views are re-taken after every growth (growing a WebAssembly memory detaches its buffer).
 * Without WebAssembly SIMD the same integer dot runs in JavaScript.
 */
import { AiosError } from "../core/index.js";
import { newMemory, simdDots, type DotsFn, type WasmMemory } from "./simd-dot.js";

const PAGE = 65_536;
const MAX_PAGES = 65_536;
const NODE_MAX = 127;
const QUERY_MAX = 16_383;

const align64 = (n: number): number => Math.ceil(n / 64) * 64;

export class CodeSpace {
  readonly stride: number;
  /** Most ids one `measure` call takes. */
  readonly batchMax: number;
  private readonly idsAt: number;
  private readonly outAt: number;
  private readonly base: number;
  private readonly memory: WasmMemory;
  private readonly kernel: DotsFn | undefined;
  private capacity: number;
  private scales = new Float32Array(0);
  private qScale = 0;
  private i8!: Int8Array;
  private q16!: Int16Array;
  /** Node ids to measure: fill the first n, then call `measure(n, ...)`. */
  batch!: Int32Array;
  private out!: Int32Array;

  /** `simd: false` forces the JavaScript dot (the fallback where WebAssembly SIMD is missing; tests compare the two). */
  constructor(readonly dim: number, batchMax: number, initialNodes: number, simd = true) {
    this.stride = Math.ceil(dim / 16) * 16;
    this.batchMax = batchMax;
    this.idsAt = align64(this.stride * 2);
    this.outAt = align64(this.idsAt + batchMax * 4);
    this.base = align64(this.outAt + batchMax * 4);
    this.capacity = Math.max(1, initialNodes);
    this.memory = newMemory(Math.ceil((this.base + this.capacity * this.stride) / PAGE), MAX_PAGES);
    this.kernel = simd ? simdDots(this.memory) : undefined;
    this.views();
  }

  get simd(): boolean {
    return this.kernel !== undefined;
  }

  private views(): void {
    const buf = this.memory.buffer;
    this.capacity = Math.floor((buf.byteLength - this.base) / this.stride);
    // One scale per code the memory can hold (the memory grows in whole pages, past what was asked).
    if (this.scales.length < this.capacity) {
      const scales = new Float32Array(this.capacity);
      scales.set(this.scales);
      this.scales = scales;
    }
    this.i8 = new Int8Array(buf);
    this.q16 = new Int16Array(buf, 0, this.stride);
    this.batch = new Int32Array(buf, this.idsAt, this.batchMax);
    this.out = new Int32Array(buf, this.outAt, this.batchMax);
  }

  /** Makes room for nodes [0, nodes) (doubling), or throws E_STORAGE_FULL past 4 GiB. */
  ensure(nodes: number): void {
    if (nodes <= this.capacity) return;
    const want = Math.max(nodes, this.capacity * 2);
    let pages = Math.ceil((this.base + want * this.stride) / PAGE);
    if (pages > MAX_PAGES) pages = MAX_PAGES;
    if (pages * PAGE < this.base + nodes * this.stride) {
      throw new AiosError("E_STORAGE_FULL", `hnsw: ${nodes} int8 codes of ${this.dim} dimensions exceed one memory's 4 GiB`, { retryable: false });
    }
    this.memory.grow(pages - this.memory.buffer.byteLength / PAGE);
    this.views();
  }

  /** Writes node `node`'s code from its normalised vector (`v`, `dim` long, read from `from`). */
  put(node: number, v: ArrayLike<number>, from = 0): void {
    let max = 0;
    for (let i = 0; i < this.dim; i++) max = Math.max(max, Math.abs(v[from + i] as number));
    const at = this.base + node * this.stride, i8 = this.i8;
    const inv = max > 0 ? NODE_MAX / max : 0;
    for (let i = 0; i < this.dim; i++) i8[at + i] = Math.round((v[from + i] as number) * inv);
    this.scales[node] = max / NODE_MAX;
  }

  /** Sets the query every later `measure` compares against. */
  setQuery(v: ArrayLike<number>): void {
    let max = 0;
    for (let i = 0; i < this.dim; i++) max = Math.max(max, Math.abs(v[i] as number));
    const inv = max > 0 ? QUERY_MAX / max : 0, q = this.q16;
    for (let i = 0; i < this.dim; i++) q[i] = Math.round((v[i] as number) * inv);
    this.qScale = max / QUERY_MAX;
  }

  /** Distances (1 - approximate cosine) from the query to `batch[0..n)`, written into `ds`. */
  measure(n: number, ds: Float64Array): void {
    const out = this.out, ids = this.batch, scales = this.scales, qs = this.qScale;
    if (this.kernel !== undefined) this.kernel(0, this.base, this.stride, this.idsAt, n, this.outAt);
    else this.jsDots(n);
    for (let i = 0; i < n; i++) ds[i] = 1 - qs * (scales[ids[i] as number] as number) * (out[i] as number);
  }

  private jsDots(n: number): void {
    const i8 = this.i8, q = this.q16, stride = this.stride;
    for (let i = 0; i < n; i++) {
      const at = this.base + (this.batch[i] as number) * stride;
      let s = 0;
      for (let j = 0; j < stride; j++) s += (q[j] as number) * (i8[at + j] as number);
      this.out[i] = s;
    }
  }
}
