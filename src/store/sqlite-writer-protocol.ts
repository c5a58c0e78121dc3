/**
 * What the journal's SQLite driver and its writer thread (sqlite-writer-thread.ts) say to each other.
 *
 * A batch crosses the thread boundary packed, not as row objects: the bodies concatenated into a
 * few strings (chunks of whole rows, each under CHUNK_CHARS), every kind into one string, their
 * lengths in one Uint32Array and the (seq, crc) pairs in one Float64Array — both arrays transferred,
 * not copied. Structured clone then copies a few flat strings and moves two buffers per batch
 * instead of walking 4 fields of every row (measured at 50,000 rows: per-row clone of JournalRow
 * objects cost several times the packed form on the main thread). Chunks, not one string: a string
 * past V8's largest regular object (128 KB) is allocated in the large-object space, and joining a
 * durable relay's batch of 3,000 rows into one cost ~350-500 ns per row against ~30 in chunks.
 * The worker slices the strings back (V8 substrings share the parent), so a row's body reaches
 * SQLite with exactly the characters whose CRC the journal computed. `unpackBatch` runs in the
 * thread from its source text, so it uses nothing but its parameter (sqlite-writer-thread.ts).
 */
import type { JournalRow, WriteBatch } from "./driver.js";

export interface WriterData {
  readonly file: string;
  /** The resolved path of better-sqlite3 (the thread's source has no module location to resolve from). */
  readonly sqlite: string;
  /** Shared with the driver: [0] = 1 once the thread opened its connection, 2 if it failed to. */
  readonly state: Int32Array;
}

export interface PackedBatch {
  /** [seq, crc] per row. */
  readonly nums: Float64Array;
  /** [kind length, body length] per row, in UTF-16 code units. */
  readonly lens: Uint32Array;
  readonly kinds: string;
  /** The bodies in order, whole rows per chunk (a body longer than a chunk is one of its own). */
  readonly bodies: readonly string[];
  /** How many rows each chunk of `bodies` holds. */
  readonly chunkRows: readonly number[];
  readonly deleteBelow?: number;
  readonly reclaim?: boolean;
  readonly meta?: Readonly<Record<string, string>>;
}

export type ToWriter = { readonly kind: "write"; readonly id: number; readonly batch: PackedBatch } | { readonly kind: "close" };

/** A SQLite error as plain data; the driver maps it onto the taxonomy (sqlite-errors.ts). */
export interface WriterError {
  readonly code: string | undefined;
  readonly message: string;
}

export type FromWriter =
  | { readonly kind: "ready"; readonly pragmas: { readonly journal_mode: unknown; readonly synchronous: unknown } }
  | { readonly kind: "failed"; readonly error: WriterError }
  | { readonly kind: "written"; readonly id: number }
  | { readonly kind: "error"; readonly id: number; readonly error: WriterError }
  | { readonly kind: "closed" };

/** Characters per body chunk: well under V8's 128 KB regular-object limit, even two bytes a character. */
export const CHUNK_CHARS = 32_768;

export function packBatch(b: WriteBatch): { batch: PackedBatch; transfer: ArrayBuffer[] } {
  const rows = b.append ?? [];
  const n = rows.length;
  const nums = new Float64Array(2 * n);
  const lens = new Uint32Array(2 * n);
  const kinds = new Array<string>(n);
  const chunks: string[] = [];
  const chunkRows: number[] = [];
  let chunk: string[] = [];
  let chars = 0;
  for (let i = 0; i < n; i++) {
    const r = rows[i] as JournalRow;
    nums[2 * i] = r.seq;
    nums[2 * i + 1] = r.crc;
    lens[2 * i] = r.kind.length;
    lens[2 * i + 1] = r.body.length;
    kinds[i] = r.kind;
    if (chars + r.body.length > CHUNK_CHARS && chunk.length > 0) {
      chunks.push(chunk.join(""));
      chunkRows.push(chunk.length);
      chunk = [];
      chars = 0;
    }
    chunk.push(r.body);
    chars += r.body.length;
  }
  if (chunk.length > 0) {
    chunks.push(chunk.join(""));
    chunkRows.push(chunk.length);
  }
  const batch: PackedBatch = {
    nums, lens, kinds: kinds.join(""), bodies: chunks, chunkRows,
    ...(b.deleteBelow === undefined ? {} : { deleteBelow: b.deleteBelow }),
    ...(b.reclaim === undefined ? {} : { reclaim: b.reclaim }),
    ...(b.meta === undefined ? {} : { meta: b.meta }),
  };
  return { batch, transfer: [nums.buffer, lens.buffer] };
}

export function unpackBatch(p: PackedBatch): WriteBatch {
  const n = p.nums.length / 2;
  const rows = new Array<JournalRow>(n);
  // Chunk c holds the next chunkRows[c] rows, whole.
  let c = 0;
  let chunk = p.bodies[0] ?? "";
  let left = p.chunkRows[0] ?? 0;
  for (let i = 0, k = 0, b = 0; i < n; i++) {
    const kl = p.lens[2 * i] ?? 0;
    const bl = p.lens[2 * i + 1] ?? 0;
    if (left === 0) {
      c++;
      chunk = p.bodies[c] ?? "";
      left = p.chunkRows[c] ?? 0;
      b = 0;
    }
    left--;
    rows[i] = { seq: p.nums[2 * i] ?? 0, crc: p.nums[2 * i + 1] ?? 0, kind: p.kinds.slice(k, k + kl), body: chunk.slice(b, b + bl) };
    k += kl;
    b += bl;
  }
  return {
    ...(n === 0 ? {} : { append: rows }),
    ...(p.deleteBelow === undefined ? {} : { deleteBelow: p.deleteBelow }),
    ...(p.reclaim === undefined ? {} : { reclaim: p.reclaim }),
    ...(p.meta === undefined ? {} : { meta: p.meta }),
  };
}
