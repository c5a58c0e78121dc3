/**
 * The accounting check over aggregate entries (aggregate.ts, packed.ts): every allowed call counted
 * into an aggregate got the next number of one sequence, so a batch's counts add up to the range it
 * covers, and each batch starts where the one before ended. For a packed entry (ADR 0034) also: each
 * row inside its batch's range and counting no more calls than its own range holds, the rows adding
 * up to the entry's count, and the parts of a batch in order and complete. A row removed, a count
 * edited, a row moved from another interval, a part dropped or a batch dropped or swapped shows here
 * — even where whoever did it also rewrote the chain hashes after it (which the signed checkpoints
 * catch as well, unless the key was stolen too). What accounting cannot see — counts moved between
 * two rows of one batch within their ranges, an agent's name swapped with another's — is left to the
 * chain and the signed checkpoints. Batches are numbered in order; the first batch the log holds
 * (after retention) starts the count. Entries of the older per-agent form (ADR 0019) are checked as
 * before, and the two forms continue each other's numbering.
 */
import { isPacked, parsePacked, type PackedData } from "./packed.js";
import type { AuditProblem } from "./verify-types.js";

interface Batch {
  readonly batch: number;
  readonly at: number;
  lo: number;
  hi: number;
  sum: number;
  /** A packed batch: its header, and the next part expected. */
  readonly packed?: { readonly parts: number; next: number };
}

export class AggregateAccounting {
  private open: Batch | null = null;
  private prevEnd: number | null = null;
  private prevBatch: number | null = null;

  constructor(private readonly report: (p: AuditProblem) => void) {}

  add(seq: number, data: unknown): void {
    if (isPacked(data)) this.addPacked(seq, data);
    else this.addSingle(seq, data);
  }

  /** An entry of the older form: one agent's calls under one grant. */
  private addSingle(seq: number, data: unknown): void {
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
    if (b === null || b.batch !== batch || b.packed !== undefined) {
      this.close();
      this.open = { batch, at: seq, lo: first, hi: last, sum: count };
      return;
    }
    b.lo = Math.min(b.lo, first);
    b.hi = Math.max(b.hi, last);
    b.sum += count;
  }

  private addPacked(seq: number, data: unknown): void {
    const d = parsePacked(data);
    if (typeof d === "string") {
      this.report({ seq, kind: "aggregate", message: `entry ${seq}: a packed aggregate that does not add up: ${d}` });
      return;
    }
    const b = this.open;
    if (d.part === 0) {
      this.close();
      this.open = { batch: d.batch, at: seq, lo: d.firstSeq, hi: d.lastSeq, sum: d.count, packed: { parts: d.parts, next: 1 } };
    } else if (b?.packed !== undefined && sameBatch(b, d) && b.packed.next === d.part) {
      b.sum += d.count;
      b.packed.next++;
    } else {
      const where = b?.packed !== undefined && sameBatch(b, d) ? `part ${b.packed.next} was expected (a part was removed or reordered)` : `no part 0 of batch ${d.batch} precedes it (a part was removed or moved)`;
      this.report({ seq, kind: "aggregate", message: `entry ${seq}: part ${d.part} of ${d.parts} of batch ${d.batch} is out of place: ${where}` });
      return;
    }
    if (d.part === d.parts - 1) this.close();
  }

  /** Ends the batch in progress (call once more after the last entry). */
  close(): void {
    const b = this.open;
    if (b === null) return;
    this.open = null;
    if (b.packed !== undefined && b.packed.next < b.packed.parts) {
      this.report({ seq: b.at, kind: "aggregate", message: `batch ${b.batch} (from entry ${b.at}) ends after ${b.packed.next} of its ${b.packed.parts} parts: a part was removed` });
    }
    if (b.sum !== b.hi - b.lo + 1) {
      this.report({ seq: b.at, kind: "aggregate", message: `the aggregates of batch ${b.batch} (from entry ${b.at}) count ${b.sum} calls but cover calls ${b.lo}..${b.hi} (${b.hi - b.lo + 1}): an aggregate or a row was removed or its count edited` });
    }
    if (this.prevEnd !== null && b.lo !== this.prevEnd + 1) {
      const what = b.lo > this.prevEnd + 1 ? `calls ${this.prevEnd + 1}..${b.lo - 1} are in no aggregate` : `calls from ${b.lo} were counted twice`;
      this.report({ seq: b.at, kind: "aggregate", message: `batch ${b.batch} (from entry ${b.at}) does not continue batch ${String(this.prevBatch)}: ${what} (a batch of aggregates was removed or reordered)` });
    }
    this.prevEnd = b.hi;
    this.prevBatch = b.batch;
  }
}

function sameBatch(b: Batch, d: PackedData): boolean {
  return b.batch === d.batch && b.lo === d.firstSeq && b.hi === d.lastSeq && b.packed?.parts === d.parts;
}

function isInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v);
}
