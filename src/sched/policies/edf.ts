/**
 * Earliest deadline first. Requests with a deadline go in deadline order, ahead of those without one
 * (which follow in arrival order). A running preemptible request can be preempted by a waiter whose
 * deadline is earlier than its own.
 */
import { MinHeap } from "../heap.js";
import type { SchedPolicy } from "../sched-policy.js";
import type { Waiter } from "../waiter.js";

const deadlineOf = (w: Waiter): number => w.deadline ?? Infinity;

export class EdfPolicy implements SchedPolicy {
  readonly name = "edf" as const;
  private readonly heap = new MinHeap<Waiter>((x, y) => {
    const dx = deadlineOf(x);
    const dy = deadlineOf(y);
    return dx < dy || (dx === dy && x.seq < y.seq);
  });
  private live = 0;

  get size(): number {
    return this.live;
  }

  push(w: Waiter): void {
    this.live++;
    this.heap.push(w);
  }
  peek(): Waiter | undefined {
    this.skipDead();
    return this.heap.peek();
  }
  pop(): Waiter | undefined {
    this.skipDead();
    const w = this.heap.pop();
    if (w !== undefined) this.live--;
    return w;
  }
  remove(_w: Waiter): void {
    this.live--;
  }
  rekey(_w: Waiter): void {}
  outranks(a: Waiter, b: Waiter): boolean {
    return a.deadline !== undefined && a.deadline < deadlineOf(b);
  }

  private skipDead(): void {
    for (let w = this.heap.peek(); w !== undefined && w.state !== "waiting"; w = this.heap.peek()) this.heap.pop();
  }
}
