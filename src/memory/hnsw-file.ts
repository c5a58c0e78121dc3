/**
 * The on-disk form of an HNSW index, so a large index is loaded instead of rebuilt on open.
 * Layout: magic "AIOSHNS1", u32 header length, JSON header {dim, M, count, entry, maxLevel},
 * then vectors (f32), levels (u8), labels (i32), deleted (u8), layer 0 (i32), upper layers (i32,
 * node order). Written to a temp file and renamed, so a crash leaves the old file or the new one.
 * The catalog, not this file, is the truth: the caller checks the labels against it and rebuilds
 * when they disagree.
 */
import { closeSync, existsSync, openSync, readFileSync, renameSync, writeSync, fsyncSync } from "node:fs";
import type { Hnsw } from "./hnsw.js";

const MAGIC = "AIOSHNS1";

interface Header {
  dim: number;
  M: number;
  count: number;
  entry: number;
  maxLevel: number;
}

function bytes(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export function writeHnsw(file: string, h: Hnsw): void {
  const s = h.s;
  const n = s.count;
  const header: Header = { dim: h.dim, M: h.M, count: n, entry: s.entry, maxLevel: s.maxLevel };
  const hb = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(hb.length);
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, "w");
  try {
    const parts: Uint8Array[] = [Buffer.from(MAGIC), len, hb, bytes(s.vectors.subarray(0, n * h.dim)), bytes(s.levels.subarray(0, n)),
      bytes(s.labels.subarray(0, n)), bytes(s.deleted.subarray(0, n)), bytes(s.layer0.subarray(0, n * (h.M0 + 1)))];
    for (let i = 0; i < n; i++) {
      const u = s.upper[i];
      if (u !== undefined) parts.push(bytes(u));
    }
    for (const p of parts) writeSync(fd, p);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** Fills `h` from `file`; false when absent, foreign or built with other parameters. */
export function readHnsw(file: string, h: Hnsw): boolean {
  if (!existsSync(file)) return false;
  const buf = readFileSync(file);
  if (buf.length < 12 || buf.subarray(0, 8).toString() !== MAGIC) return false;
  const hl = buf.readUInt32LE(8);
  let header: Header;
  try {
    header = JSON.parse(buf.subarray(12, 12 + hl).toString()) as Header;
  } catch {
    return false;
  }
  if (header.dim !== h.dim || header.M !== h.M) return false;
  let at = 12 + hl;
  const take = (n: number): Uint8Array => {
    const out = new Uint8Array(n);
    out.set(buf.subarray(at, at + n));
    at += n;
    return out;
  };
  const n = header.count;
  const cap = Math.max(1024, n);
  const s = h.s;
  s.capacity = cap;
  s.count = n;
  s.entry = header.entry;
  s.maxLevel = header.maxLevel;
  s.vectors = new Float32Array(cap * h.dim);
  s.vectors.set(new Float32Array(take(n * h.dim * 4).buffer));
  s.levels = new Uint8Array(cap);
  s.levels.set(take(n));
  s.labels = new Int32Array(cap);
  s.labels.set(new Int32Array(take(n * 4).buffer));
  s.deleted = new Uint8Array(cap);
  s.deleted.set(take(n));
  s.layer0 = new Int32Array(cap * (h.M0 + 1));
  s.layer0.set(new Int32Array(take(n * (h.M0 + 1) * 4).buffer));
  s.upper = [];
  for (let i = 0; i < n; i++) {
    const lv = s.levels[i] as number;
    if (lv > 0) s.upper[i] = new Int32Array(take(lv * (h.M + 1) * 4).buffer);
  }
  return at === buf.length;
}
