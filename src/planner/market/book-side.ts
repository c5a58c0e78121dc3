/**
 * One side of the limit order book: price levels, each a FIFO queue of resting orders (time
 * priority), kept in an array of prices sorted so that the best price is last (bids ascending,
 * asks descending) — taking or dropping the best level is O(1), a new level is a binary-search
 * insert. Cancels are lazy inside a level (the order is marked dead and skipped at the head) but a
 * level whose volume reaches zero leaves at once, so the best level always has volume.
 */
import type { Side } from "./types.js";

export interface Resting {
  readonly id: string;
  readonly owner: string;
  readonly side: Side;
  readonly price: number;
  remaining: number;
  readonly seq: number;
  live: boolean;
}

export class Level {
  readonly orders: Resting[] = [];
  head = 0;
  volume = 0;
  constructor(readonly price: number) {}

  /** The oldest live order, dropping dead ones from the front. */
  first(): Resting | undefined {
    while (this.head < this.orders.length) {
      const o = this.orders[this.head] as Resting;
      if (o.live) return o;
      this.head++;
    }
    return undefined;
  }
  shift(): void {
    this.head++;
    if (this.head > 64 && this.head * 2 > this.orders.length) {
      this.orders.splice(0, this.head);
      this.head = 0;
    }
  }
  /** Live orders, oldest first. */
  *live(): Generator<Resting> {
    for (let i = this.head; i < this.orders.length; i++) {
      const o = this.orders[i] as Resting;
      if (o.live) yield o;
    }
  }
}

export class BookSide {
  /** Sorted so the best price is last. */
  private readonly prices: number[] = [];
  private readonly levels = new Map<number, Level>();

  constructor(readonly side: Side) {}

  /** True when price `a` is better than `b` for this side. */
  private better(a: number, b: number): boolean {
    return this.side === "buy" ? a > b : a < b;
  }

  best(): Level | undefined {
    const p = this.prices[this.prices.length - 1];
    return p === undefined ? undefined : this.levels.get(p);
  }

  add(o: Resting): void {
    let lvl = this.levels.get(o.price);
    if (lvl === undefined) {
      lvl = new Level(o.price);
      this.levels.set(o.price, lvl);
      // First index whose price is better than o.price: insert there (worse prices stay in front).
      let lo = 0;
      let hi = this.prices.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (this.better(this.prices[mid] as number, o.price)) hi = mid;
        else lo = mid + 1;
      }
      this.prices.splice(lo, 0, o.price);
    }
    lvl.orders.push(o);
    lvl.volume += o.remaining;
  }

  /** Takes `q` from the level's volume; drops the level when it is empty. */
  reduce(lvl: Level, q: number): void {
    lvl.volume -= q;
    if (lvl.volume === 0) this.dropLevel(lvl.price);
  }

  private dropLevel(price: number): void {
    this.levels.delete(price);
    const last = this.prices.length - 1;
    if (this.prices[last] === price) {
      this.prices.pop();
      return;
    }
    let lo = 0;
    let hi = this.prices.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.better(this.prices[mid] as number, price)) hi = mid;
      else lo = mid + 1;
    }
    // prices[lo - 1] is the last index not better than `price`: that is `price` itself.
    if (this.prices[lo - 1] === price) this.prices.splice(lo - 1, 1);
  }

  level(price: number): Level | undefined {
    return this.levels.get(price);
  }

  /** Levels from best to worst. */
  *walk(): Generator<Level> {
    for (let i = this.prices.length - 1; i >= 0; i--) yield this.levels.get(this.prices[i] as number) as Level;
  }

  /** [price, volume] from best to worst. */
  depth(): [number, number][] {
    return [...this.walk()].map((l) => [l.price, l.volume]);
  }
}
