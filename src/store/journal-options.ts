/** How a journal (journal.ts) batches, compacts, and treats a loss found at open. */
import type { AckMark } from "./ack-mark.js";

export interface JournalOptions {
  /** Most records in one transaction (default 50,000). */
  readonly maxBatch?: number;
  /**
   * Compact when the store holds at least this many rows ... (default 40,000: a crash leaves at most
   * this many, or `compactRatio` times the live state, for the next open to read; issue #17.6)
   */
  readonly compactMinRows?: number;
  /** ... and more than this many times the rows the live state needs (default 4). */
  readonly compactRatio?: number;
  /**
   * Compact at close when the store holds at least this many rows (and a quarter) more than the live
   * state needs (default 1,000; Infinity: never), so the next open reads the live state, not the
   * history since the last compaction: a restart's scan is bounded by what is alive (issue #17.6).
   */
  readonly compactOnClose?: number;
  /**
   * When acknowledged records are lost (damaged, missing, cut off, or behind the mark): refuse to
   * open with E_CORRUPT naming the loss (default), or accept it — keep every record that verifies,
   * set the damaged store aside and continue (`aios recover --accept-loss`).
   */
  readonly onLoss?: "refuse" | "accept";
  /** The independent acknowledgement mark (ack-mark.ts), written once per commit batch. */
  readonly ack?: AckMark;
  /** Wall clock for the accepted-loss record (injected in tests). */
  readonly now?: () => number;
  /**
   * Told after each durable batch: how many rows it stored (ADR 0071: not the records it left out),
   * how long its write took (observe/), and whether it went to the driver as `here` (ADR 0072).
   */
  readonly onCommit?: (records: number, seconds: number, here: boolean) => void;
  /**
   * Asked as each batch goes to the driver: true when nothing else waits to run on this thread (the
   * kernel: no agent on its run queue). The batch is then committed here, not handed to the
   * driver's writer thread, unless another batch is queued behind it or the last write took longer
   * than `hereMaxMs` (a slow disk: the thread keeps the event loop free meanwhile). ADR 0072.
   */
  readonly here?: () => boolean;
  /** The slowest last write (ms) after which a batch still commits here (default 2). */
  readonly hereMaxMs?: number;
  /**
   * The longest a record appended with `{ wait: false }` waits for a commit when nothing else
   * starts one (default 10 ms). Such a record (nobody awaits it) never starts a commit of its own: it
   * goes into the next batch someone waits for, or this long after it was appended.
   */
  readonly unawaitedMs?: number;
  /**
   * Fewest retired rows one sweep chunk deletes (default 2,048; a chunk riding a commit deletes at
   * least twice the rows the commit appends, so the sweep outpaces the journal's growth; ADR 0049).
   */
  readonly sweepChunk?: number;
}
