/**
 * Group commit for the acknowledgement mark (ADR 0012, ADR 0059): the journal hands each batch here
 * as it goes to the store, and the batch's appends resolve once it committed AND a durable mark
 * covers it, in seq order. One mark write is in flight at a time, covering every batch committed
 * before it was issued and the batch the store is committing then, so the mark's fdatasync runs
 * beside that batch's commit, not after it.
 *
 * A mark written ahead of a commit records the committed point below the batch (AckPoint.from):
 * recovery reads a store that ends there as that batch never committed. The next mark confirms it:
 * the next batch's, or one of its own once the journal was idle for `idleMs`. A failed mark write
 * still resolves the batches (their records ARE in the store; the mark lags, which recovery reads as
 * nothing lost) and counts in `failures`. A batch the store refused after a mark covered it leaves the
 * mark stale: `correct()` puts it back to the committed point before the next write reuses its seqs.
 */
import { MAX_AHEAD, type AckMark, type AckPoint } from "./ack-mark.js";

/** A batch waiting for its acknowledgement: its commit and a durable mark covering it. */
export interface MarkWaiter {
  readonly seq: number;
  /** The running hash after `seq`: what a mark written ahead of the commit records. */
  readonly chain: number;
  readonly resolve: () => void;
  stored: boolean;
  marked: boolean;
  /** A mark covering this batch was issued before it committed (its refusal leaves the mark stale). */
  ahead: boolean;
}

export class MarkCommit {
  /** Mark writes that failed (the mark lags; recovery reads a lagging mark as nothing lost). */
  failures = 0;
  /** Batches handed to the store and not acknowledged yet, in seq order. */
  private waiting: MarkWaiter[] = [];
  private inFlight: Promise<void> | undefined;
  /** The batch the store is committing, when the next mark may cover it ahead of its commit. */
  private writing: MarkWaiter | undefined;
  /** The mark on disk may cover a batch beyond the committed point (ACK2): a later mark confirms it. */
  private ahead = false;
  /** A mark covered a batch whose commit then failed: corrected before the next write. */
  private stale = false;
  private confirmTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the last mark write was issued (performance.now()): the confirmation waits for idleness. */
  private issuedAt = 0;
  private stopped = false;

  constructor(
    private readonly ack: AckMark,
    /** The journal's committed point: its last stored seq and the running hash after it. */
    private readonly committed: () => AckPoint,
    private readonly idleMs: number,
  ) {}

  /**
   * A batch of `length` records ending at `seq` goes to the store now: `resolve` acknowledges its
   * appends once it is stored (`stored`) and a durable mark covers it. The mark's sync starts now.
   */
  begin(seq: number, chain: number, length: number, resolve: () => void): MarkWaiter {
    const w: MarkWaiter = { seq, chain, resolve, stored: false, marked: false, ahead: false };
    this.waiting.push(w);
    if (length <= MAX_AHEAD) {
      this.writing = w;
      this.pump();
    }
    return w;
  }

  /** The batch committed: acknowledged once a durable mark covers it (usually the one beside it). */
  stored(w: MarkWaiter): void {
    if (this.writing === w) this.writing = undefined;
    w.stored = true;
    this.settle();
    this.pump();
  }

  /** The store refused the batch (the last handed over: batches are written one at a time). */
  refused(w: MarkWaiter): void {
    if (this.writing === w) this.writing = undefined;
    this.waiting.splice(this.waiting.indexOf(w), 1);
    if (w.ahead) this.stale = true;
  }

  /** Records the store already holds (a rebase's fresh rows): the next mark covers them. */
  cover(seq: number): void {
    this.waiting.push({ seq, chain: 0, resolve: () => undefined, stored: true, marked: false, ahead: false });
    this.pump();
  }

  /**
   * Before anything else is written after a refused batch a mark covered: the mark goes back to the
   * committed point, or the next batch's records (reusing those seqs) would read as "not the
   * history that was acknowledged" after a crash. Throws when the write fails: the write that
   * needed it fails with it.
   */
  async correct(): Promise<void> {
    if (!this.stale) return;
    await this.idle();
    this.ack.write(this.committed());
    this.stale = false;
    this.ahead = false;
  }

  /** Resolves once every committed batch is covered by a durable mark (and, `confirm`: by a confirmed one). */
  async settled(confirm = false): Promise<void> {
    await this.idle();
    if (confirm && this.ahead && this.writing === undefined) {
      this.pump(true);
      await this.idle();
    }
  }

  /** Moves the mark to the committed point synchronously (compaction, which holds the write chain). */
  now(): void {
    try {
      this.ack.write(this.committed());
      this.ahead = false;
    } catch {
      this.failures++;
    }
  }

  /** No more confirmations of its own (the journal is closing; `settled` still works). */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.confirmTimer);
    this.confirmTimer = undefined;
  }

  private async idle(): Promise<void> {
    while (this.inFlight !== undefined) await this.inFlight;
  }

  private pump(confirm = false): void {
    if (this.inFlight !== undefined) return;
    const last = this.waiting.at(-1);
    if (!confirm && (last === undefined || last.marked)) {
      if (this.ahead) this.scheduleConfirm();
      return;
    }
    const w = this.writing;
    const committed = this.committed();
    const point: AckPoint = w === undefined ? committed : { seq: w.seq, chain: w.chain, from: committed };
    if (w !== undefined) w.ahead = true;
    let failed = false;
    this.issuedAt = performance.now();
    this.inFlight = this.ack
      .writeAsync(point)
      .catch(() => {
        failed = true;
        this.failures++;
      })
      .then(() => {
        this.inFlight = undefined;
        this.ahead = failed || point.from !== undefined;
        for (const b of this.waiting) {
          if (b.seq > point.seq) break;
          b.marked = true;
        }
        this.settle();
        this.pump();
      });
  }

  /** Acknowledges the oldest batches that committed and are covered by a durable mark, in seq order. */
  private settle(): void {
    let k = 0;
    for (const b of this.waiting) {
      if (!b.stored || !b.marked) break;
      k++;
    }
    if (k > 0) for (const b of this.waiting.splice(0, k)) b.resolve();
  }

  /** A mark of the committed point, once the journal was idle for idleMs (nobody waits for it). */
  private scheduleConfirm(): void {
    if (this.confirmTimer !== undefined || this.stopped) return;
    const fire = (): void => {
      this.confirmTimer = undefined;
      if (!this.ahead || this.stopped) return;
      // Not idle yet (a mark went out meanwhile, or a batch is committing): its mark confirms the
      // point, or the timer looks again.
      const wait = this.issuedAt + this.idleMs - performance.now();
      if (wait > 1 || this.writing !== undefined || this.inFlight !== undefined) {
        this.confirmTimer = setTimeout(fire, Math.max(1, wait));
        this.confirmTimer.unref();
      } else this.pump(true);
    };
    this.confirmTimer = setTimeout(fire, this.idleMs);
    this.confirmTimer.unref();
  }
}
