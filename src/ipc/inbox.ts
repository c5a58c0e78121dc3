/**
 * Pull inboxes for SemanticRecv: per agent, a bounded FIFO of envelopes (from pull-mode topic
 * subscriptions) and the receivers waiting for one. A waiting receiver is woken by the next arrival
 * or by its timeout on the injected clock (then it gets null), never both.
 */
import type { Clock } from "../core/index.js";
import type { Envelope } from "./envelope.js";

type Waiter = (e: Envelope | null) => void;

interface Box {
  readonly q: Envelope[];
  readonly waiters: Waiter[];
}

export class Inboxes {
  private readonly boxes = new Map<string, Box>();

  constructor(
    private readonly clock: Clock,
    readonly capacity = 1024,
  ) {}

  private box(agent: string): Box {
    let b = this.boxes.get(agent);
    if (b === undefined) this.boxes.set(agent, (b = { q: [], waiters: [] }));
    return b;
  }

  /** False when the inbox is full (the caller dead-letters the envelope). */
  put(agent: string, e: Envelope): boolean {
    const b = this.box(agent);
    const w = b.waiters.shift();
    if (w !== undefined) {
      w(e);
      return true;
    }
    if (b.q.length >= this.capacity) return false;
    b.q.push(e);
    return true;
  }

  length(agent: string): number {
    return this.boxes.get(agent)?.q.length ?? 0;
  }

  /** The next envelope, waiting up to `timeoutMs` (0: do not wait); null when none came. */
  take(agent: string, timeoutMs = 0, signal?: AbortSignal): Promise<Envelope | null> {
    const b = this.box(agent);
    const e = b.q.shift();
    if (e !== undefined) return Promise.resolve(e);
    if (timeoutMs <= 0 || signal?.aborted === true) return Promise.resolve(null);
    return new Promise((resolve) => {
      const done: Waiter = (v) => {
        const i = b.waiters.indexOf(done);
        if (i >= 0) b.waiters.splice(i, 1);
        this.clock.clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        resolve(v);
      };
      const onAbort = (): void => done(null);
      const timer = this.clock.setTimeout(() => done(null), timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      b.waiters.push(done);
    });
  }

  /** Agents with an inbox. */
  get size(): number {
    return this.boxes.size;
  }

  drop(agent: string): void {
    const b = this.boxes.get(agent);
    if (b === undefined) return;
    this.boxes.delete(agent);
    for (const w of b.waiters.splice(0)) w(null);
  }
}
