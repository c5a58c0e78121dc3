/**
 * WebAssembly SIMD kernels for HNSW, assembled here byte by byte (no toolchain dependency):
 *   - `dot(a, b, n)`: a float32 dot product. Scalar JavaScript runs a 512-d dot at ~400 ns on this
 *     class of machine; f32x4 lanes with two accumulators do it several times faster.
 *   - `dots(q, base, stride, ids, n, out)`: the int8 first pass of a search. For each of `n` node
 *     ids (i32 at byte offset `ids`) it takes the node's int8 code (at `base + id * stride`) and the
 *     query's int16 code (at `q`), and stores their integer dot at `out` (i32 per id). One call per
 *     neighbour list: a graph search visits a few thousand scattered vectors per query, so it is
 *     bound by memory latency, not arithmetic — the call first touches one byte of every 64-byte
 *     line of every listed code (independent loads the CPU overlaps, a software prefetch), then
 *     computes; an int8 code is a quarter of a float32 vector's cache lines.
 *
 * Contracts: `dot` takes byte offsets of two float32 vectors in the memory passed in, and `n` a
 * multiple of 8 (callers pad vectors with zeros to a stride of 8 floats); it accumulates in float32
 * lanes (a ranking distance, not an exact sum). `dots` needs `stride` a multiple of 16 with zero
 * padding in both codes; sums stay within i32 while |query code| <= 16,383 and |node code| <= 127
 * (16,383 x 127 x 1,024 dimensions < 2^31). The builders return undefined where WebAssembly SIMD
 * is unavailable, and the caller falls back to JavaScript.
 */

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

/** Signed LEB128 (what i32.const takes: 64 needs two bytes). */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...leb(body.length), ...body];
}

const SIMD = 0xfd;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21, LOCAL_TEE = 0x22, I32_CONST = 0x41, I32_ADD = 0x6a, I32_SHL = 0x74, I32_GE_U = 0x4f, F32_ADD = 0x92;
const v128Load = (offset: number): number[] => [SIMD, 0x00, 0x02, ...leb(offset)];
const F32X4_ADD = [SIMD, ...leb(0xe4)], F32X4_MUL = [SIMD, ...leb(0xe6)];
const lane = (i: number): number[] => [SIMD, 0x1f, i];
const I32_MUL = 0x6c, I32_LOAD = 0x28, I32_LOAD8_U = 0x2d, I32_STORE = 0x36;
const V128_LOAD8X8_S = (offset: number): number[] => [SIMD, 0x01, 0x00, ...leb(offset)];
const V128_ZERO = [SIMD, 0x0c, ...new Array<number>(16).fill(0)];
const I32X4_ADD = [SIMD, ...leb(0xae)], I32X4_DOT_I16X8_S = [SIMD, ...leb(0xba)];
const ilane = (i: number): number[] => [SIMD, 0x1b, i];
const get = (i: number): number[] => [LOCAL_GET, i];
const set = (i: number): number[] => [LOCAL_SET, i];

// params: 0 a, 1 b, 2 n; locals: 3 end (i32), 4 acc0, 5 acc1 (v128)
const body = [
  2, 1, 0x7f, 2, 0x7b,
  ...get(0), ...get(2), I32_CONST, 2, I32_SHL, I32_ADD, ...set(3),
  0x02, 0x40, 0x03, 0x40,
  ...get(0), ...get(3), I32_GE_U, 0x0d, 1,
  ...get(4), ...get(0), ...v128Load(0), ...get(1), ...v128Load(0), ...F32X4_MUL, ...F32X4_ADD, ...set(4),
  ...get(5), ...get(0), ...v128Load(16), ...get(1), ...v128Load(16), ...F32X4_MUL, ...F32X4_ADD, ...set(5),
  ...get(0), I32_CONST, 32, I32_ADD, ...set(0),
  ...get(1), I32_CONST, 32, I32_ADD, ...set(1),
  0x0c, 0, 0x0b, 0x0b,
  ...get(4), ...get(5), ...F32X4_ADD, LOCAL_TEE, 4, ...lane(0),
  ...get(4), ...lane(1), F32_ADD, ...get(4), ...lane(2), F32_ADD, ...get(4), ...lane(3), F32_ADD,
  0x0b,
];

const BYTES = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, [1, 0x60, 3, 0x7f, 0x7f, 0x7f, 1, 0x7d]),
  ...section(2, [1, 1, 0x6d, 3, 0x6d, 0x65, 0x6d, 0x02, 0x01, 1, ...leb(65_536)]),
  ...section(3, [1, 0]),
  ...section(7, [1, 3, 0x64, 0x6f, 0x74, 0x00, 0]),
  ...section(10, [1, ...leb(body.length), ...body]),
]);

// dots: params 0 q, 1 base, 2 stride, 3 ids, 4 n, 5 out; locals 6 i, 7 p, 8 end, 9 touched,
// 10 qp (i32), 11 acc0, 12 acc1 (v128). Returns the touched bytes' sum (so the loads stay).
const c32 = (n: number): number[] => [I32_CONST, ...sleb(n)];
const loop = (exitIf: number[], inner: number[]): number[] => [0x02, 0x40, 0x03, 0x40, ...exitIf, 0x0d, 1, ...inner, 0x0c, 0, 0x0b, 0x0b];
const geU = (a: number, b: number): number[] => [...get(a), ...get(b), I32_GE_U];
const inc = (l: number, by: number): number[] => [...get(l), ...c32(by), I32_ADD, ...set(l)];
// p = base + ids[i] * stride; end = p + stride
const nodeAt = [...get(1), ...get(3), ...get(6), ...c32(2), I32_SHL, I32_ADD, I32_LOAD, 2, 0, ...get(2), I32_MUL, I32_ADD, LOCAL_TEE, 7,
  ...get(2), I32_ADD, ...set(8)];
const dotsBody = [
  2, 5, 0x7f, 2, 0x7b,
  ...c32(0), ...set(6),
  ...loop(geU(6, 4), [...nodeAt, ...loop(geU(7, 8), [...get(9), ...get(7), I32_LOAD8_U, 0, 0, I32_ADD, ...set(9), ...inc(7, 64)]), ...inc(6, 1)]),
  ...c32(0), ...set(6),
  ...loop(geU(6, 4), [
    ...nodeAt, ...get(0), ...set(10), ...V128_ZERO, ...set(11), ...V128_ZERO, ...set(12),
    ...loop(geU(7, 8), [
      ...get(11), ...get(10), ...v128Load(0), ...get(7), ...V128_LOAD8X8_S(0), ...I32X4_DOT_I16X8_S, ...I32X4_ADD, ...set(11),
      ...get(12), ...get(10), ...v128Load(16), ...get(7), ...V128_LOAD8X8_S(8), ...I32X4_DOT_I16X8_S, ...I32X4_ADD, ...set(12),
      ...inc(7, 16), ...inc(10, 32),
    ]),
    ...get(5), ...get(6), ...c32(2), I32_SHL, I32_ADD,
    ...get(11), ...get(12), ...I32X4_ADD, LOCAL_TEE, 11, ...ilane(0), ...get(11), ...ilane(1), I32_ADD, ...get(11), ...ilane(2), I32_ADD,
    ...get(11), ...ilane(3), I32_ADD,
    I32_STORE, 2, 0,
    ...inc(6, 1),
  ]),
  ...get(9),
  0x0b,
];

const DOTS_BYTES = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  ...section(1, [1, 0x60, 6, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 1, 0x7f]),
  ...section(2, [1, 1, 0x6d, 3, 0x6d, 0x65, 0x6d, 0x02, 0x01, 1, ...leb(65_536)]),
  ...section(3, [1, 0]),
  ...section(7, [1, 4, 0x64, 0x6f, 0x74, 0x73, 0x00, 0]),
  ...section(10, [1, ...leb(dotsBody.length), ...dotsBody]),
]);

// The project compiles without the DOM lib, whose typings carry WebAssembly's; this is the part
// used here, read off the global at run time.
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  readonly Memory: new (d: { initial: number; maximum: number }) => WasmMemory;
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (m: object, imports: object) => { readonly exports: Record<string, unknown> };
}
const WASM = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

const PAGE = 65_536;

/** A WebAssembly memory, or where the runtime has none, an ArrayBuffer that grows by copying. */
export function newMemory(initialPages: number, maximumPages: number): WasmMemory {
  if (WASM !== undefined) {
    try {
      return new WASM.Memory({ initial: initialPages, maximum: maximumPages });
    } catch {
      // V8 reserves address space per memory and caps the total; past it, fall back to a plain
      // buffer (the JavaScript dot, slower but correct) rather than fail the index.
    }
  }
  const m = {
    buffer: new ArrayBuffer(initialPages * PAGE),
    grow(pages: number): number {
      const old = m.buffer;
      m.buffer = new ArrayBuffer(old.byteLength + pages * PAGE);
      new Uint8Array(m.buffer).set(new Uint8Array(old));
      return old.byteLength / PAGE;
    },
  };
  return m;
}

const compiled = new Map<Uint8Array, object | null>();

/** Instantiates a kernel module against `memory` and returns its export `name`, or undefined. */
function link(bytes: Uint8Array, memory: WasmMemory, name: string): unknown {
  if (WASM === undefined) return undefined;
  let mod = compiled.get(bytes);
  if (mod === undefined) {
    try {
      mod = new WASM.Module(bytes);
    } catch {
      mod = null;
    }
    compiled.set(bytes, mod);
  }
  if (mod === null) return undefined;
  try {
    const f = new WASM.Instance(mod, { m: { mem: memory } }).exports[name];
    return typeof f === "function" ? f : undefined;
  } catch {
    return undefined; // a plain-buffer memory (see newMemory) cannot be linked
  }
}

export type DotFn = (a: number, b: number, n: number) => number;
export type DotsFn = (q: number, base: number, stride: number, ids: number, n: number, out: number) => number;

/** A SIMD dot product bound to `memory` (64 KiB pages, max 65,536), or undefined without SIMD. */
export function simdDot(memory: WasmMemory): DotFn | undefined {
  return link(BYTES, memory, "dot") as DotFn | undefined;
}

/** The batched int8 x int16 dot kernel bound to `memory`, or undefined without SIMD. */
export function simdDots(memory: WasmMemory): DotsFn | undefined {
  return link(DOTS_BYTES, memory, "dots") as DotsFn | undefined;
}
