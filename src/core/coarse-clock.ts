/**
 * A millisecond clock that costs one memory read. A worker thread writes the time into shared memory
 * every millisecond; the dispatcher reads it before and after every receive to spot hogs. Reading
 * performance.now() twice per message would cost ~95 ns, as much as delivering the message itself,
 * and the worker keeps ticking while the main thread is stuck in a hog, so the reading stays true.
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

export class CoarseClock {
  private readonly cell: Float64Array;
  private worker: Worker | null;
  /** Resolves once the worker ticks; until then readings do not move (boot() awaits it). */
  readonly ready: Promise<void>;

  constructor() {
    const sab = new SharedArrayBuffer(8);
    this.cell = new Float64Array(sab);
    this.cell[0] = Date.now();
    const worker = new Worker(WORKER_SRC, { eval: true, workerData: sab });
    this.worker = worker;
    // Referenced until it ticks (so awaiting `ready` keeps the process alive), then unreferenced.
    this.ready = new Promise<void>((resolve, reject) => {
      worker.once("message", () => {
        worker.unref();
        resolve();
      });
      worker.once("error", reject);
    });
  }

  /** Epoch milliseconds, at most ~1-2 ms stale. */
  now(): number {
    return this.cell[0] as number;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w !== null) await w.terminate();
  }
}
