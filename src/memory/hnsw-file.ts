/**
 * The on-disk form of an HNSW index, so a large index is loaded instead of rebuilt on open.
 * Layout: magic "AIOSHNS2", u32 header length, JSON header {dim, M, stride, count, entry, maxLevel},
 * then vectors (f32, `stride` per node, zero-padded: the memory image), levels (u8), labels (i32),
 * deleted (u8), layer 0 (i32), upper layers (i32, node order). Written to a temp file, fsynced and
 * renamed, so a crash leaves the old file or the new one. Read and written in chunks straight
 * between the file and the index's memory (a 1M x 512-d index is over 2 GiB, past what one
 * readFileSync returns). A file of another format or other parameters is ignored (the caller
 * rebuilds from the durable vectors). The catalog, not this file, is the truth: the caller checks
 * the file against it and rebuilds when they disagree.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, openSync, readSync, renameSync, writeSync } from "node:fs";
import type { HnswImage, HnswOptions } from "./hnsw-image.js";

const MAGIC = "AIOSHNS2";
const CHUNK = 1 << 24;

interface Header {
  dim: number;
  M: number;
  stride: number;
  count: number;
  entry: number;
  maxLevel: number;
  /** The storage's vector stamp at save time. */
  stamp?: number;
}

function bytes(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

function writeAll(fd: number, b: Uint8Array): void {
  for (let at = 0; at < b.length;) at += writeSync(fd, b, at, Math.min(CHUNK, b.length - at));
}

/** Fills `b` from the file at `pos`; false on a short file. */
function readAll(fd: number, b: Uint8Array, pos: number): boolean {
  for (let at = 0; at < b.length;) {
    const n = readSync(fd, b, at, Math.min(CHUNK, b.length - at), pos + at);
    if (n === 0) return false;
    at += n;
  }
  return true;
}

export function writeHnsw(file: string, h: HnswImage, stamp: number | undefined): void {
  const s = h.s;
  const n = s.count;
  const header: Header = { dim: h.dim, M: h.M, stride: h.vs.stride, count: n, entry: s.entry, maxLevel: s.maxLevel, ...(stamp === undefined ? {} : { stamp }) };
  const hb = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(hb.length);
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, "w", 0o600); // owner-only, like every file in the data dir
  try {
    const parts: Uint8Array[] = [Buffer.from(MAGIC), len, hb, h.vs.bytes(1, n + 1), bytes(s.levels.subarray(0, n)),
      bytes(s.labels.subarray(0, n)), bytes(s.deleted.subarray(0, n)), bytes(s.layer0.subarray(0, n * (h.M0 + 1)))];
    for (let i = 0; i < n; i++) {
      const u = s.upper[i];
      if (u !== undefined) parts.push(bytes(u));
    }
    for (const p of parts) writeAll(fd, p);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** An index read from `file` (made by `make` for `count` nodes); undefined when absent, foreign, short or built with other parameters. */
export function readHnsw<H extends HnswImage>(file: string, o: HnswOptions, make: (count: number) => H): H | undefined {
  if (!existsSync(file)) return undefined;
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(12);
    if (size < 12 || !readAll(fd, head, 0) || head.subarray(0, 8).toString() !== MAGIC) return undefined;
    const hl = head.readUInt32LE(8);
    const hb = Buffer.alloc(hl);
    if (!readAll(fd, hb, 12)) return undefined;
    let header: Header;
    try {
      header = JSON.parse(hb.toString()) as Header;
    } catch {
      return undefined;
    }
    if (header.dim !== o.dim || header.M !== (o.M ?? 16) || !Number.isSafeInteger(header.count) || header.count < 0 || header.entry >= header.count) return undefined;
    const h = make(header.count);
    if (header.stride !== h.vs.stride) return undefined;
    const n = header.count;
    h.grow(n);
    let at = 12 + hl;
    const fill = (b: Uint8Array): boolean => {
      const ok = readAll(fd, b, at);
      at += b.length;
      return ok;
    };
    const s = h.s;
    if (!fill(h.vs.bytes(1, n + 1)) || !fill(bytes(s.levels.subarray(0, n))) || !fill(bytes(s.labels.subarray(0, n))) ||
      !fill(bytes(s.deleted.subarray(0, n))) || !fill(bytes(s.layer0.subarray(0, n * (h.M0 + 1))))) return undefined;
    s.upper = [];
    for (let i = 0; i < n; i++) {
      const lv = s.levels[i] as number;
      if (lv === 0) continue;
      const u = new Int32Array(lv * (h.M + 1));
      if (!fill(bytes(u))) return undefined;
      s.upper[i] = u;
    }
    if (at !== size) return undefined;
    s.count = n;
    s.entry = header.entry;
    s.maxLevel = header.maxLevel;
    h.reindex();
    h.stamp = typeof header.stamp === "number" ? header.stamp : undefined;
    return h;
  } finally {
    closeSync(fd);
  }
}
