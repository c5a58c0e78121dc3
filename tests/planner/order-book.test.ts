/**
 * The order book and call auction by example (priority, partial fills, cancel, IOC, FOK, each
 * self-trade prevention mode, bad input), and the auction's clearing rule as a property against a
 * brute force over every integer price.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AiosError } from "../../src/core/index.js";
import { CallAuction, OrderBook, type OrderInput } from "../../src/planner/index.js";

const o = (id: string, owner: string, side: "buy" | "sell", price: number, quantity: number, tif?: "GTC" | "IOC" | "FOK"): OrderInput => ({ id, owner, side, price, quantity, ...(tif ? { tif } : {}) });

describe("order book", () => {
  it("matches best price first, then the oldest order, at the maker's price", () => {
    const b = new OrderBook();
    b.place(o("s1", "a", "sell", 101, 5));
    b.place(o("s2", "b", "sell", 100, 5));
    b.place(o("s3", "c", "sell", 100, 5));
    const r = b.place(o("b1", "d", "buy", 102, 12));
    expect(r.fills.map((f) => [f.maker, f.price, f.quantity])).toEqual([["s2", 100, 5], ["s3", 100, 5], ["s1", 101, 2]]);
    expect(r.status).toBe("filled");
    expect(b.order("s1")?.remaining).toBe(3);
    expect(b.depth()).toEqual({ bids: [], asks: [[101, 3]] });
  });

  it("rests the remainder of a GTC order and keeps a partially filled maker's place", () => {
    const b = new OrderBook();
    b.place(o("s1", "a", "sell", 100, 10));
    b.place(o("s2", "b", "sell", 100, 10));
    b.place(o("b1", "c", "buy", 100, 4));
    const r = b.place(o("b2", "d", "buy", 100, 20));
    expect(r.fills.map((f) => [f.maker, f.quantity])).toEqual([["s1", 6], ["s2", 10]]);
    expect([r.status, r.resting]).toEqual(["resting", 4]);
    expect(b.bestBid()).toBe(100);
    expect(b.bestAsk()).toBeUndefined();
  });

  it("cancels resting orders and forgets them", () => {
    const b = new OrderBook();
    b.place(o("s1", "a", "sell", 100, 10));
    b.place(o("s2", "a", "sell", 99, 1));
    expect(b.cancel("s2")).toBe(true);
    expect(b.cancel("s2")).toBe(false);
    expect(b.bestAsk()).toBe(100);
    expect(b.place(o("b1", "c", "buy", 100, 3)).fills.map((f) => f.maker)).toEqual(["s1"]);
  });

  it("IOC fills what it can and cancels the rest; FOK fills all or nothing", () => {
    const b = new OrderBook();
    b.place(o("s1", "a", "sell", 100, 5));
    const ioc = b.place(o("b1", "c", "buy", 100, 8, "IOC"));
    expect([ioc.filled, ioc.status, b.order("b1")]).toEqual([5, "cancelled", undefined]);
    b.place(o("s2", "a", "sell", 100, 5));
    b.place(o("s3", "b", "sell", 101, 5));
    const killed = b.place(o("b2", "c", "buy", 100, 6, "FOK"));
    expect([killed.status, killed.fills.length, b.order("s2")?.remaining]).toEqual(["killed", 0, 5]);
    const fok = b.place(o("b3", "c", "buy", 101, 6, "FOK"));
    expect([fok.status, fok.filled]).toEqual(["filled", 6]);
  });

  it("prevents self-trade: cancel-newest cuts the taker, fills before it stand", () => {
    const b = new OrderBook();
    b.place(o("s1", "x", "sell", 100, 2));
    b.place(o("s2", "me", "sell", 100, 2));
    b.place(o("s3", "y", "sell", 100, 2));
    const r = b.place(o("b1", "me", "buy", 100, 6));
    expect([r.fills.map((f) => f.maker), r.status, r.stpHit, r.resting]).toEqual([["s1"], "cancelled", true, 0]);
    expect(b.order("s2")?.remaining).toBe(2);
  });

  it("prevents self-trade: cancel-oldest drops the resting order and keeps matching; cancel-both drops both", () => {
    const oldest = new OrderBook({ stp: "cancel-oldest" });
    for (const [id, owner] of [["s1", "x"], ["s2", "me"], ["s3", "y"]] as const) oldest.place(o(id, owner, "sell", 100, 2));
    const r = oldest.place(o("b1", "me", "buy", 100, 6));
    expect([r.fills.map((f) => f.maker), r.stpCancelled, r.status, r.resting]).toEqual([["s1", "s3"], ["s2"], "resting", 2]);
    const both = new OrderBook({ stp: "cancel-both" });
    for (const [id, owner] of [["s1", "x"], ["s2", "me"], ["s3", "y"]] as const) both.place(o(id, owner, "sell", 100, 2));
    const r2 = both.place(o("b1", "me", "buy", 100, 6));
    expect([r2.fills.map((f) => f.maker), r2.stpCancelled, r2.status, both.order("s3")?.remaining]).toEqual([["s1"], ["s2"], "cancelled", 2]);
  });

  it("FOK counts what self-trade prevention would let it trade", () => {
    const b = new OrderBook();
    b.place(o("s1", "me", "sell", 100, 5));
    b.place(o("s2", "x", "sell", 100, 5));
    expect(b.place(o("b1", "me", "buy", 100, 5, "FOK")).status).toBe("killed");
    const oldest = new OrderBook({ stp: "cancel-oldest" });
    oldest.place(o("s1", "me", "sell", 100, 5));
    oldest.place(o("s2", "x", "sell", 100, 5));
    expect(oldest.place(o("b1", "me", "buy", 100, 5, "FOK")).fills.map((f) => f.maker)).toEqual(["s2"]);
  });

  it("refuses bad orders naming the field, and a duplicate resting id", () => {
    const b = new OrderBook();
    const field = (x: unknown): unknown => {
      try {
        b.place(x as OrderInput);
      } catch (e) {
        return (e as AiosError).details["path"];
      }
      return "accepted";
    };
    expect(field(o("a", "x", "buy", 1.5, 1))).toBe("price");
    expect(field(o("a", "x", "buy", 1, 0))).toBe("quantity");
    expect(field(o("a", "x", "buy", 2 ** 53, 1))).toBe("price");
    expect(field({ ...o("a", "x", "buy", 1, 1), side: "hold" })).toBe("side");
    b.place(o("a", "x", "buy", 1, 1));
    expect(field(o("a", "x", "buy", 1, 1))).toBe("id");
  });
});

describe("order book invariants (property)", () => {
  it("never rests a crossed book, conserves quantity and never trades an owner with itself", () => {
    const order = fc.record({
      side: fc.constantFrom("buy" as const, "sell" as const), price: fc.integer({ min: 1, max: 20 }), quantity: fc.integer({ min: 1, max: 9 }),
      owner: fc.integer({ min: 0, max: 4 }), tif: fc.constantFrom("GTC" as const, "IOC" as const, "FOK" as const), cancel: fc.option(fc.nat(), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.constantFrom("cancel-newest" as const, "cancel-oldest" as const, "cancel-both" as const), fc.array(order, { maxLength: 60 }), (stp, orders) => {
        const b = new OrderBook({ stp });
        const resting = new Map<string, number>();
        orders.forEach((x, i) => {
          if (x.cancel !== undefined && resting.size > 0) {
            const id = [...resting.keys()][x.cancel % resting.size] as string;
            expect(b.cancel(id)).toBe(true);
            resting.delete(id);
            return;
          }
          const r = b.place({ id: `o${i}`, owner: `u${x.owner}`, side: x.side, price: x.price, quantity: x.quantity, tif: x.tif });
          expect(r.filled + r.resting).toBeLessThanOrEqual(x.quantity);
          if (r.status === "filled") expect(r.filled).toBe(x.quantity);
          if (r.status === "killed") expect(r.fills).toEqual([]);
          for (const f of r.fills) {
            expect(f.makerOwner).not.toBe(f.takerOwner);
            expect(x.side === "buy" ? f.price <= x.price : f.price >= x.price).toBe(true);
            const left = (resting.get(f.maker) ?? 0) - f.quantity;
            expect(left).toBeGreaterThanOrEqual(0);
            if (left === 0) resting.delete(f.maker);
            else resting.set(f.maker, left);
          }
          for (const id of r.stpCancelled) resting.delete(id);
          if (r.resting > 0) resting.set(`o${i}`, r.resting);
          const bid = b.bestBid();
          const ask = b.bestAsk();
          if (bid !== undefined && ask !== undefined) expect(bid).toBeLessThan(ask);
          expect(b.size).toBe(resting.size);
          for (const [id, q] of resting) expect(b.order(id)?.remaining).toBe(q);
        });
      }),
      { numRuns: 300, seed: 15 },
    );
  });
});

describe("call auction", () => {
  it("clears at the volume-maximizing price, allocating by price then time", () => {
    const a = new CallAuction();
    a.add(o("b1", "p", "buy", 105, 5));
    a.add(o("b2", "q", "buy", 103, 5));
    a.add(o("b3", "r", "buy", 100, 5));
    a.add(o("s1", "w1", "sell", 99, 4));
    a.add(o("s2", "w2", "sell", 102, 4));
    a.add(o("s3", "w3", "sell", 104, 4));
    const r = a.clear();
    // demand/supply: 102 -> 10/8, 103 -> 10/8 (imbalance 2 both), 104 -> 5/12; tie -> lowest.
    expect([r.price, r.volume]).toEqual([102, 8]);
    expect(r.fills.map((f) => [f.buy, f.sell, f.quantity, f.price])).toEqual([["b1", "s1", 4, 102], ["b1", "s2", 1, 102], ["b2", "s2", 3, 102]]);
    expect(a.size).toBe(3); // b2 (2 left), b3, s3 wait for the next call
  });

  it("breaks volume ties by imbalance, then by nearness to the reference price", () => {
    const a = new CallAuction();
    a.add(o("b1", "p", "buy", 110, 10));
    a.add(o("s1", "w", "sell", 100, 10));
    expect(a.indicative().price).toBe(100);
    expect(a.indicative(108).price).toBe(110);
    expect(a.indicative(104).price).toBe(100);
  });

  it("refuses an order that would cross the same owner's order on the other side (cancel-newest)", () => {
    const a = new CallAuction();
    expect(a.add(o("s1", "me", "sell", 100, 1))).toBe(true);
    expect(a.add(o("b1", "me", "buy", 100, 1))).toBe(false);
    expect(a.add(o("b2", "me", "buy", 99, 1))).toBe(true);
  });

  it("matches the brute-force maximum volume, and conserves quantity (property)", () => {
    const order = fc.record({ side: fc.constantFrom("buy" as const, "sell" as const), price: fc.integer({ min: 1, max: 30 }), quantity: fc.integer({ min: 1, max: 9 }) });
    fc.assert(
      fc.property(fc.array(order, { maxLength: 25 }), (orders) => {
        const a = new CallAuction();
        orders.forEach((x, i) => a.add({ ...x, id: `o${i}`, owner: `u${i}` }));
        let best = 0;
        for (let p = 1; p <= 30; p++) {
          const d = orders.filter((x) => x.side === "buy" && x.price >= p).reduce((s, x) => s + x.quantity, 0);
          const s = orders.filter((x) => x.side === "sell" && x.price <= p).reduce((s2, x) => s2 + x.quantity, 0);
          best = Math.max(best, Math.min(d, s));
        }
        const r = a.clear();
        expect(r.volume).toBe(best);
        expect(r.fills.reduce((s, f) => s + f.quantity, 0)).toBe(best);
        const byId = new Map(orders.map((x, i) => [`o${i}`, x]));
        for (const f of r.fills) {
          expect((byId.get(f.buy)?.price ?? 0) >= (r.price ?? 0)).toBe(true);
          expect((byId.get(f.sell)?.price ?? Infinity) <= (r.price ?? 0)).toBe(true);
        }
      }),
      { numRuns: 500, seed: 77 },
    );
  });
});
