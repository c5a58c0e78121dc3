/**
 * The acknowledgement mark: an independent, fsynced record of the last journal seq whose append was
 * acknowledged and the running hash of every record up to it, kept OUTSIDE the SQLite files. SQLite
 * by design stops reading a WAL at the first frame whose checksum fails, and a deleted WAL, a
 * deleted database or an older copy all open cleanly; only a record kept elsewhere can tell that
 * acknowledged writes are gone. Recovery compares the journal with the mark (recovery.ts).
 *
 * Format (docs/adr/0012-acknowledgement-marks.md): a 64-byte file of two 32-byte slots, written
 * alternately in place with pwrite + fdatasync. A slot is magic "ACK1", generation (u32), seq
 * (float64, an integer), chain (u32), kind tag (u32), CRC-32 of the preceding 24 bytes, padding.
 * A mark written while a batch commits (ADR 0059: the mark's sync and the batch's run side by side)
 * is an "ACK2" slot: generation, seq and chain of the batch's end, kind tag (u8), the batch's
 * length (u24), the chain at the committed point below it (u32), CRC-32 of the preceding 28 bytes.
 * A torn write damages at most the slot being written; the other still holds the previous mark.
 * At most one small write and fdatasync in flight at a time, covering every batch committed before
 * it and the batch committing (never one per record); it runs on libuv's pool, beside that batch's
 * SQLite commit on the writer thread.
 * No rename and no directory fsync on the hot path.
 */
import { closeSync, existsSync, fdatasync, fdatasyncSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { crc32 } from "node:zlib";
import { AiosError } from "../core/index.js";
import { fsyncDir } from "./sqlite-repair.js";

export interface AckPoint {
  /** The last acknowledged sequence number (0: nothing yet). */
  readonly seq: number;
  /** The running hash (chain) of every record up to and including `seq`. */
  readonly chain: number;
  /**
   * Set when the mark was written while the batch ending at `seq` was still committing (ADR 0059):
   * the point the journal had committed below it. Records `from.seq`+1..`seq` were not acknowledged
   * unless the store holds them, so a store ending exactly at `from` lost nothing acknowledged.
   */
  readonly from?: { readonly seq: number; readonly chain: number };
}

/** The longest batch a mark can cover ahead of its commit (the ACK2 slot's u24 length). */
export const MAX_AHEAD = 0xff_ffff;

export type AckRead = { readonly state: "missing" } | { readonly state: "damaged"; readonly why: string } | { readonly state: "ok"; readonly point: AckPoint };

/** Where acknowledgement points are kept; the journal writes one per commit batch. */
export interface AckMark {
  readonly location: string;
  read(): AckRead;
  /** Writes and syncs the point before returning (open, compaction, recovery). */
  write(point: AckPoint): void;
  /**
   * The same off the main thread (libuv's pool), so the sync overlaps the next batch's commit.
   * The caller keeps at most one in flight: two writes racing for one slot could land out of order.
   */
  writeAsync(point: AckPoint): Promise<void>;
  close(): void;
}

const MAGIC = 0x41434b31; // "ACK1"
const MAGIC_AHEAD = 0x41434b32; // "ACK2"
const SLOT = 32;

/** CRC-32 (IEEE, reflected) of each byte value: the table of chainNext's four steps. */
const CRC_TABLE = ((): Int32Array => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/**
 * The next running hash: CRC-32 of the record's checksum (its four bytes, little-endian), seeded with
 * the previous hash — zlib's crc32 of that word, computed here: four table steps cost a few
 * nanoseconds against ~50 for a call into zlib, and every journaled record takes one.
 */
export function chainNext(chain: number, rowCrc: number): number {
  const v = rowCrc >>> 0;
  let c = ~chain;
  c = (CRC_TABLE[(c ^ v) & 0xff] as number) ^ (c >>> 8);
  c = (CRC_TABLE[(c ^ (v >>> 8)) & 0xff] as number) ^ (c >>> 8);
  c = (CRC_TABLE[(c ^ (v >>> 16)) & 0xff] as number) ^ (c >>> 8);
  c = (CRC_TABLE[(c ^ (v >>> 24)) & 0xff] as number) ^ (c >>> 8);
  return ~c >>> 0;
}

/** The running hash after `rows` (dense, in seq order), from `chain`: the hash before the first. */
export function chainOver(chain: number, rows: readonly { readonly crc: number }[]): number {
  let h = chain;
  for (let i = 0; i < rows.length; i++) h = chainNext(h, (rows[i] as { readonly crc: number }).crc);
  return h;
}

function encodeSlot(buf: Buffer, gen: number, p: AckPoint, tag: number): void {
  buf.fill(0);
  const ahead = p.from === undefined ? 0 : p.seq - p.from.seq;
  buf.writeUInt32BE(ahead > 0 ? MAGIC_AHEAD : MAGIC, 0);
  buf.writeUInt32BE(gen >>> 0, 4);
  buf.writeDoubleBE(p.seq, 8);
  buf.writeUInt32BE(p.chain >>> 0, 16);
  if (ahead > 0 && p.from !== undefined) {
    // A point confirmed (nothing ahead) keeps the ACK1 slot, so a cleanly closed store reads anywhere.
    buf.writeUInt32BE(((tag & 0xff) << 24) | (ahead & MAX_AHEAD), 20);
    buf.writeUInt32BE(p.from.chain >>> 0, 24);
    buf.writeUInt32BE(crc32(buf.subarray(0, 28)), 28);
    return;
  }
  buf.writeUInt32BE(tag >>> 0, 20);
  buf.writeUInt32BE(crc32(buf.subarray(0, 24)), 24);
}

function decodeSlot(buf: Buffer, tag: number): { gen: number; point: AckPoint } | undefined {
  if (buf.length < SLOT) return undefined;
  const magic = buf.readUInt32BE(0);
  const seq = buf.readDoubleBE(8);
  if (!Number.isSafeInteger(seq) || seq < 0) return undefined;
  if (magic === MAGIC_AHEAD) {
    if (buf.readUInt32BE(28) !== crc32(buf.subarray(0, 28))) return undefined;
    const packed = buf.readUInt32BE(20);
    const ahead = packed & MAX_AHEAD;
    if (packed >>> 24 !== (tag & 0xff) || ahead === 0 || ahead > seq) return undefined;
    return { gen: buf.readUInt32BE(4), point: { seq, chain: buf.readUInt32BE(16), from: { seq: seq - ahead, chain: buf.readUInt32BE(24) } } };
  }
  if (magic !== MAGIC) return undefined;
  if (buf.readUInt32BE(24) !== crc32(buf.subarray(0, 24))) return undefined;
  if (buf.readUInt32BE(20) !== tag) return undefined;
  return { gen: buf.readUInt32BE(4), point: { seq, chain: buf.readUInt32BE(16) } };
}

/** Tags keep the journal's and the memory store's marks from being swapped for one another. */
export const ACK_TAG = { journal: 1, memory: 2, audit: 3 } as const;

export class FileAckMark implements AckMark {
  private fd: number | undefined;
  private gen = 0;
  private readonly buf = Buffer.alloc(SLOT);

  constructor(
    readonly location: string,
    private readonly tag: number = ACK_TAG.journal,
  ) {}

  read(): AckRead {
    if (!existsSync(this.location)) return { state: "missing" };
    let raw: Buffer;
    try {
      raw = readFileSync(this.location);
    } catch (e) {
      return { state: "damaged", why: `cannot read ${this.location}: ${(e as Error).message}` };
    }
    const slots = [decodeSlot(raw.subarray(0, SLOT), this.tag), decodeSlot(raw.subarray(SLOT, 2 * SLOT), this.tag)].filter((s) => s !== undefined);
    if (slots.length === 0) return { state: "damaged", why: `${this.location} holds no valid mark (${raw.length} bytes)` };
    const best = slots.reduce((a, b) => (b.gen > a.gen || (b.gen === a.gen && b.point.seq > a.point.seq) ? b : a));
    this.gen = best.gen;
    return { state: "ok", point: best.point };
  }

  writeAsync(point: AckPoint): Promise<void> {
    if (this.fd === undefined) {
      try {
        this.write(point);
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new AiosError("E_STORAGE", String(e)));
      }
    }
    const fd = this.fd;
    this.gen = (this.gen + 1) >>> 0;
    encodeSlot(this.buf, this.gen, point, this.tag);
    const fail = (e: NodeJS.ErrnoException): AiosError =>
      new AiosError(e.code === "ENOSPC" ? "E_STORAGE_FULL" : "E_STORAGE", `writing the acknowledgement mark ${this.location}: ${e.message}`, { cause: e, details: { file: this.location } });
    // The 32 bytes go to the page cache here (a pwrite, microseconds); only the sync goes to the
    // pool. Two pool round trips (write, then sync) each waited for a turn of a busy event loop
    // before the next could start, and every durable acknowledgement waits for this (issue #18).
    try {
      writeSync(fd, this.buf, 0, SLOT, (this.gen % 2) * SLOT);
    } catch (e) {
      return Promise.reject(fail(e as NodeJS.ErrnoException));
    }
    return new Promise<void>((resolve, reject) => {
      fdatasync(fd, (e) => (e ? reject(fail(e)) : resolve()));
    });
  }

  write(point: AckPoint): void {
    try {
      if (this.fd === undefined) {
        const created = !existsSync(this.location);
        this.fd = openSync(this.location, created ? "w+" : "r+", 0o600);
        if (created) {
          // Both slots valid from the start, and the new directory entry durable.
          encodeSlot(this.buf, this.gen, point, this.tag);
          writeSync(this.fd, this.buf, 0, SLOT, SLOT);
          fsyncDir(dirname(this.location));
        }
      }
      this.gen = (this.gen + 1) >>> 0;
      encodeSlot(this.buf, this.gen, point, this.tag);
      writeSync(this.fd, this.buf, 0, SLOT, (this.gen % 2) * SLOT);
      fdatasyncSync(this.fd);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new AiosError(code === "ENOSPC" ? "E_STORAGE_FULL" : "E_STORAGE", `writing the acknowledgement mark ${this.location}: ${(e as Error).message}`, {
        cause: e,
        details: { file: this.location },
      });
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

