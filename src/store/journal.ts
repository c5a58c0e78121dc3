/**
 * The journal: append-only, checksummed, typed records over a StorageDriver, with group commit.
 *
 * Group commit: `append` queues the record and resolves only once the batch holding it is durable.
 * Everything appended in the same event-loop turn (and whatever arrives while a batch is being
 * written) goes into one transaction, so one fsync serves many records without weakening the
 * promise: a resolved append is on disk. A failed batch (e.g. E_STORAGE_FULL) rejects every append
 * in it, takes no seq numbers and changes no state, so later appends continue densely.
 *
 * What a commit guarantees: `append` resolves only after the driver's `write` of its batch
 * returned, i.e. (SQLite) the batch's transaction committed in WAL mode at synchronous=FULL, which
 * fsyncs the WAL before COMMIT returns. A resolved append therefore survives `kill -9` and a power
 * cut (given a disk that honours fsync); an append whose promise has not resolved may or may not be
 * there after a crash, but never half of a batch.
 *
 * Cost model (why the hot path looks as it does): a record is JSON-encoded once in `append`; the
 * batch computes one CRC over those characters per record, hands the rows to the driver (a
 * multi-row INSERT inside one transaction) and only then folds the records into the state and
 * resolves. Nothing on the append path parses or validates with zod — the kernel builds its
 * records itself; recovery checks every record (record-check.ts) when it reads them back.
 *
 * All driver writes (batches, compaction, salvage) run one at a time on `exclusive`, so a
 * compaction never interleaves with a batch. Opening always runs recovery first: nothing is
 * appended after a record that has not been verified.
 */
import { AiosError, toAiosError } from "../core/index.js";
import { serialise, toRow } from "./codec.js";
import type { JournalRow, StorageDriver } from "./driver.js";
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

/** Appends waiting for the next batch, as parallel arrays (no per-append wrapper object). */
interface Queue {
  recs: JournalRecord[];
  bodies: string[];
  resolves: ((seq: number) => void)[];
  rejects: ((e: unknown) => void)[];
}

const emptyQueue = (): Queue => ({ recs: [], bodies: [], resolves: [], rejects: [] });

export class Journal {
  private queue: Queue = emptyQueue();
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
      // The record is encoded once, here; the batch checksums and stores exactly these characters.
      body = serialise(rec);
    } catch (e) {
      return Promise.reject(toAiosError(e, "E_INVALID_ARG"));
    }
    const q = this.queue;
    q.recs.push(rec);
    q.bodies.push(body);
    const done = new Promise<number>((resolve, reject) => {
      q.resolves.push(resolve);
      q.rejects.push(reject);
    });
    this.schedule();
    return done;
  }

  /** Resolves when everything appended before the call is durable (or has failed). */
  async flush(): Promise<void> {
    while (this.queue.recs.length > 0 || this.scheduled) {
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

  /** Takes up to maxBatch queued appends, leaving the rest queued in order. */
  private take(): Queue {
    const q = this.queue;
    if (q.recs.length <= this.maxBatch) {
      this.queue = emptyQueue();
      return q;
    }
    const n = this.maxBatch;
    return { recs: q.recs.splice(0, n), bodies: q.bodies.splice(0, n), resolves: q.resolves.splice(0, n), rejects: q.rejects.splice(0, n) };
  }

  private async writeBatch(): Promise<void> {
    this.scheduled = false;
    if (this.queue.recs.length === 0) return;
    const batch = this.take();
    if (this.queue.recs.length > 0) this.schedule();
    const { recs, bodies, resolves, rejects } = batch;
    const n = recs.length;
    const start = this.nextSeq;
    const rows = new Array<JournalRow>(n);
    for (let i = 0; i < n; i++) rows[i] = toRow(start + i, recs[i] as JournalRecord, bodies[i]);
    try {
      await this.driver.write({ append: rows, meta: { [META_HIGH]: String(start + n - 1) } });
    } catch (e) {
      for (const reject of rejects) reject(e);
      return;
    }
    this.nextSeq = start + n;
    this.rows += n;
    const state = this.state;
    for (let i = 0; i < n; i++) {
      state.apply(recs[i] as JournalRecord);
      (resolves[i] as (seq: number) => void)(start + i);
    }
    if (this.rows >= Math.max(this.compactMinRows, this.compactRetryAt) && this.rows > this.compactRatio * state.size()) {
      // Fire and forget on the exclusive chain; a failed compaction (e.g. disk full) leaves the
      // journal as it was and is retried only after the journal doubled, not after every batch.
      this.compact().catch(() => {
        this.compactRetryAt = this.rows * 2;
      });
    }
  }
}
