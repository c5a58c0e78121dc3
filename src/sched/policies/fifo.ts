/** First come, first served: one ring in arrival order; cancelled entries are skipped lazily. */
import { Ring } from "../../core/index.js";
import type { SchedPolicy } from "../sched-policy.js";
import type { Waiter } from "../waiter.js";

export class FifoPolicy implements SchedPolicy {
  readonly name = "fifo" as const;
  private readonly q = new Ring<Waiter>();
  private live = 0;

  get size(): number {
    return this.live;
  }

  push(w: Waiter): void {
    this.q.push(w);
    this.live++;
  }
  peek(): Waiter | undefined {
    this.skipDead();
    return this.q.peek();
  }
  pop(): Waiter | undefined {
    this.skipDead();
    const w = this.q.shift();
    if (w !== undefined) this.live--;
    return w;
  }
  remove(_w: Waiter): void {
    this.live--;
  }
  rekey(_w: Waiter): void {}

  private skipDead(): void {
    for (let h = this.q.peek(); h !== undefined && h.state !== "waiting"; h = this.q.peek()) this.q.shift();
  }
}
