/**
 * The records appended for the journal's next batch (journal.ts), as parallel arrays: no wrapper
 * object per append. A batch never holds more than the journal's maxBatch records (a full one waits
 * its turn), so it is always written as one transaction. Appends that need no seq share one promise
 * per batch instead of one each (the durable send path: one promise per commit, not per letter).
 * A deferred record (ADR 0075) is encoded when the batch is written, and not at all when a later
 * record of the batch supersedes it.
 */
import type { JournalRow } from "./driver.js";
import { serialise, toRow } from "./codec.js";
import type { JournalRecord } from "./records.js";
import { supersededRecords } from "./superseded.js";

interface Shared {
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

export class PendingBatch {
  readonly recs: JournalRecord[] = [];
  /**
   * Each record's JSON, encoded once (at append, or for a deferred record when the batch is written):
   * the rows store and checksum exactly these characters. Undefined while a deferred record waits.
   */
  private readonly bodies: (string | undefined)[] = [];
  /** Per record; undefined for a record that waits on `shared`. */
  private readonly resolves: (((seq: number) => void) | undefined)[] = [];
  /**
   * Per record: an awaited append's reject; for a deferred record not yet encoded, where a value JSON
   * cannot hold is reported (the record is then left out); undefined otherwise.
   */
  private readonly rejects: (((e: unknown) => void) | undefined)[] = [];
  /** Deferred records not yet encoded. */
  private unencoded = 0;
  private shared: Shared | undefined;
  /** Intent, result and enqueue records that wait on `shared`: what a later record may supersede. */
  private foldable = 0;
  /** Per record, 1 when it is not stored (set by `rows`). */
  private drop: Uint8Array | undefined;

  get length(): number {
    return this.recs.length;
  }

  /** Queues `rec`, encoded as `body`; resolves with its seq once the batch is durable. */
  awaited(rec: JournalRecord, body: string): Promise<number> {
    this.recs.push(rec);
    this.bodies.push(body);
    return new Promise<number>((resolve, reject) => {
      this.resolves.push(resolve);
      this.rejects.push(reject);
    });
  }

  /** Queues `rec`, encoded as `body`; resolves, with every such record of the batch, once it is durable. */
  joined(rec: JournalRecord, body: string): Promise<void> {
    return this.join(rec, body, undefined);
  }

  /**
   * Queues `rec` unencoded, as `joined` otherwise: it is encoded when the batch is written (its values
   * must not change until then), and not at all when a later record of the batch supersedes it. A
   * value JSON cannot hold is reported to `failed` then, and the record is left out of the batch.
   */
  deferred(rec: JournalRecord, failed: (e: unknown) => void): Promise<void> {
    this.unencoded++;
    return this.join(rec, undefined, failed);
  }

  private join(rec: JournalRecord, body: string | undefined, failed: ((e: unknown) => void) | undefined): Promise<void> {
    this.recs.push(rec);
    this.bodies.push(body);
    this.resolves.push(undefined);
    this.rejects.push(failed);
    if (rec.t === "result" || rec.t === "intent" || rec.t === "enqueue") this.foldable++;
    if (this.shared === undefined) {
      let resolve: () => void = () => undefined;
      let reject: (e: unknown) => void = () => undefined;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.shared = { promise, resolve, reject };
    }
    return this.shared.promise;
  }

  /**
   * The rows to store from seq `start`: every record but those later records of the batch supersede
   * (ADR 0071: calls a handled record folds, letters handled in the batch), and only among records
   * nobody waits for alone, so every seq an `awaited` append resolves with is a stored row's.
   */
  rows(start: number): { readonly rows: JournalRow[]; readonly kept: readonly JournalRecord[] } {
    const { recs, bodies } = this;
    let drop = this.foldable > 0 ? supersededRecords(recs) : undefined;
    if (drop !== undefined) for (let i = 0; i < drop.length; i++) if (this.resolves[i] !== undefined) drop[i] = 0;
    if (this.unencoded > 0) drop = this.encodeDeferred(drop);
    this.drop = drop;
    if (drop === undefined) return { rows: recs.map((r, i) => toRow(start + i, r, bodies[i])), kept: recs };
    const rows: JournalRow[] = [];
    const kept: JournalRecord[] = [];
    for (let i = 0; i < recs.length; i++) {
      if (drop[i] === 1) continue;
      rows.push(toRow(start + rows.length, recs[i] as JournalRecord, bodies[i]));
      kept.push(recs[i] as JournalRecord);
    }
    return { rows, kept };
  }

  /**
   * Encodes the deferred records the batch stores (those `drop` leaves in); one JSON cannot hold is
   * reported to its caller and dropped too. Returns the drop marks, made if a failure needs them.
   */
  private encodeDeferred(drop: Uint8Array | undefined): Uint8Array | undefined {
    const { recs, bodies, rejects } = this;
    for (let i = 0; i < recs.length && this.unencoded > 0; i++) {
      if (bodies[i] !== undefined) continue;
      this.unencoded--;
      const failed = rejects[i];
      rejects[i] = undefined; // from here on a joined record: a failed write reaches it through `shared`
      if (drop?.[i] === 1) continue;
      try {
        bodies[i] = serialise(recs[i] as JournalRecord);
      } catch (e) {
        (drop ??= new Uint8Array(recs.length))[i] = 1;
        failed?.(e);
      }
    }
    return drop;
  }

  /** The batch is durable from seq `start`: each append resolves with its row's seq. */
  ack(start: number): void {
    const drop = this.drop;
    for (let i = 0, k = 0; i < this.resolves.length; i++) {
      if (drop?.[i] === 1) continue;
      this.resolves[i]?.(start + k);
      k++;
    }
    this.shared?.resolve();
  }

  /** The batch failed: every append in it rejects with `e` (a deferred record through `shared`). */
  refuse(e: unknown): void {
    for (let i = 0; i < this.rejects.length; i++) if (this.bodies[i] !== undefined) this.rejects[i]?.(e);
    this.shared?.reject(e);
  }
}
