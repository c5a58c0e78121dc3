/**
 * A millisecond clock that costs one memory read. A worker thread writes the time into shared memory
 * every millisecond; the dispatcher reads it before and after every receive to spot hogs. Reading
 * performance.now() twice per message would cost ~95 ns, as much as delivering the message itself,
 * and the worker keeps ticking while the main thread is stuck in a hog, so the reading stays true.
 *
 * The worker starts only once the clock has been read `startAfter` times (ADR 0004): starting a
 * thread costs ~65 CPU-ms, a tenth of a restart's budget (issue #17 item 6), and pays off only under
 * traffic. Until it ticks — and if it ever stops — readings come from performance.now(): exact, and
 * as true during a hog, just slower per call.
 */
import { Worker } from "node:worker_threads";

const WORKER_SRC = `
const { workerData, parentPort } = require("node:worker_threads");
const cell = new Float64Array(workerData);
const tick = () => { cell[0] = performance.timeOrigin + performance.now(); };
tick();
setInterval(tick, 1);
parentPort.postMessage("ticking");
`;

export interface CoarseClockOptions {
  /** Readings served by performance.now() before the worker starts (default 20,000, about 10,000 receives; 0: at once). */
  readonly startAfter?: number;
}

export class CoarseClock {
  private readonly cell = new Float64Array(new SharedArrayBuffer(8));
  private worker: Worker | null = null;
  private ticking = false;
  private closed = false;
  private untilStart: number;

  constructor(options: CoarseClockOptions = {}) {
    this.untilStart = Math.max(0, options.startAfter ?? 20_000);
    if (this.untilStart === 0) this.start();
  }

  /** Epoch milliseconds, at most ~1-2 ms stale. */
  now(): number {
    return this.ticking ? (this.cell[0] as number) : this.precise();
  }

  /** Whether the worker thread was started (it is never started twice). */
  get started(): boolean {
    return this.worker !== null;
  }

  /** Whether readings come from the worker (false until it ticks, and after it stopped). */
  get coarse(): boolean {
    return this.ticking;
  }

  private precise(): number {
    if (this.untilStart > 0 && --this.untilStart === 0) this.start();
    return performance.timeOrigin + performance.now();
  }

  private start(): void {
    if (this.worker !== null || this.closed) return;
    this.cell[0] = performance.timeOrigin + performance.now();
    const worker = new Worker(WORKER_SRC, { eval: true, workerData: this.cell.buffer });
    this.worker = worker;
    // The clock never keeps the process alive.
    worker.unref();
    worker.once("message", () => {
      this.ticking = this.worker === worker;
    });
    // A thread that fails or ends leaves the precise clock in charge; nothing else depends on it.
    worker.once("error", () => undefined);
    worker.once("exit", () => {
      if (this.worker === worker) this.ticking = false;
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.ticking = false;
    const w = this.worker;
    this.worker = null;
    if (w !== null) await w.terminate();
  }
}
