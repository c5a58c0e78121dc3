/**
 * A 128-bit SIMD dot product for HNSW, as a WebAssembly module assembled here byte by byte (no
 * toolchain dependency). Scalar JavaScript runs a 512-d float32 dot at ~400 ns on this class of
 * machine; f32x4 lanes with two accumulators do it several times faster, and distance is where
 * HNSW build and search spend nearly all their time.
 *
 * Contract: `dot(a, b, n)` takes byte offsets of two float32 vectors in the memory passed in, and
 * `n` a multiple of 8 (callers pad vectors with zeros to a stride of 8 floats). It accumulates in
 * float32 lanes (a ranking distance, not an exact sum). `simdDot` returns undefined where
 * WebAssembly SIMD is unavailable, and the caller falls back to JavaScript.
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

function section(id: number, body: number[]): number[] {
  return [id, ...leb(body.length), ...body];
}

const SIMD = 0xfd;
const LOCAL_GET = 0x20, LOCAL_SET = 0x21, LOCAL_TEE = 0x22, I32_CONST = 0x41, I32_ADD = 0x6a, I32_SHL = 0x74, I32_GE_U = 0x4f, F32_ADD = 0x92;
const v128Load = (offset: number): number[] => [SIMD, 0x00, 0x02, ...leb(offset)];
const F32X4_ADD = [SIMD, ...leb(0xe4)], F32X4_MUL = [SIMD, ...leb(0xe6)];
const lane = (i: number): number[] => [SIMD, 0x1f, i];
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

let compiled: object | null | undefined;

export type DotFn = (a: number, b: number, n: number) => number;

/** A SIMD dot product bound to `memory` (64 KiB pages, max 65,536), or undefined without SIMD. */
export function simdDot(memory: WasmMemory): DotFn | undefined {
  if (WASM === undefined) return undefined;
  if (compiled === undefined) {
    try {
      compiled = new WASM.Module(BYTES);
    } catch {
      compiled = null;
    }
  }
  if (compiled === null) return undefined;
  try {
    const dot = new WASM.Instance(compiled, { m: { mem: memory } }).exports["dot"];
    return typeof dot === "function" ? (dot as DotFn) : undefined;
  } catch {
    return undefined; // a plain-buffer memory (see newMemory) cannot be linked
  }
}
