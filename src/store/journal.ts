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
 * Cost model (why the hot path looks as it does): a record is JSON-encoded once in `append` and
 * queued in the pending batch (pending-batch.ts); the batch computes one CRC over those characters
 * per record it stores (not those later records of the same batch supersede: ADR 0071),
 * hands the rows to the driver (a multi-row INSERT inside one transaction) and only then folds the
 * records into the state and resolves. Nothing on the append path parses or validates with zod —
 * the kernel builds its records itself; recovery checks every record (record-check.ts) when it
 * reads them back.
 *
 * All driver writes (batches, compaction, salvage) run one at a time on `exclusive`, so a
 * compaction never interleaves with a batch. Opening always runs recovery first (journal-open.ts):
 * nothing is appended after a record that has not been verified.
 *
 * Automatic compaction (ADR 0049) is two steps, neither holding the writer for long: a rebase
 * writes the live state as fresh records and moves journal.base (and its copy journal.horizon) to
 * them in one transaction, deleting nothing; the rows below the base are then retired history,
 * never read again, swept in chunks that ride the next commits (or an idle write of their own). A
 * crash anywhere leaves a valid store: retired rows are ignored at open and the sweep resumes.
 */
import { AiosError, toAiosError } from "../core/index.js";
import { chainOver, type AckMark } from "./ack-mark.js";
import { serialise, toRow } from "./codec.js";
import type { StorageDriver } from "./driver.js";
import { verifyAtOpen, type RecoveryReport } from "./journal-open.js";
import type { JournalOptions } from "./journal-options.js";
import { encodeMetas, META_BASE, META_CHAIN, META_HIGH, META_HORIZON } from "./meta.js";
import { MarkCommit } from "./mark-commit.js";
import { PendingBatch } from "./pending-batch.js";
import type { JournalRecord } from "./records.js";
import type { JournalState } from "./state.js";

const HERE = { here: true } as const;

export class Journal {
  private queue = new PendingBatch();
  /** Queues that reached maxBatch, oldest first, each committed as one batch before `queue`. */
  private full: PendingBatch[] = [];
  private scheduled = false;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;
  private rows: number;
  private readonly maxBatch: number;
  private readonly compactMinRows: number;
  private readonly compactRatio: number;
  private readonly compactOnClose: number;
  private compactRetryAt = 0;
  /**
   * The lowest seq that may still be stored below the base (retired rows not swept yet); equal to
   * the base once every chunk is deleted and only giving the space back (an idle write) is left.
   */
  private retiredFrom: number | undefined;
  /** journal.base: the first seq recovery reads. */
  private base: number;
  private rebasing = false;
  private readonly sweepChunk: number;
  private readonly onCommit: ((records: number, seconds: number, here: boolean) => void) | undefined;
  /** True when nothing else waits to run on this thread (JournalOptions.here, ADR 0072). */
  private readonly here: (() => boolean) | undefined;
  /** A write slower than this (ms) sends the next batch to the driver's writer thread (ADR 0072). */
  private readonly hereMaxMs: number;
  /** How long the last batch's write took (ms): a slow one sends the next to the writer thread. */
  private lastWriteMs = 0;
  /** The acknowledgement mark's group commit (mark-commit.ts); undefined without a mark. */
  private readonly marks: MarkCommit | undefined;
  private readonly unawaitedMs: number;
  /** Commits queued records nobody waits for when no other batch took them (scheduleUnawaited). */
  private unawaitedTimer: ReturnType<typeof setTimeout> | undefined;
  /** The last record appended (its append's promise), and how many batches failed so far: durable(). */
  private last: Promise<unknown> = Promise.resolve();
  private failures = 0;

  private constructor(
    private readonly driver: StorageDriver,
    readonly state: JournalState,
    private nextSeq: number,
    /** The running hash after seq nextSeq-1. */
    private hash: number,
    readonly recovery: RecoveryReport,
    rows: number,
    options: JournalOptions,
    private readonly ack: AckMark | undefined,
    base: number,
    retiredFrom: number | undefined,
  ) {
    this.rows = rows;
    this.base = base;
    this.retiredFrom = retiredFrom;
    this.maxBatch = options.maxBatch ?? 50_000;
    this.compactMinRows = options.compactMinRows ?? 40_000;
    this.compactRatio = options.compactRatio ?? 4;
    this.compactOnClose = options.compactOnClose ?? 1_000;
    this.onCommit = options.onCommit;
    this.here = options.here;
    this.hereMaxMs = options.hereMaxMs ?? 2;
    this.unawaitedMs = options.unawaitedMs ?? 10;
    this.sweepChunk = options.sweepChunk ?? 2_048;
    this.marks = ack === undefined ? undefined : new MarkCommit(ack, () => ({ seq: this.nextSeq - 1, chain: this.hash }), this.unawaitedMs);
  }

  /** Mark writes that failed (the mark lags; recovery reads a lagging mark as nothing lost). */
  get markFailures(): number {
    return this.marks?.failures ?? 0;
  }

  /**
   * Opens the journal: verifies every record against its meta and the acknowledgement mark,
   * repairs damage that cost nothing, and on a loss refuses (default) or accepts it.
   */
  static async open(driver: StorageDriver, options: JournalOptions = {}): Promise<Journal> {
    const v = await verifyAtOpen(driver, options);
    const journal = new Journal(driver, v.state, v.nextSeq, v.chain, v.report, v.rows, options, options.ack, v.base, v.retiredFrom);
    if (v.retiredFrom !== undefined) journal.scheduleUnawaited();
    return journal;
  }

  /** Queues a record; resolves with its seq once it is durable. */
  append(rec: JournalRecord, options?: { readonly wait?: boolean }): Promise<number> {
    const body = this.encode(rec);
    if (typeof body !== "string") return body;
    return this.asTail(this.batchFor().awaited(rec, body), options);
  }

  /**
   * The same when the caller needs no seq: resolves once the record is durable, with the promise
   * every such record of its batch shares (the durable send path: one promise per commit, not per
   * letter). A failed batch rejects it, as it rejects each append.
   */
  commit(rec: JournalRecord, options?: { readonly wait?: boolean }): Promise<void> {
    try {
      return this.commitOrThrow(rec, options);
    } catch (e) {
      return Promise.reject(toAiosError(e, "E_INVALID_ARG"));
    }
  }

  /**
   * `commit`, but a record JSON cannot hold is refused by a throw in the caller's turn, not a
   * rejected promise: a letter or a durable agent's checkpoint, which the kernel must know it could
   * not journal before the letter is delivered, the agent's reply leaves or its next message runs.
   */
  commitOrThrow(rec: JournalRecord, options?: { readonly wait?: boolean }): Promise<void> {
    if (this.closed) return closedJournal();
    let body: string;
    try {
      body = serialise(rec);
    } catch (e) {
      throw toAiosError(e, "E_INVALID_ARG");
    }
    return this.asTail(this.batchFor().joined(rec, body), options);
  }

  /**
   * The same without encoding the record now (ADR 0075): its JSON is made when its batch is written,
   * and never when a later record of the batch supersedes it (ADR 0071). The caller vouches that
   * nothing in `rec` changes until then. A value JSON cannot hold is reported to `failed` and the
   * record is not stored; the promise still resolves with the rest of its batch.
   */
  commitDeferred(rec: JournalRecord, failed: (e: unknown) => void, options?: { readonly wait?: boolean }): Promise<void> {
    if (this.closed) return closedJournal();
    return this.asTail(this.batchFor().deferred(rec, failed), options);
  }

  /** A record just queued: its promise is the one durable() waits behind; its commit is started or scheduled. */
  private asTail<T>(done: Promise<T>, options: { readonly wait?: boolean } | undefined): Promise<T> {
    this.last = done;
    this.kick(options);
    return done;
  }

  /** The record's JSON (encoded once, here: the batch checksums and stores exactly these characters), or the refusal. */
  private encode(rec: JournalRecord): string | Promise<never> {
    if (this.closed) return closedJournal();
    try {
      return serialise(rec);
    } catch (e) {
      return Promise.reject(toAiosError(e, "E_INVALID_ARG"));
    }
  }

  /** The batch the next record joins (a full one is set aside first). */
  private batchFor(): PendingBatch {
    if (this.queue.length >= this.maxBatch) {
      this.full.push(this.queue);
      this.queue = new PendingBatch();
    }
    return this.queue;
  }

  private kick(options: { readonly wait?: boolean } | undefined): void {
    if (options?.wait === false) this.scheduleUnawaited();
    else this.schedule();
  }

  /** Records appended and not yet handed to the driver (the queue and the full batches before it). */
  queued(): number {
    let n = this.queue.length;
    for (const q of this.full) n += q.length;
    return n;
  }

  private pending(): boolean {
    return this.full.length > 0 || this.queue.length > 0;
  }

  /**
   * Resolves once every record appended before the call is durable, starting a commit when records
   * wait for one (the output commit, ADR 0052). Batches commit and acknowledge in seq order, so the
   * last record's acknowledgement covers all earlier ones. Rejects when a batch failed meanwhile: a
   * record the caller depends on may have been in it.
   */
  durable(): Promise<void> {
    if (this.pending()) this.schedule();
    const failures = this.failures;
    return this.last.then(() => {
      if (this.failures !== failures) throw new AiosError("E_STORAGE", "a journal batch failed before this point was durable");
    });
  }

  /** Resolves when everything appended before the call is durable (or has failed). */
  async flush(): Promise<void> {
    while (this.pending() || this.scheduled) {
      this.scheduled = true;
      await this.exclusive(() => this.writeBatch());
    }
    await this.exclusive(async () => undefined);
    await this.marks?.settled(true);
  }

  /** Rows currently stored (verified at open, plus appended, minus compacted away). */
  storedRows(): number {
    return this.rows;
  }

  /**
   * The stored rows at which a committed batch starts an automatic compaction, at today's live size:
   * the most a crash (no compaction at close) can leave for the next open to read. Benches use it to
   * kill a daemon at the worst point of the cycle.
   */
  compactionThreshold(): number {
    return Math.max(this.compactMinRows, this.compactRetryAt, Math.floor(this.compactRatio * this.state.size()) + 1);
  }

  /** Rewrites the live state as fresh records and drops everything before them, atomically. */
  compact(): Promise<{ readonly removed: number; readonly written: number }> {
    return this.exclusive(async () => {
      await this.marks?.correct();
      const start = this.nextSeq;
      const rows = this.state.toRecords().map((r, i) => toRow(start + i, r));
      const before = this.rows;
      const end = start + rows.length - 1;
      // The running hash at start-1 goes into the meta, so recovery can check the mark after the
      // records it was computed over are gone.
      const meta = encodeMetas({ [META_BASE]: String(start), [META_HORIZON]: String(start), [META_HIGH]: String(end), [META_CHAIN]: String(this.hash) });
      await this.driver.write({ append: rows, deleteBelow: start, meta });
      this.nextSeq = start + rows.length;
      this.rows = rows.length;
      this.base = start;
      this.retiredFrom = undefined;
      this.hash = chainOver(this.hash, rows);
      this.marks?.now();
      return { removed: before, written: rows.length };
    });
  }

  /**
   * The automatic compaction's first step (ADR 0049): the live state as fresh records and the base
   * moved to them, in one transaction that deletes nothing. The rows below the new base are retired
   * and swept in chunks by later writes; the mark follows through the usual group commit.
   */
  private rebase(): Promise<void> {
    return this.exclusive(async () => {
      await this.marks?.correct();
      const start = this.nextSeq;
      const rows = this.state.toRecords().map((r, i) => toRow(start + i, r));
      const end = start + rows.length - 1;
      const meta = encodeMetas({ [META_BASE]: String(start), [META_HORIZON]: String(start), [META_HIGH]: String(end), [META_CHAIN]: String(this.hash) });
      await this.driver.write({ append: rows, meta });
      this.retiredFrom ??= this.base;
      this.base = start;
      this.nextSeq = start + rows.length;
      this.rows = rows.length;
      this.hash = chainOver(this.hash, rows);
      this.marks?.cover(end);
      this.scheduleUnawaited();
    });
  }

  /** The next sweep chunk for a write appending `n` rows: delete below this seq (or nothing). */
  private sweepTo(n: number): number | undefined {
    if (this.retiredFrom === undefined || (n > 0 && this.retiredFrom >= this.base)) return undefined;
    return Math.min(this.base, this.retiredFrom + Math.max(this.sweepChunk, 2 * n));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    clearTimeout(this.unawaitedTimer);
    this.unawaitedTimer = undefined;
    // Finish a sweep in progress, so a clean stop leaves no retired rows (a failed chunk ends it).
    for (let at = this.retiredFrom; at !== undefined; ) {
      await this.exclusive(() => this.sweep());
      clearTimeout(this.unawaitedTimer);
      this.unawaitedTimer = undefined;
      if (this.retiredFrom === at) break;
      at = this.retiredFrom;
    }
    const live = this.state.size();
    if (this.rows - live >= Math.max(this.compactOnClose, live / 4)) {
      // A failed compaction (e.g. disk full) leaves the journal as it was: the next open reads more.
      await this.compact().catch(() => undefined);
    }
    this.closed = true;
    this.marks?.stop();
    await this.marks?.settled();
    await this.exclusive(() => this.driver.close());
    this.ack?.close();
  }

  /**
   * A record nobody waits for: it rides the next batch (whatever starts one takes the whole queue),
   * and only when none starts within unawaitedMs does it get a batch of its own.
   */
  private scheduleUnawaited(): void {
    if (this.closed) return;
    if (this.scheduled || this.unawaitedTimer !== undefined) return;
    this.unawaitedTimer = setTimeout(() => {
      this.unawaitedTimer = undefined;
      this.schedule();
    }, this.unawaitedMs);
  }

  private schedule(): void {
    if (this.unawaitedTimer !== undefined) {
      clearTimeout(this.unawaitedTimer);
      this.unawaitedTimer = undefined;
    }
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

  /** The oldest queued batch (at most maxBatch appends), leaving the rest queued in order. */
  private take(): PendingBatch {
    const full = this.full.shift();
    if (full !== undefined) return full;
    const q = this.queue;
    this.queue = new PendingBatch();
    return q;
  }

  private async writeBatch(): Promise<void> {
    this.scheduled = false;
    if (!this.pending()) {
      if (this.retiredFrom !== undefined) await this.sweep();
      return;
    }
    const batch = this.take();
    if (this.pending()) this.schedule();
    const refuse = (e: unknown): void => {
      this.failures++;
      batch.refuse(e);
    };
    try {
      await this.marks?.correct();
    } catch (e) {
      refuse(e);
      return;
    }
    const start = this.nextSeq;
    const { rows, kept } = batch.rows(start);
    const n = rows.length;
    const chain = chainOver(this.hash, rows);
    const ack = (): void => batch.ack(start);
    // The mark's sync starts now, beside the commit (ADR 0059); the appends wait for both.
    const waiting = this.marks?.begin(start + n - 1, chain, n, ack);
    const sweep = this.sweepTo(n);
    // Committed here when nothing else waits to run and the disk is quick (ADR 0072).
    const here = this.lastWriteMs <= this.hereMaxMs && !this.pending() && this.here?.() === true;
    const t0 = performance.now();
    try {
      await this.driver.write({
        append: rows,
        // A chunk riding a commit never gives space back (a WAL checkpoint would delay the batch).
        ...(sweep === undefined ? {} : { deleteBelow: sweep, reclaim: false }),
        meta: encodeMetas({ [META_HIGH]: String(start + n - 1) }),
      }, here ? HERE : undefined);
    } catch (e) {
      // A mark may already cover its seqs: corrected before the next write reuses them.
      if (waiting !== undefined) this.marks?.refused(waiting);
      refuse(e);
      return;
    }
    this.lastWriteMs = performance.now() - t0;
    this.onCommit?.(n, this.lastWriteMs / 1000, here);
    if (sweep !== undefined) this.retiredFrom = sweep;
    this.nextSeq = start + n;
    this.rows += n;
    this.hash = chain;
    const state = this.state;
    for (let i = 0; i < n; i++) state.apply(kept[i] as JournalRecord);
    // With a mark, acknowledged only once a durable mark covers the batch too: the mark never
    // trails an acknowledgement. Usually the mark written beside the commit already does.
    if (waiting === undefined) ack();
    else this.marks?.stored(waiting);
    if (!this.rebasing && this.rows >= this.compactionThreshold()) {
      // Fire and forget on the exclusive chain; a failed rebase (e.g. disk full) leaves the journal
      // as it was and is retried only after the journal doubled, not after every batch.
      this.rebasing = true;
      this.rebase()
        .catch(() => {
          this.compactRetryAt = this.rows * 2;
        })
        .finally(() => {
          this.rebasing = false;
        });
    } else if (this.retiredFrom !== undefined) this.scheduleUnawaited();
  }

  /** A sweep chunk on its own, the last one giving the space back (the writer went idle). */
  private async sweep(): Promise<void> {
    const to = this.sweepTo(0);
    if (to === undefined) return;
    const last = to >= this.base;
    try {
      await this.driver.write({ deleteBelow: to, reclaim: last });
    } catch {
      return; // retried by the next write: the retired rows stay retired meanwhile
    }
    this.retiredFrom = last ? undefined : to;
    if (!last) this.scheduleUnawaited();
  }
}

/** An append to a journal that is closed. */
function closedJournal(): Promise<never> {
  return Promise.reject(new AiosError("E_SHUTDOWN", "the journal is closed"));
}
