/**
 * Recovery: read the journal in seq order from its base, verify every record (dense seq, checksum,
 * schema) and fold it into a JournalState. It stops at the first record that fails and reports
 * exactly what is lost: the seq range from that record to the highest seq the store knows of, and
 * the count. An empty result is only ever returned for a journal that really is empty; a store that
 * says it held records (meta `high`) but yields none is reported as a loss, never as a fresh start.
 */
import { isAiosError } from "../core/index.js";
import { decode } from "./codec.js";
import type { StorageDriver } from "./driver.js";
import { JournalState } from "./state.js";

export const META_BASE = "journal.base";
export const META_HIGH = "journal.high";
const PAGE = 8_192;

export interface LostRange {
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly count: number;
  readonly reason: string;
  /** Where the damaged store was set aside, when it was salvaged. */
  aside?: string;
}

export interface ScanResult {
  readonly state: JournalState;
  /** Records verified and applied. */
  readonly records: number;
  /** The seq the next append takes. */
  readonly nextSeq: number;
  readonly base: number;
  readonly lost?: LostRange;
  readonly durationMs: number;
}

async function metaNumber(driver: StorageDriver, key: string): Promise<number | undefined> {
  const v = await driver.getMeta(key);
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : undefined;
}

async function highestKnown(driver: StorageDriver, high: number | undefined, from: number): Promise<number> {
  let last: number | null = null;
  try {
    last = (await driver.bounds()).last;
  } catch {
    /* the index itself may be damaged; fall back to the recorded high-water mark */
  }
  return Math.max(last ?? from, high ?? from, from);
}

/** Scans and verifies the whole journal; `now` measures the duration. */
export async function scanJournal(driver: StorageDriver, now: () => number = () => performance.now()): Promise<ScanResult> {
  const started = now();
  const base = (await metaNumber(driver, META_BASE)) ?? 1;
  const high = await metaNumber(driver, META_HIGH);
  const state = new JournalState();
  let expected = base;
  let records = 0;
  let failure: { seq: number; reason: string } | undefined;

  // After a page fails to read, rows are read one at a time so the loss starts at the exact first
  // unreadable record rather than at the start of the failed page of rows.
  let careful = 0;
  scan: for (;;) {
    let rows;
    const limit = careful > 0 ? 1 : PAGE;
    try {
      rows = await driver.read(expected, limit);
      if (careful > 0) careful--;
    } catch (e) {
      if (!isAiosError(e, "E_CORRUPT")) throw e;
      if (careful === 0) {
        careful = PAGE;
        continue;
      }
      failure = { seq: expected, reason: `record ${expected} is unreadable (${e.message})` };
      break;
    }
    if (rows.length === 0) break;
    for (const row of rows) {
      if (row.seq !== expected) {
        failure = { seq: expected, reason: `record ${expected} is missing (next stored record is ${row.seq})` };
        break scan;
      }
      const d = decode(row);
      if (!d.ok) {
        failure = { seq: expected, reason: `record ${expected} failed verification: ${d.why}` };
        break scan;
      }
      state.apply(d.record);
      records++;
      expected++;
    }
    if (rows.length < limit) break;
  }

  if (failure === undefined && high !== undefined && high >= expected) {
    failure = { seq: expected, reason: `the store recorded writes up to ${high} but only ${expected - 1} are present (tail truncated)` };
  }
  const result = { state, records, nextSeq: expected, base };
  if (failure === undefined) return { ...result, durationMs: now() - started };
  const toSeq = await highestKnown(driver, high, failure.seq);
  const lost: LostRange = { fromSeq: failure.seq, toSeq, count: toSeq - failure.seq + 1, reason: failure.reason };
  return { ...result, lost, durationMs: now() - started };
}

export function describeLoss(lost: LostRange): string {
  return (
    `journal damaged: ${lost.reason}; lost ${lost.count} record(s), seq ${lost.fromSeq}..${lost.toSeq}` +
    (lost.aside === undefined ? "" : `; the damaged store was kept at ${lost.aside}`)
  );
}
