/**
 * Recovery: read the journal in seq order from its base, verify every record (checksum, schema,
 * dense seq) and fold every record that verifies into a JournalState — a bad record costs that
 * record, never the ones after it. A page that cannot be read is stepped over (read-probe.ts), so a
 * zeroed page costs the records on it and nothing else.
 *
 * What is checked besides the rows:
 * - the meta values carry checksums (meta.ts); a damaged one is a repairable finding, not believed;
 * - rows below `journal.base` are retired history a compaction has not swept yet (ADR 0049): never
 *   read, not damage; the journal deletes them in chunks after open. The base is kept twice
 *   (journal.base, journal.horizon), so one damaged copy never makes the scan read retired rows;
 * - the acknowledgement mark (ack-mark.ts), kept outside SQLite: records up to its seq were
 *   acknowledged, so any of them missing is a loss, and the running hash at its seq must match. A
 *   mark written beside a batch's commit (ADR 0059) also names the committed point below that batch
 *   (`from`): a store ending exactly there, with the running hash the mark recorded for it, is a crash
 *   before that batch committed — nothing of it was acknowledged — and is read as the mark at `from`.
 *
 * The result separates LOSS (acknowledged records that are gone or fail verification: ranges,
 * count, the agents and messages named where a damaged body still says whom it concerned) from
 * FINDINGS (damage that cost nothing: a bad meta value, stray rows, a missing or stale mark).
 */
import { isAiosError } from "../core/index.js";
import type { AckMark, AckPoint } from "./ack-mark.js";
import { chainNext } from "./ack-mark.js";
import { decode } from "./codec.js";
import type { JournalRow, StorageDriver } from "./driver.js";
import { decodeMetaNumber, META_BASE, META_CHAIN, META_HIGH, META_HORIZON } from "./meta.js";
import { firstReadable } from "./read-probe.js";
import { JournalState } from "./state.js";

const PAGE = 8_192;

export interface LostRange {
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly count: number;
  readonly reason: string;
}

export interface Loss {
  readonly ranges: readonly LostRange[];
  /** Records lost in total. */
  readonly count: number;
  readonly fromSeq: number;
  readonly toSeq: number;
  /** Agents and message ids named by damaged records whose body could still be read. */
  readonly agents: readonly string[];
  readonly messages: readonly string[];
  /** Where the damaged store was set aside, once the loss was accepted. */
  aside?: string;
}

export interface ScanResult {
  readonly state: JournalState;
  /** Records verified and applied. */
  readonly records: number;
  /** The seq the next append takes (past every seq the store or the mark knows of). */
  readonly nextSeq: number;
  readonly base: number;
  /** The running hash after the last verified record (valid when nothing was lost). */
  readonly chain: number;
  /** The running hash at seq base-1 the scan started from (0 when unknown or fresh). */
  readonly chainAtBase: number;
  readonly loss?: Loss;
  /** Damage that cost no acknowledged record; `repair` says what makes the store consistent again. */
  readonly findings: readonly string[];
  readonly repair: { readonly meta: boolean; readonly mark: boolean };
  /** The lowest stored seq below the base (retired rows a compaction has not swept yet), if any. */
  readonly retiredFrom?: number;
  readonly durationMs: number;
}

interface MetaRead {
  value?: number;
  damaged?: string;
}

async function readMetaNumber(driver: StorageDriver, key: string): Promise<MetaRead> {
  let raw: string | undefined;
  try {
    raw = await driver.getMeta(key);
  } catch (e) {
    if (!isAiosError(e, "E_CORRUPT")) throw e;
    return { damaged: `meta ${key} is unreadable (${e.message})` };
  }
  if (raw === undefined) return {};
  const d = decodeMetaNumber(key, raw);
  return d.ok ? { value: d.value } : { damaged: d.why };
}

async function storedBounds(driver: StorageDriver): Promise<{ first: number | null; last: number | null }> {
  try {
    return await driver.bounds();
  } catch (e) {
    if (!isAiosError(e, "E_CORRUPT")) throw e;
    return { first: null, last: null };
  }
}

/** Best effort: whom a damaged record concerned, when its body still parses. */
function nameIn(row: JournalRow, agents: Set<string>, messages: Set<string>): void {
  try {
    const o: unknown = JSON.parse(row.body);
    if (typeof o !== "object" || o === null) return;
    const r = o as Record<string, unknown>;
    for (const k of ["agent", "to", "from"]) if (typeof r[k] === "string") agents.add(r[k]);
    if (r["t"] === "enqueue" && typeof r["id"] === "string") messages.add(r["id"]);
    if (r["t"] === "handled" && typeof r["msg"] === "string") messages.add(r["msg"]);
  } catch {
    /* unreadable body: only its seq is known */
  }
}

class LossBuilder {
  readonly ranges: LostRange[] = [];
  readonly agents = new Set<string>();
  readonly messages = new Set<string>();

  add(fromSeq: number, toSeq: number, reason: string): void {
    if (toSeq < fromSeq) return;
    const prev = this.ranges.at(-1);
    // Consecutive bad records with the same reason read as one range.
    if (prev !== undefined && prev.toSeq + 1 === fromSeq && prev.reason === reason) {
      this.ranges[this.ranges.length - 1] = { ...prev, toSeq, count: toSeq - prev.fromSeq + 1 };
      return;
    }
    this.ranges.push({ fromSeq, toSeq, count: toSeq - fromSeq + 1, reason });
  }

  build(): Loss | undefined {
    if (this.ranges.length === 0) return undefined;
    const count = this.ranges.reduce((n, r) => n + r.count, 0);
    return {
      ranges: this.ranges,
      count,
      fromSeq: Math.min(...this.ranges.map((r) => r.fromSeq)),
      toSeq: Math.max(...this.ranges.map((r) => r.toSeq)),
      agents: [...this.agents].sort(),
      messages: [...this.messages].sort(),
    };
  }
}

/** Scans and verifies the whole journal against its meta and the acknowledgement mark. */
export async function scanJournal(driver: StorageDriver, mark?: AckMark, now: () => number = () => performance.now()): Promise<ScanResult> {
  const started = now();
  const findings: string[] = [];
  const repair = { meta: false, mark: false };
  let baseMeta = await readMetaNumber(driver, META_BASE);
  const horizon = await readMetaNumber(driver, META_HORIZON);
  const highMeta = await readMetaNumber(driver, META_HIGH);
  const chainMeta = await readMetaNumber(driver, META_CHAIN);
  for (const m of [baseMeta, highMeta, chainMeta, horizon]) {
    if (m.damaged === undefined) continue;
    findings.push(m.damaged);
    repair.meta = true;
  }
  // Either copy of the base, when one is damaged; the lower when both read but differ (a compaction
  // writes both in one transaction, so only damage makes them differ: reading more is the safe side).
  if (baseMeta.value === undefined && horizon.value !== undefined) baseMeta = { value: horizon.value };
  else if (baseMeta.value !== undefined && horizon.value !== undefined && horizon.value !== baseMeta.value) {
    findings.push(`meta journal.base (${baseMeta.value}) and journal.horizon (${horizon.value}) differ; the scan starts at the lower`);
    repair.meta = true;
    baseMeta = { value: Math.min(baseMeta.value, horizon.value) };
  }
  const bounds = await storedBounds(driver);
  const ack = mark?.read() ?? { state: "missing" as const };
  let acked: AckPoint | undefined = ack.state === "ok" ? ack.point : undefined;
  const ahead = acked?.from;

  let base = baseMeta.value ?? 1;
  if (baseMeta.value === undefined && bounds.first !== null) base = bounds.first;
  if (baseMeta.value === undefined && baseMeta.damaged !== undefined && bounds.first === null && acked !== undefined) base = (ahead ?? acked).seq + 1;
  // Retired rows (below the base) are not read; the journal sweeps them (ADR 0049).
  const retiredFrom = bounds.first !== null && bounds.first < base ? bounds.first : undefined;
  // The chain at base-1: recorded at compaction; a fresh journal starts at 0.
  let chain = chainMeta.value ?? 0;
  const chainAtBase = chain;
  const chainKnown = chainMeta.value !== undefined || (base === 1 && chainMeta.damaged === undefined);

  const state = new JournalState();
  const loss = new LossBuilder();
  let expected = base;
  let records = 0;
  let chainBroken = !chainKnown;
  let chainAtMark: number | undefined = acked !== undefined && acked.seq === base - 1 && chainKnown ? chain : undefined;
  let chainAtFrom: number | undefined = ahead !== undefined && ahead.seq === base - 1 && chainKnown ? chain : undefined;
  const ceiling = Math.max(bounds.last ?? 0, highMeta.value ?? 0, acked?.seq ?? 0, base);

  // Bulk reads of PAGE rows; after a failed read, single rows until past the damage.
  let careful = 0;
  for (;;) {
    let rows: JournalRow[];
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
      const next = await firstReadable(driver, expected, ceiling + 1);
      loss.add(expected, (next ?? ceiling + 1) - 1, `unreadable (${e.message})`);
      chainBroken = true;
      if (next === undefined) {
        expected = ceiling + 1;
        break;
      }
      expected = next;
      continue;
    }
    if (rows.length === 0) break;
    for (const row of rows) {
      if (row.seq < expected) {
        // Only a damaged index hands a seq back twice or out of order.
        loss.add(row.seq, row.seq, "stored out of order (a damaged index)");
        chainBroken = true;
        continue;
      }
      if (row.seq > expected) {
        loss.add(expected, row.seq - 1, "missing from the store");
        chainBroken = true;
      }
      const d = decode(row);
      if (d.ok) {
        state.apply(d.record);
        records++;
        chain = chainNext(chain, row.crc);
      } else {
        loss.add(row.seq, row.seq, `failed verification: ${d.why}`);
        nameIn(row, loss.agents, loss.messages);
        chainBroken = true;
      }
      if (acked !== undefined && row.seq === acked.seq && !chainBroken) chainAtMark = chain;
      if (ahead !== undefined && row.seq === ahead.seq && !chainBroken) chainAtFrom = chain;
      expected = row.seq + 1;
    }
    if (rows.length < limit && careful === 0) break;
  }

  const present = expected - 1;
  if (highMeta.value !== undefined && highMeta.value > present) {
    loss.add(present + 1, highMeta.value, `the store recorded writes up to ${highMeta.value} but holds records only up to ${present} (tail cut off)`);
  }
  const lastKnown = Math.max(present, highMeta.value ?? 0);
  if (ahead !== undefined && lastKnown === ahead.seq) {
    // The batch the mark covered ahead of its commit never committed (ADR 0059): the mark stands
    // at the committed point it recorded, whose running hash is checked like any mark's. A store
    // ending below that point lost acknowledged records, and the batch may have been acknowledged
    // too (committed, then destroyed with the rest): the loss is named through the batch's end.
    acked = ahead;
    chainAtMark = chainAtFrom;
  }
  if (acked !== undefined && acked.seq > lastKnown) {
    loss.add(lastKnown + 1, acked.seq, `acknowledged up to ${acked.seq} (${mark?.location ?? "mark"}) but the store ends at ${lastKnown}`);
  }
  const built = loss.build();
  if (built === undefined && mark !== undefined) {
    if (ack.state === "missing" && (present > 0 || base > 1)) {
      findings.push(`the acknowledgement mark ${mark.location} is missing; written afresh from the verified journal`);
      repair.mark = true;
    } else if (ack.state === "damaged") {
      findings.push(`the acknowledgement mark is damaged (${ack.why}); written afresh from the verified journal`);
      repair.mark = true;
    } else if (acked !== undefined && acked.seq < base - 1) {
      findings.push(`the acknowledgement mark (seq ${acked.seq}) is older than the journal (base ${base}); written afresh`);
      repair.mark = true;
    }
  }
  const result = { state, records, chainAtBase, nextSeq: Math.max(expected, (acked?.seq ?? 0) + 1, (highMeta.value ?? 0) + 1), base, chain, findings, repair, ...(retiredFrom === undefined ? {} : { retiredFrom }) };
  if (built === undefined && acked !== undefined && chainAtMark !== undefined && chainAtMark !== acked.chain) {
    // Same length, other content: an older or foreign copy of the store, or records rewritten.
    const l = new LossBuilder();
    l.add(base, acked.seq, `the journal's running hash at seq ${acked.seq} (${chainAtMark.toString(16)}) differs from the acknowledged one (${acked.chain.toString(16)}): this is not the history that was acknowledged`);
    return { ...result, loss: l.build() as Loss, durationMs: now() - started };
  }
  return { ...result, ...(built === undefined ? {} : { loss: built }), durationMs: now() - started };
}

export function describeLoss(loss: Loss): string {
  const ranges = loss.ranges.map((r) => `seq ${r.fromSeq}..${r.toSeq} (${r.count}): ${r.reason}`).join("; ");
  const named =
    (loss.agents.length > 0 ? `; agents named by damaged records: ${loss.agents.slice(0, 20).join(", ")}${loss.agents.length > 20 ? ", ..." : ""}` : "") +
    (loss.messages.length > 0 ? `; messages: ${loss.messages.slice(0, 20).join(", ")}${loss.messages.length > 20 ? ", ..." : ""}` : "");
  return (
    `journal damaged: lost ${loss.count} acknowledged record(s), seq ${loss.fromSeq}..${loss.toSeq} — ${ranges}${named}` +
    (loss.aside === undefined ? "" : `; the damaged store was kept at ${loss.aside}`)
  );
}

export { META_BASE, META_HIGH, META_CHAIN, META_HORIZON };
