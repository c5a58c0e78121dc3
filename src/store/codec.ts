/**
 * Record <-> row encoding and the per-record checksum. The checksum is CRC-32 of the JSON body with
 * the seq as the CRC's initial value (CRC is affine in it, so the same body at another seq gives
 * another checksum); the kind column is checked against the body's `t`. A flipped bit anywhere in a
 * row, or a row moved to another seq, fails verification. CRC-32 detects every burst error up to 32 bits; this guards against media and
 * software damage, not against an adversary (the audit chain does that).
 */
import { crc32 } from "node:zlib";
import { AiosError } from "../core/index.js";
import type { JournalRow } from "./driver.js";
import { checkRecord } from "./record-check.js";
import type { JournalRecord } from "./records.js";

export function checksum(seq: number, body: string): number {
  return crc32(body, seq % 0x1_0000_0000);
}

/**
 * Serialises a record; a value JSON cannot hold is E_INVALID_ARG naming the record type and, where
 * it can be found, the path to the value (`details.path`: "handled.checkpoint.n").
 */
export function serialise(rec: JournalRecord): string {
  try {
    return JSON.stringify(rec);
  } catch (e) {
    const found = unencodableAt(rec, 0, new Set());
    const at = found === "" ? undefined : found;
    const path = at === undefined ? rec.t : `${rec.t}.${at}`;
    throw new AiosError("E_INVALID_ARG", `journal record ${rec.t} is not JSON-serialisable${at === undefined ? "" : ` at ${at}`}: ${(e as Error).message}`, {
      cause: e,
      details: { path },
    });
  }
}

/**
 * The path to the first value JSON.stringify refuses (a BigInt, a cycle), or undefined when none is
 * found where it looks (a throwing toJSON or getter). Only on the failure path: it walks the record.
 */
function unencodableAt(v: unknown, depth: number, open: Set<object>): string | undefined {
  if (typeof v === "bigint") return "";
  if (typeof v !== "object" || v === null || depth > 64) return undefined;
  if (open.has(v)) return "";
  if (typeof (v as { toJSON?: unknown }).toJSON === "function") return undefined;
  open.add(v);
  try {
    for (const [k, x] of Object.entries(v)) {
      const at = unencodableAt(x, depth + 1, open);
      if (at !== undefined) return at === "" ? k : `${k}.${at}`;
    }
    return undefined;
  } finally {
    open.delete(v);
  }
}

export function toRow(seq: number, rec: JournalRecord, body: string = serialise(rec)): JournalRow {
  return { seq, kind: rec.t, body, crc: checksum(seq, body) };
}

export type Decoded = { readonly ok: true; readonly record: JournalRecord } | { readonly ok: false; readonly why: string };

/** Verifies a row and parses its record; never throws. */
export function decode(row: JournalRow): Decoded {
  // A damaged page can make SQLite hand back a column with another type (a flipped serial type).
  const cols: readonly unknown[] = [row.kind, row.body, row.crc];
  if (typeof cols[0] !== "string" || typeof cols[1] !== "string" || typeof cols[2] !== "number") {
    return { ok: false, why: "row columns have the wrong types" };
  }
  if (checksum(row.seq, row.body) !== row.crc) return { ok: false, why: "checksum mismatch" };
  let raw: unknown;
  try {
    raw = JSON.parse(row.body);
  } catch {
    return { ok: false, why: "body is not JSON" };
  }
  const r = checkRecord(raw);
  if (!r.ok) return r;
  if (r.record.t !== row.kind) return { ok: false, why: `kind column ${row.kind} does not match record type ${r.record.t}` };
  return r;
}
