/**
 * A continuous limit order book with price-time priority in integer units: an incoming order
 * trades against the best opposite level first and, within a level, the oldest order first; each
 * trade is at the resting (maker) order's price. Partial fills leave the maker's remainder at its
 * place in the queue. Time in force: GTC rests its remainder, IOC cancels it, FOK fills entirely or
 * does nothing (its check walks the book as matching would, self-trade prevention included).
 * Self-trade prevention by owner, mode chosen per book (default cancel-newest; see StpMode).
 * The book is in memory and single-threaded; the Market keeps its durable facts in the ledger.
 * Behaviour matches nodejs-order-book 10.1.1 on integer orders (differential test), except that
 * its FOK check ignores self-trade prevention; ours does not.
 */
import { AiosError } from "../../core/index.js";
import { BookSide, type Level, type Resting } from "./book-side.js";
import { checkOrder, type Fill, type OrderInput, type PlaceResult, type Side, type StpMode } from "./types.js";

export interface OrderBookOptions {
  readonly stp?: StpMode;
}

export interface OrderView {
  readonly id: string;
  readonly owner: string;
  readonly side: Side;
  readonly price: number;
  readonly remaining: number;
}

export class OrderBook {
  private readonly bids = new BookSide("buy");
  private readonly asks = new BookSide("sell");
  private readonly orders = new Map<string, Resting>();
  private seq = 0;
  readonly stp: StpMode;
  /** Trades made since the book was created. */
  matches = 0;

  constructor(opts: OrderBookOptions = {}) {
    this.stp = opts.stp ?? "cancel-newest";
  }

  place(o: OrderInput): PlaceResult {
    checkOrder(o);
    if (this.orders.has(o.id)) throw new AiosError("E_CONFLICT", `order ${o.id}: id: an order with this id is resting`, { retryable: false, details: { path: "id", order: o.id } });
    const tif = o.tif ?? "GTC";
    const buy = o.side === "buy";
    const opp = buy ? this.asks : this.bids;
    if (tif === "FOK" && !this.canFill(opp, o)) {
      return { id: o.id, fills: [], filled: 0, resting: 0, status: "killed", stpCancelled: [], stpHit: false };
    }
    const fills: Fill[] = [];
    const stpCancelled: string[] = [];
    let remaining = o.quantity;
    let stpHit = false;
    while (remaining > 0) {
      const lvl = opp.best();
      if (lvl === undefined || (buy ? lvl.price > o.price : lvl.price < o.price)) break;
      const m = lvl.first() as Resting;
      if (m.owner === o.owner) {
        if (this.stp !== "cancel-newest") {
          stpCancelled.push(m.id);
          this.remove(opp, lvl, m);
        }
        if (this.stp !== "cancel-oldest") {
          stpHit = true;
          break;
        }
        continue;
      }
      const q = remaining < m.remaining ? remaining : m.remaining;
      fills.push({ taker: o.id, takerOwner: o.owner, maker: m.id, makerOwner: m.owner, side: o.side, price: m.price, quantity: q });
      this.matches++;
      remaining -= q;
      m.remaining -= q;
      if (m.remaining === 0) {
        m.live = false;
        lvl.shift();
        this.orders.delete(m.id);
      }
      opp.reduce(lvl, q);
    }
    const filled = o.quantity - remaining;
    if (remaining === 0) return { id: o.id, fills, filled, resting: 0, status: "filled", stpCancelled, stpHit };
    if (stpHit || tif !== "GTC") return { id: o.id, fills, filled, resting: 0, status: "cancelled", stpCancelled, stpHit };
    const r: Resting = { id: o.id, owner: o.owner, side: o.side, price: o.price, remaining, seq: ++this.seq, live: true };
    (buy ? this.bids : this.asks).add(r);
    this.orders.set(o.id, r);
    return { id: o.id, fills, filled, resting: remaining, status: "resting", stpCancelled, stpHit };
  }

  /** Cancels a resting order; false when there is none with this id. */
  cancel(id: string): boolean {
    const r = this.orders.get(id);
    if (r === undefined) return false;
    const side = r.side === "buy" ? this.bids : this.asks;
    this.remove(side, side.level(r.price) as Level, r);
    return true;
  }

  order(id: string): OrderView | undefined {
    const r = this.orders.get(id);
    return r === undefined ? undefined : { id: r.id, owner: r.owner, side: r.side, price: r.price, remaining: r.remaining };
  }
  bestBid(): number | undefined {
    return this.bids.best()?.price;
  }
  bestAsk(): number | undefined {
    return this.asks.best()?.price;
  }
  /** Aggregated levels, best first: [price, quantity]. */
  depth(): { bids: [number, number][]; asks: [number, number][] } {
    return { bids: this.bids.depth(), asks: this.asks.depth() };
  }
  /** Resting orders of one side, in priority order. */
  *resting(side: Side): Generator<OrderView> {
    for (const lvl of (side === "buy" ? this.bids : this.asks).walk()) for (const r of lvl.live()) yield this.order(r.id) as OrderView;
  }
  get size(): number {
    return this.orders.size;
  }

  private remove(side: BookSide, lvl: Level, r: Resting): void {
    r.live = false;
    this.orders.delete(r.id);
    const q = r.remaining;
    r.remaining = 0;
    side.reduce(lvl, q);
  }

  /** Whether an FOK order would fill entirely, walking the book as place() would. */
  private canFill(opp: BookSide, o: OrderInput): boolean {
    let need = o.quantity;
    for (const lvl of opp.walk()) {
      if (o.side === "buy" ? lvl.price > o.price : lvl.price < o.price) return false;
      if (!this.ownerIn(lvl, o.owner)) {
        need -= lvl.volume;
        if (need <= 0) return true;
        continue;
      }
      for (const m of lvl.live()) {
        if (m.owner === o.owner) {
          if (this.stp === "cancel-oldest") continue;
          return false;
        }
        need -= m.remaining;
        if (need <= 0) return true;
      }
    }
    return false;
  }

  private ownerIn(lvl: Level, owner: string): boolean {
    for (const m of lvl.live()) if (m.owner === owner) return true;
    return false;
  }
}
