/**
 * A periodic call (batch) auction: orders collect, then clear() trades them all at one price —
 * the price that maximizes matched volume min(demand(p), supply(p)), where demand(p) is the buy
 * quantity priced >= p and supply(p) the sell quantity priced <= p. Tie-break, in order: the
 * smallest imbalance |demand - supply|; then the price nearest the reference price (the last
 * clearing price, or one given to clear()); then the lowest price. Only prices that some order
 * names are candidates, so the clearing price is always one a participant offered. Allocation at
 * that price follows price-time priority on both sides (best price first, then earliest order);
 * the one order at the margin may fill partly and keeps its remainder for the next call.
 * Self-trade prevention, cancel-newest as in the book: an order whose owner already has an order
 * on the other side that it would cross is refused when added.
 */
import { AiosError } from "../../core/index.js";
import { checkOrder, type OrderInput, type Side } from "./types.js";

export interface AuctionFill {
  readonly buy: string;
  readonly buyOwner: string;
  readonly sell: string;
  readonly sellOwner: string;
  readonly price: number;
  readonly quantity: number;
}

export interface AuctionResult {
  /** The clearing price; undefined when nothing crosses. */
  readonly price: number | undefined;
  readonly volume: number;
  readonly fills: readonly AuctionFill[];
  readonly demand: number;
  readonly supply: number;
}

interface Entry {
  readonly id: string;
  readonly owner: string;
  readonly side: Side;
  readonly price: number;
  remaining: number;
  readonly seq: number;
}

export class CallAuction {
  private readonly entries = new Map<string, Entry>();
  private seq = 0;
  private lastPrice: number | undefined;

  /** Adds an order for the next call; false when self-trade prevention refused it. */
  add(o: Omit<OrderInput, "tif">): boolean {
    checkOrder(o);
    if (this.entries.has(o.id)) throw new AiosError("E_CONFLICT", `order ${o.id}: id: already in the auction`, { retryable: false, details: { path: "id", order: o.id } });
    for (const e of this.entries.values()) {
      if (e.owner === o.owner && e.side !== o.side && (o.side === "buy" ? o.price >= e.price : o.price <= e.price)) return false;
    }
    this.entries.set(o.id, { id: o.id, owner: o.owner, side: o.side, price: o.price, remaining: o.quantity, seq: ++this.seq });
    return true;
  }

  cancel(id: string): boolean {
    return this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }

  /** The price and volume clear() would use now, without trading. */
  indicative(reference?: number): { price: number | undefined; volume: number; demand: number; supply: number } {
    const ref = reference ?? this.lastPrice;
    const all = [...this.entries.values()];
    const prices = [...new Set(all.map((e) => e.price))].sort((a, b) => a - b);
    const buys = all.filter((e) => e.side === "buy");
    const sells = all.filter((e) => e.side === "sell");
    // demand(p) for ascending p: start with all buys, drop those priced below p as p rises.
    buys.sort((a, b) => a.price - b.price);
    sells.sort((a, b) => a.price - b.price);
    let demand = buys.reduce((s, e) => s + e.remaining, 0);
    let supply = 0;
    let bi = 0;
    let si = 0;
    let best: { price: number | undefined; volume: number; demand: number; supply: number } = { price: undefined, volume: 0, demand: 0, supply: 0 };
    for (const p of prices) {
      while (bi < buys.length && (buys[bi] as Entry).price < p) demand -= (buys[bi++] as Entry).remaining;
      while (si < sells.length && (sells[si] as Entry).price <= p) supply += (sells[si++] as Entry).remaining;
      const volume = Math.min(demand, supply);
      if (volume === 0) continue;
      if (best.price === undefined || better(volume, Math.abs(demand - supply), p, best, ref)) best = { price: p, volume, demand, supply };
    }
    return best;
  }

  /** Trades everything that crosses at one price; unfilled quantity stays for the next call. */
  clear(reference?: number): AuctionResult {
    const ind = this.indicative(reference);
    if (ind.price === undefined) return { price: undefined, volume: 0, fills: [], demand: ind.demand, supply: ind.supply };
    const p = ind.price;
    const all = [...this.entries.values()];
    const buys = all.filter((e) => e.side === "buy" && e.price >= p).sort((a, b) => b.price - a.price || a.seq - b.seq);
    const sells = all.filter((e) => e.side === "sell" && e.price <= p).sort((a, b) => a.price - b.price || a.seq - b.seq);
    const fills: AuctionFill[] = [];
    let left = ind.volume;
    let i = 0;
    let j = 0;
    while (left > 0) {
      const b = buys[i] as Entry;
      const s = sells[j] as Entry;
      const q = Math.min(left, b.remaining, s.remaining);
      fills.push({ buy: b.id, buyOwner: b.owner, sell: s.id, sellOwner: s.owner, price: p, quantity: q });
      b.remaining -= q;
      s.remaining -= q;
      left -= q;
      if (b.remaining === 0) {
        this.entries.delete(b.id);
        i++;
      }
      if (s.remaining === 0) {
        this.entries.delete(s.id);
        j++;
      }
    }
    this.lastPrice = p;
    return { price: p, volume: ind.volume, fills, demand: ind.demand, supply: ind.supply };
  }
}

function better(volume: number, imbalance: number, p: number, best: { price: number | undefined; volume: number; demand: number; supply: number }, ref: number | undefined): boolean {
  if (volume !== best.volume) return volume > best.volume;
  const bestImb = Math.abs(best.demand - best.supply);
  if (imbalance !== bestImb) return imbalance < bestImb;
  if (ref !== undefined) {
    const d = Math.abs(p - ref);
    const bd = Math.abs((best.price as number) - ref);
    if (d !== bd) return d < bd;
  }
  return p < (best.price as number);
}
