/**
 * The accounting check over aggregate entries (aggregate.ts): every allowed call counted into an
 * aggregate got the next number of one sequence, so within a batch the counts add up to the range
 * the batch covers, and each batch starts where the one before ended. A removed aggregate, an edited
 * count or a batch dropped whole shows as a hole here — even where whoever did it also rewrote the
 * chain hashes after it (which the signed checkpoints catch as well, unless the key was stolen too).
 * Batches are numbered in order; the first batch the log holds (after retention) starts the count.
 */
import type { AuditProblem } from "./verify-types.js";

interface Batch {
  readonly batch: number;
  readonly at: number;
  lo: number;
  hi: number;
  sum: number;
}

export class AggregateAccounting {
  private open: Batch | null = null;
  private prevEnd: number | null = null;
  private prevBatch: number | null = null;

  constructor(private readonly report: (p: AuditProblem) => void) {}

  add(seq: number, data: unknown): void {
    const d = (data ?? {}) as Record<string, unknown>;
    const count = d["count"];
    const first = d["firstSeq"];
    const last = d["lastSeq"];
    const batch = d["batch"];
    if (!isInt(count) || !isInt(first) || !isInt(last) || !isInt(batch) || count < 1 || first > last || count > last - first + 1) {
      this.report({ seq, kind: "aggregate", message: `entry ${seq}: an aggregate whose count and sequence range do not fit (count ${String(count)}, ${String(first)}..${String(last)})` });
      return;
    }
    const b = this.open;
    if (b === null || b.batch !== batch) {
      this.close();
      this.open = { batch, at: seq, lo: first, hi: last, sum: count };
      return;
    }
    b.lo = Math.min(b.lo, first);
    b.hi = Math.max(b.hi, last);
    b.sum += count;
  }

  /** Ends the batch in progress (call once more after the last entry). */
  close(): void {
    const b = this.open;
    if (b === null) return;
    this.open = null;
    if (b.sum !== b.hi - b.lo + 1) {
      this.report({ seq: b.at, kind: "aggregate", message: `the aggregates of batch ${b.batch} (from entry ${b.at}) count ${b.sum} calls but cover calls ${b.lo}..${b.hi} (${b.hi - b.lo + 1}): an aggregate was removed or its count edited` });
    }
    if (this.prevEnd !== null && b.lo !== this.prevEnd + 1) {
      const what = b.lo > this.prevEnd + 1 ? `calls ${this.prevEnd + 1}..${b.lo - 1} are in no aggregate` : `calls from ${b.lo} were counted twice`;
      this.report({ seq: b.at, kind: "aggregate", message: `batch ${b.batch} (from entry ${b.at}) does not continue batch ${String(this.prevBatch)}: ${what} (a batch of aggregates was removed or reordered)` });
    }
    this.prevEnd = b.hi;
    this.prevBatch = b.batch;
  }
}

function isInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v);
}
