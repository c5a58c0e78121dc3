/**
 * The journal: append-only, checksummed, typed records over a StorageDriver, with group commit.
 *
 * Group commit: `append` queues the record and resolves only once the batch holding it is durable.
 * Everything appended in the same event-loop turn (and whatever arrives while a batch is being
 * written) goes into one transaction, so one fsync serves many records without weakening the
 * promise: a resolved append is on disk. A failed batch (e.g. E_STORAGE_FULL) rejects every append
 * in it, takes no seq numbers and changes no state, so later appends continue densely.
 *
 * All driver writes (batches, compaction, salvage) run one at a time on `exclusive`, so a
 * compaction never interleaves with a batch. Opening always runs recovery first: nothing is
 * appended after a record that has not been verified.
 */
import { AiosError, toAiosError } from "../core/index.js";
import { serialise, toRow } from "./codec.js";
import type { StorageDriver } from "./driver.js";
import type { JournalRecord } from "./records.js";
import { describeLoss, META_BASE, META_HIGH, scanJournal, type LostRange, type ScanResult } from "./recovery.js";
import type { JournalState } from "./state.js";

export interface JournalOptions {
  /** Most records in one transaction (default 50,000). */
  readonly maxBatch?: number;
  /** Compact when the store holds at least this many rows ... (default 100,000) */
  readonly compactMinRows?: number;
  /** ... and more than this many times the rows the live state needs (default 4). */
  readonly compactRatio?: number;
  /** On damage: keep the verified prefix and continue ("salvage", default) or refuse to open. */
  readonly onCorruption?: "salvage" | "refuse";
}

export interface RecoveryReport {
  readonly records: number;
  readonly durationMs: number;
  readonly lost?: LostRange;
  readonly messages: readonly string[];
}

interface Pending {
  readonly rec: JournalRecord;
  readonly body: string;
  readonly resolve: (seq: number) => void;
  readonly reject: (e: unknown) => void;
}

export class Journal {
  private pending: Pending[] = [];
  private scheduled = false;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private rows: number;
  private readonly maxBatch: number;
  private readonly compactMinRows: number;
  private readonly compactRatio: number;
  private compactRetryAt = 0;

  private constructor(
    private readonly driver: StorageDriver,
    readonly state: JournalState,
    private nextSeq: number,
    readonly recovery: RecoveryReport,
    rows: number,
    options: JournalOptions,
  ) {
    this.rows = rows;
    this.maxBatch = options.maxBatch ?? 50_000;
    this.compactMinRows = options.compactMinRows ?? 100_000;
    this.compactRatio = options.compactRatio ?? 4;
  }

  /** Opens the journal: verifies every record, salvages or refuses on damage, folds the state. */
  static async open(driver: StorageDriver, options: JournalOptions = {}): Promise<Journal> {
    const scan: ScanResult = await scanJournal(driver);
    const messages: string[] = [`journal: ${scan.records} record(s) verified in ${scan.durationMs.toFixed(0)} ms`];
    let lost = scan.lost;
    if (lost !== undefined) {
      if (options.onCorruption === "refuse") {
        throw new AiosError("E_CORRUPT", describeLoss(lost), { details: { ...lost } });
      }
      const aside = await driver.salvage(lost.fromSeq);
      lost = { ...lost, aside };
      await driver.write({ meta: { [META_HIGH]: String(scan.nextSeq - 1), [META_BASE]: String(scan.base) } });
      messages.push(describeLoss(lost));
    }
    const report: RecoveryReport = { records: scan.records, durationMs: scan.durationMs, messages, ...(lost ? { lost } : {}) };
    return new Journal(driver, scan.state, scan.nextSeq, report, scan.records, options);
  }

  /** Queues a record; resolves with its seq once it is durable. */
  append(rec: JournalRecord): Promise<number> {
    if (this.closed) return Promise.reject(new AiosError("E_SHUTDOWN", "the journal is closed"));
    let body: string;
    try {
      body = serialise(rec);
    } catch (e) {
      return Promise.reject(toAiosError(e, "E_INVALID_ARG"));
    }
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ rec, body, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when everything appended before the call is durable (or has failed). */
  async flush(): Promise<void> {
    while (this.pending.length > 0 || this.scheduled) {
      this.scheduled = true;
      await this.exclusive(() => this.writeBatch());
    }
    await this.exclusive(async () => undefined);
  }

  /** Rows currently stored (verified at open, plus appended, minus compacted away). */
  storedRows(): number {
    return this.rows;
  }

  /** Rewrites the live state as fresh records and drops everything before them, atomically. */
  compact(): Promise<{ readonly removed: number; readonly written: number }> {
    return this.exclusive(async () => {
      const start = this.nextSeq;
      const rows = this.state.toRecords().map((r, i) => toRow(start + i, r));
      const before = this.rows;
      const end = start + rows.length - 1;
      await this.driver.write({ append: rows, deleteBelow: start, meta: { [META_BASE]: String(start), [META_HIGH]: String(end) } });
      this.nextSeq = start + rows.length;
      this.rows = rows.length;
      return { removed: before, written: rows.length };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    await this.exclusive(() => this.driver.close());
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate, not a microtask: every append of this turn, across awaits, joins the batch.
    setImmediate(() => void this.exclusive(() => this.writeBatch()));
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async writeBatch(): Promise<void> {
    this.scheduled = false;
    if (this.pending.length === 0) return;
    const batch = this.pending.splice(0, this.maxBatch);
    if (this.pending.length > 0) this.schedule();
    const start = this.nextSeq;
    const rows = batch.map((p, i) => toRow(start + i, p.rec, p.body));
    try {
      await this.driver.write({ append: rows, meta: { [META_HIGH]: String(start + rows.length - 1) } });
    } catch (e) {
      for (const p of batch) p.reject(e);
      return;
    }
    this.nextSeq = start + rows.length;
    this.rows += rows.length;
    batch.forEach((p, i) => {
      this.state.apply(p.rec);
      p.resolve(start + i);
    });
    if (this.rows >= Math.max(this.compactMinRows, this.compactRetryAt) && this.rows > this.compactRatio * this.state.size()) {
      // Fire and forget on the exclusive chain; a failed compaction (e.g. disk full) leaves the
      // journal as it was and is retried only after the journal doubled, not after every batch.
      this.compact().catch(() => {
        this.compactRetryAt = this.rows * 2;
      });
    }
  }
}
