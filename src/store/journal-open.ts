/**
 * What opening a journal verifies before the first append (journal.ts): every record against its
 * meta and the acknowledgement mark, damage that cost nothing repaired, and a loss of acknowledged
 * records refused (default) or, when an operator accepts it, every verified record rewritten past
 * every seq ever used with the damaged store set aside. Nothing is appended after a record that has
 * not been verified.
 */
import { AiosError } from "../core/index.js";
import { chainOver } from "./ack-mark.js";
import { toRow } from "./codec.js";
import type { StorageDriver } from "./driver.js";
import type { JournalOptions } from "./journal-options.js";
import { decodeMeta, encodeMetas, META_BASE, META_CHAIN, META_HIGH, META_HORIZON, META_LOSS } from "./meta.js";
import { describeLoss, scanJournal, type Loss, type ScanResult } from "./recovery.js";
import type { JournalState } from "./state.js";

/** A loss an operator accepted, as kept in the store's meta (META_LOSS) for status and the API. */
export interface AcceptedLoss {
  readonly acceptedAt: number;
  readonly fromSeq: number;
  readonly toSeq: number;
  readonly count: number;
  readonly summary: string;
  readonly aside?: string;
}

export interface RecoveryReport {
  readonly records: number;
  readonly durationMs: number;
  /** Acknowledged records lost, when the loss was accepted. */
  readonly loss?: Loss;
  /** Damage found and repaired at open that cost nothing acknowledged. */
  readonly findings: readonly string[];
  /** The last loss an operator accepted on this store (this open's, or an earlier one). */
  readonly acceptedLoss?: AcceptedLoss;
  readonly messages: readonly string[];
}

async function readAcceptedLoss(driver: StorageDriver): Promise<AcceptedLoss | undefined> {
  try {
    const raw = await driver.getMeta(META_LOSS);
    if (raw === undefined) return undefined;
    const d = decodeMeta(META_LOSS, raw);
    if (!d.ok) return undefined;
    const v: unknown = JSON.parse(d.value);
    if (typeof v !== "object" || v === null) return undefined;
    const o = v as Record<string, unknown>;
    const num = (k: string): number => (typeof o[k] === "number" ? o[k] : 0);
    return {
      acceptedAt: num("acceptedAt"), fromSeq: num("fromSeq"), toSeq: num("toSeq"), count: num("count"),
      summary: typeof o["summary"] === "string" ? o["summary"] : "",
      ...(typeof o["aside"] === "string" ? { aside: o["aside"] } : {}),
    };
  } catch {
    return undefined; // a damaged history note is not worth refusing a verified journal for
  }
}

/** A verified journal, ready to take appends. */
export interface Verified {
  readonly state: JournalState;
  readonly nextSeq: number;
  /** The running hash after seq nextSeq-1. */
  readonly chain: number;
  readonly report: RecoveryReport;
  readonly rows: number;
  readonly base: number;
  /** Rows below the base not swept yet (a compaction's sweep was cut short), or undefined. */
  readonly retiredFrom: number | undefined;
}

/** Verifies the store under `driver`, repairs what cost nothing, and refuses or accepts a loss. */
export async function verifyAtOpen(driver: StorageDriver, options: JournalOptions): Promise<Verified> {
  const scan: ScanResult = await scanJournal(driver, options.ack);
  const messages: string[] = [`journal: ${scan.records} record(s) verified in ${scan.durationMs.toFixed(0)} ms`];
  for (const f of scan.findings) messages.push(`journal damage repaired, nothing acknowledged lost: ${f}`);
  let loss = scan.loss;
  let { base, nextSeq, chain } = { base: scan.base, nextSeq: scan.nextSeq, chain: scan.chain };
  let rows = scan.records;
  let accepted = await readAcceptedLoss(driver);
  if (loss !== undefined) {
    if (options.onLoss !== "accept") {
      throw new AiosError("E_CORRUPT", `${describeLoss(loss)}. The store ${driver.location} was not changed; to continue without the lost records run \`aios recover --accept-loss\``, {
        details: { file: driver.location, ...(options.ack ? { mark: options.ack.location } : {}), fromSeq: loss.fromSeq, toSeq: loss.toSeq, count: loss.count, ranges: loss.ranges, agents: loss.agents, messages: loss.messages },
      });
    }
    // Keep every verified record (as the state they fold to), past every seq ever used, so a seq
    // is never reused and the mark only moves forward.
    const fresh = scan.state.toRecords().map((r, i) => toRow(nextSeq + i, r));
    base = nextSeq;
    chain = chainOver(0, fresh);
    const aside = `${driver.location}.damaged-${(options.now ?? Date.now)()}`;
    loss = { ...loss, aside };
    accepted = { acceptedAt: (options.now ?? Date.now)(), fromSeq: loss.fromSeq, toSeq: loss.toSeq, count: loss.count, summary: describeLoss(loss), aside };
    const meta = { [META_BASE]: String(base), [META_HORIZON]: String(base), [META_HIGH]: String(base + fresh.length - 1), [META_CHAIN]: "0", [META_LOSS]: JSON.stringify(accepted) };
    await driver.replaceAll(fresh, encodeMetas(meta), aside);
    nextSeq = base + fresh.length;
    rows = fresh.length;
    messages.push(`${describeLoss(loss)}; loss accepted, ${fresh.length} record(s) rewritten from every record that verified`);
  } else if (scan.repair.meta) {
    await driver.write({ meta: encodeMetas({ [META_BASE]: String(base), [META_HORIZON]: String(base), [META_HIGH]: String(nextSeq - 1), [META_CHAIN]: String(scan.chainAtBase) }) });
  }
  const retiredFrom = loss === undefined ? scan.retiredFrom : undefined;
  if (retiredFrom !== undefined) messages.push(`journal: rows from seq ${retiredFrom} below the base ${base} are retired (a compaction's sweep was cut short); swept after open`);
  // The mark is brought up to the verified journal once per open (it may be missing, stale or new).
  options.ack?.write({ seq: nextSeq - 1, chain });
  const report: RecoveryReport = { records: scan.records, durationMs: scan.durationMs, findings: scan.findings, messages, ...(loss ? { loss } : {}), ...(accepted ? { acceptedLoss: accepted } : {}) };
  return { state: scan.state, nextSeq, chain, report, rows, base, retiredFrom };
}
