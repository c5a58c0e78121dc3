/**
 * A millisecond clock that costs one memory read. A worker thread writes the time into shared memory
 * every millisecond; the run loop reads it after every receive to spot hogs and end its slice.
 * Reading performance.now() per message would cost ~50 ns, as much as delivering the message itself,
 * and the worker keeps ticking while the main thread is stuck in a hog, so the reading stays true.
 *
 * A reading is a tick: whole milliseconds since the clock's origin, modulo 2^30, so it is always a
 * small integer. Epoch milliseconds are a double, which V8 boxes as a heap number wherever it cannot
 * keep it in a register: the run loop's readings made 16 bytes of garbage each, four per message, a
 * scavenge every ~30 ms at a million messages a second, each a pause every message behind it waited
 * out (ADR 0004, amended). Compare two readings with `ticksBetween`.
 *
 * The worker starts only once the clock has been read `startAfter` times (ADR 0004): starting a
 * thread costs ~65 CPU-ms, a tenth of a restart's budget (issue #17 item 6), and pays off only under
 * traffic. Until it ticks — and if it ever stops — readings come from performance.now(): exact, and
 * as true during a hog, just slower per call.
 */
import { Worker } from "node:worker_threads";

/** Ticks wrap at 2^30 ms (12.4 days). */
const TICK_MASK = 0x3fff_ffff;

/** Milliseconds from tick `a` to tick `b`, read after it (correct across the wrap, up to 12 days apart). */
export function ticksBetween(a: number, b: number): number {
  return (b - a) & TICK_MASK;
}

const WORKER_SRC = `
const { workerData, parentPort } = require("node:worker_threads");
const cell = new Int32Array(workerData.cell);
const tick = () => { cell[0] = Math.floor(performance.timeOrigin + performance.now() - workerData.origin) & ${TICK_MASK}; };
tick();
setInterval(tick, 1);
parentPort.postMessage("ticking");
`;

export interface CoarseClockOptions {
  /** Readings served by performance.now() before the worker starts (default 20,000, about 20,000 receives; 0: at once). */
  readonly startAfter?: number;
}

export class CoarseClock {
  private readonly cell = new Int32Array(new SharedArrayBuffer(4));
  /** Epoch milliseconds of tick 0 (both threads count from it). */
  private readonly origin = performance.timeOrigin;
  private worker: Worker | null = null;
  private ticking = false;
  private closed = false;
  private untilStart: number;

  constructor(options: CoarseClockOptions = {}) {
    this.untilStart = Math.max(0, options.startAfter ?? 20_000);
    if (this.untilStart === 0) this.start();
  }

  /** The current tick, at most ~1-2 ms stale. */
  ticks(): number {
    return this.ticking ? (this.cell[0] as number) : this.precise();
  }

  /**
   * The cell ticks() reads while the worker ticks (undefined before it does and after it stopped):
   * a hot loop reads `cell[0]` itself, one memory read with no call.
   */
  get tickSource(): Int32Array | undefined {
    return this.ticking ? this.cell : undefined;
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
    return Math.floor(performance.now()) & TICK_MASK; // performance.now() counts from this thread's timeOrigin: the origin
  }

  private start(): void {
    if (this.worker !== null || this.closed) return;
    this.cell[0] = Math.floor(performance.now()) & TICK_MASK;
    const worker = new Worker(WORKER_SRC, { eval: true, workerData: { cell: this.cell.buffer, origin: this.origin } });
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
