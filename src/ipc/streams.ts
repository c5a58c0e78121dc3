/**
 * Streams: ordered chunks from one producer to one consumer with credit-based backpressure. The
 * consumer's window is the number of chunks delivered but not yet read; a producer's write awaits
 * while the window is full, so a fast producer can never run ahead of a slow consumer by more than
 * `window` chunks. Invariants: chunks are read in sequence order (seq 0, 1, 2, ...) even when writes
 * are issued without awaiting or arrive out of order (a reorder buffer holds early chunks); after
 * end() the reader sees every chunk and then done; after cancel() or abort() waiting writers reject.
 */
import { AiosError, type Clock } from "../core/index.js";
import type { Envelope } from "./envelope.js";

type Waiter = { resolve: () => void; reject: (e: Error) => void };
type Reader = { resolve: (r: IteratorResult<Envelope>) => void; reject: (e: Error) => void };

export class MessageStream {
  private nextSeq = 0;
  private expect = 0;
  private endSeq: number | undefined;
  private readonly early = new Map<number, Envelope>();
  private readonly ready: Envelope[] = [];
  private readonly writers: Waiter[] = [];
  private readonly readers: Reader[] = [];
  private failure: AiosError | undefined;
  /** Chunks admitted (credit taken) but not yet read. */
  private inFlight = 0;

  constructor(
    readonly id: string,
    readonly from: string | undefined,
    readonly to: string,
    readonly window: number,
    private readonly clock: Clock,
  ) {
    if (!Number.isInteger(window) || window < 1) throw new AiosError("E_INVALID_ARG", "window: expected a positive integer", { details: { path: "window" } });
  }

  get closed(): boolean {
    return this.endSeq !== undefined || this.failure !== undefined;
  }
  get buffered(): number {
    return this.inFlight;
  }

  /** The sequence number the next write will take; throws when the stream takes no more chunks. */
  peekSeq(): number {
    if (this.endSeq !== undefined) throw new AiosError("E_INVALID_ARG", `stream ${this.id} has ended; no more chunks`, { details: { path: "stream" } });
    if (this.failure !== undefined) throw this.failure;
    return this.nextSeq;
  }

  /** Reserves the next sequence number (writes keep the order they were called in). */
  takeSeq(): number {
    this.peekSeq();
    return this.nextSeq++;
  }

  /** Waits for credit (window room), in call order. */
  async credit(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.inFlight < this.window && this.writers.length === 0) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((resolve, reject) => this.writers.push({ resolve, reject }));
  }

  /** Delivers a chunk whose credit was taken. */
  push(chunk: Envelope): void {
    const seq = chunk.seq;
    if (seq === undefined || seq < this.expect || this.early.has(seq)) {
      throw new AiosError("E_INVALID_ARG", `stream ${this.id}: chunk seq ${String(seq)} is missing or repeated`, { details: { path: "seq" } });
    }
    this.early.set(seq, chunk);
    for (let c = this.early.get(this.expect); c !== undefined; c = this.early.get(this.expect)) {
      this.early.delete(this.expect++);
      const r = this.readers.shift();
      if (r !== undefined) this.consumed(r, c);
      else this.ready.push(c);
    }
  }

  end(): void {
    if (this.endSeq === undefined) this.endSeq = this.nextSeq;
    this.settleEnd();
  }

  /** Producer side failure: readers get the error after the chunks already delivered. */
  abort(err: AiosError): void {
    this.failure ??= err;
    for (const w of this.writers.splice(0)) w.reject(err);
    if (this.ready.length === 0) for (const r of this.readers.splice(0)) r.reject(err);
  }

  /** Consumer gives up: waiting and later writes reject with E_CANCELLED. */
  cancel(reason = "the consumer cancelled the stream"): void {
    this.abort(new AiosError("E_CANCELLED", `stream ${this.id}: ${reason}`));
    this.ready.length = 0;
  }

  /** The next chunk in order; done after end(). Rejects with E_TIMEOUT after `timeoutMs` if given. */
  read(timeoutMs?: number): Promise<IteratorResult<Envelope>> {
    const c = this.ready.shift();
    if (c !== undefined) {
      this.release();
      return Promise.resolve({ value: c, done: false });
    }
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.endSeq !== undefined && this.expect >= this.endSeq) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      if (timeoutMs === undefined) {
        this.readers.push({ resolve, reject });
        return;
      }
      const timer = this.clock.setTimeout(() => {
        const i = this.readers.indexOf(r);
        if (i < 0) return;
        this.readers.splice(i, 1);
        reject(new AiosError("E_TIMEOUT", `stream ${this.id}: no chunk within ${timeoutMs} ms`, { details: { timeoutMs } }));
      }, timeoutMs);
      const r: Reader = {
        resolve: (v) => (this.clock.clearTimeout(timer), resolve(v)),
        reject: (e) => (this.clock.clearTimeout(timer), reject(e)),
      };
      this.readers.push(r);
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<Envelope> {
    return { next: () => this.read(), return: () => (this.cancel(), Promise.resolve({ value: undefined, done: true })) };
  }

  private consumed(r: Reader, c: Envelope): void {
    this.release();
    r.resolve({ value: c, done: false });
  }

  /** A chunk was read: its credit goes to the next waiting writer, or back to the pool. */
  private release(): void {
    const w = this.writers.shift();
    if (w !== undefined) w.resolve();
    else this.inFlight--;
    this.settleEnd();
  }

  private settleEnd(): void {
    if (this.endSeq === undefined || this.expect < this.endSeq || this.ready.length > 0) return;
    for (const r of this.readers.splice(0)) r.resolve({ value: undefined, done: true });
  }
}
