/**
 * Strict priority classes with aging. Higher priority goes first; within a class, arrival order.
 * Aging: a waiter gains one priority level per `agingMs` waited, so low classes are eventually served
 * under a steady stream of high ones. Because every waiter ages at the same rate, comparing
 * `priority + (now - enqueuedAt) / agingMs` is the same as comparing the time-free key
 * `priority - (enqueuedAt - epoch) / agingMs` — one static heap key, no periodic re-sorting.
 *
 * Preemption compares effective priority without aging: an old low-priority waiter does not evict a
 * running high-priority request; aging only decides who is next.
 */
import { MinHeap } from "../heap.js";
import type { SchedPolicy } from "../sched-policy.js";
import type { Waiter } from "../waiter.js";

interface Entry {
  readonly w: Waiter;
  readonly key: number;
  readonly gen: number;
}

export class PriorityPolicy implements SchedPolicy {
  readonly name = "priority" as const;
  private readonly heap = new MinHeap<Entry>((x, y) => x.key > y.key || (x.key === y.key && x.w.seq < y.w.seq));
  private live = 0;

  constructor(
    private readonly agingMs: number,
    private readonly epoch: number,
  ) {}

  get size(): number {
    return this.live;
  }

  push(w: Waiter): void {
    this.live++;
    this.heap.push({ w, key: this.key(w), gen: w.gen });
  }
  peek(): Waiter | undefined {
    this.skipDead();
    return this.heap.peek()?.w;
  }
  pop(): Waiter | undefined {
    this.skipDead();
    const e = this.heap.pop();
    if (e !== undefined) this.live--;
    return e?.w;
  }
  remove(_w: Waiter): void {
    this.live--;
  }
  rekey(w: Waiter): void {
    // The pool bumped w.gen, so the old entry is now stale.
    this.heap.push({ w, key: this.key(w), gen: w.gen });
  }
  outranks(a: Waiter, b: Waiter): boolean {
    return a.priority > b.priority;
  }

  private key(w: Waiter): number {
    return Number.isFinite(this.agingMs) ? w.priority - (w.enqueuedAt - this.epoch) / this.agingMs : w.priority;
  }

  private skipDead(): void {
    for (let e = this.heap.peek(); e !== undefined && (e.w.state !== "waiting" || e.gen !== e.w.gen); e = this.heap.peek()) this.heap.pop();
  }
}
