/**
 * Checksummed journal metadata. Every meta value is stored as `<value>~<crc>` where the CRC-32
 * covers the key and the value, so a flipped bit in `journal.base` or `journal.high` (or a value
 * copied under another key) is detected and reported as damaged metadata, never believed: a wrong
 * base used to skip every record below it and a wrong high used to report a false loss.
 */
import { crc32 } from "node:zlib";

export const META_BASE = "journal.base";
export const META_HIGH = "journal.high";
/** The last loss an operator accepted (JSON of AcceptedLoss), kept so status can show it later. */
export const META_LOSS = "journal.loss";
/**
 * A second copy of journal.base, written with it at every compaction (ADR 0049): rows below the base
 * are retired history swept in chunks, so a damaged base can no longer be taken as the first row.
 */
export const META_HORIZON = "journal.horizon";
/** The running acknowledgement hash at seq base-1 (ack-mark.ts), so a compacted journal stays checkable. */
export const META_CHAIN = "journal.chain";

const SEP = "~";

function metaCrc(key: string, value: string): string {
  return crc32(`${key}\u0000${value}`).toString(16).padStart(8, "0");
}

export function encodeMeta(key: string, value: string): string {
  return `${value}${SEP}${metaCrc(key, value)}`;
}

/** Every value of `meta` encoded with its checksum (what a WriteBatch carries). */
export function encodeMetas(meta: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(meta)) out[k] = encodeMeta(k, v);
  return out;
}

export type MetaValue = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly why: string };

export function decodeMeta(key: string, raw: string): MetaValue {
  const at = raw.lastIndexOf(SEP);
  if (at < 0) return { ok: false, why: `meta ${key} carries no checksum (${JSON.stringify(raw.slice(0, 40))})` };
  const value = raw.slice(0, at);
  if (raw.slice(at + 1) !== metaCrc(key, value)) return { ok: false, why: `meta ${key} failed its checksum (${JSON.stringify(raw.slice(0, 40))})` };
  return { ok: true, value };
}

/** A decoded non-negative integer meta value, or why it is unusable. */
export function decodeMetaNumber(key: string, raw: string): { readonly ok: true; readonly value: number } | { readonly ok: false; readonly why: string } {
  const d = decodeMeta(key, raw);
  if (!d.ok) return d;
  const n = Number(d.value);
  return Number.isSafeInteger(n) && n >= 0 ? { ok: true, value: n } : { ok: false, why: `meta ${key} is not a sequence number (${d.value})` };
}
