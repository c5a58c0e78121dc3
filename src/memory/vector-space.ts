/**
 * The flat vector storage of an HNSW index: every vector in one WebAssembly memory, slot after
 * slot, each padded with zeros to a stride of 8 floats (what the SIMD dot needs). Slot 0 is the
 * query scratch; node i lives in slot i + 1. Vectors are written already normalised, so cosine
 * similarity is one dot product. Invariant: `f32` is re-taken after every growth, because growing a
 * WebAssembly memory detaches the old ArrayBuffer. Capacity is bounded by 4 GiB (the 32-bit
 * memory's limit): about 2 million 512-d vectors per index.
 */
import { AiosError } from "../core/index.js";
import { newMemory, simdDot, type DotFn, type WasmMemory } from "./simd-dot.js";

const PAGE = 65_536;
const MAX_PAGES = 65_536;

export class VectorSpace {
  readonly stride: number;
  private readonly strideBytes: number;
  private readonly memory: WasmMemory;
  private readonly wasmDot: DotFn | undefined;
  /** float32 view over the whole memory (slot s starts at s * stride). */
  f32: Float32Array;
  private slots: number;

  /** `simd: false` forces the JavaScript dot (the fallback where WebAssembly SIMD is missing; tests compare the two). */
  constructor(readonly dim: number, initialSlots: number, simd = true) {
    this.stride = Math.ceil(dim / 8) * 8;
    this.strideBytes = this.stride * 4;
    this.slots = Math.max(2, initialSlots);
    this.memory = newMemory(Math.ceil((this.slots * this.strideBytes) / PAGE), MAX_PAGES);
    this.wasmDot = simd ? simdDot(this.memory) : undefined;
    this.f32 = new Float32Array(this.memory.buffer);
    this.slots = Math.floor(this.memory.buffer.byteLength / this.strideBytes);
  }

  get simd(): boolean {
    return this.wasmDot !== undefined;
  }

  /** Makes room for `slots` slots (doubling), or throws E_STORAGE_FULL past 4 GiB. */
  ensure(slots: number): void {
    if (slots <= this.slots) return;
    const want = Math.max(slots, this.slots * 2);
    const have = this.memory.buffer.byteLength / PAGE;
    let pages = Math.ceil((want * this.strideBytes) / PAGE);
    if (pages > MAX_PAGES) pages = MAX_PAGES;
    if (pages * PAGE < slots * this.strideBytes) {
      throw new AiosError("E_STORAGE_FULL", `hnsw: ${slots - 1} vectors of ${this.dim} dimensions exceed one index's 4 GiB`, { retryable: false });
    }
    this.memory.grow(pages - have);
    this.f32 = new Float32Array(this.memory.buffer);
    this.slots = Math.floor(this.memory.buffer.byteLength / this.strideBytes);
  }

  /** Writes a normalised vector (length `dim`) into a slot; the padding stays zero. */
  put(slot: number, v: Float32Array): void {
    this.f32.set(v, slot * this.stride);
  }

  /** Dot product of two slots. */
  dot(a: number, b: number): number {
    if (this.wasmDot !== undefined) return this.wasmDot(a * this.strideBytes, b * this.strideBytes, this.stride);
    const f = this.f32, n = this.stride;
    let i = a * n, j = b * n;
    const end = i + n;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (; i < end; i += 4, j += 4) {
      s0 += (f[i] as number) * (f[j] as number);
      s1 += (f[i + 1] as number) * (f[j + 1] as number);
      s2 += (f[i + 2] as number) * (f[j + 2] as number);
      s3 += (f[i + 3] as number) * (f[j + 3] as number);
    }
    return s0 + s1 + s2 + s3;
  }

  /** The bytes of slots [from, to) (a view, for the file codec). */
  bytes(from: number, to: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, from * this.strideBytes, (to - from) * this.strideBytes);
  }
}
