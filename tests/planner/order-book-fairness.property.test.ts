/**
 * Issue #14, item 7, fairness: "among equal bids, allocation follows price-time priority; no agent is
 * starved of turns". Checked on the order book directly, with an oracle that is a plain list rather
 * than the book's level structure:
 *   - an incoming order fills against resting orders in (better price, then earlier arrival) order,
 *     and every maker it passes is used up before the next one is touched;
 *   - among offers at one price, with orders arriving and incoming takers interleaved at random, an
 *     offer is filled exactly once the incoming quantity at that price covers everything that was
 *     queued ahead of it when it arrived plus its own size: no one behind it in the queue, and no
 *     later arrival, is ever served first, so no owner waits longer than the quantity ahead of it.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OrderBook, type Fill } from "../../src/planner/index.js";

interface Ask {
  readonly id: string;
  readonly owner: string;
  readonly price: number;
  remaining: number;
  readonly arrival: number;
}

describe("order book fairness (property)", () => {
  it("fills an incoming order in price-time priority, using each maker up before the next", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ owner: fc.integer({ min: 0, max: 5 }), price: fc.integer({ min: 1, max: 4 }), quantity: fc.integer({ min: 1, max: 5 }) }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 120 }),
        (asks, limit, quantity) => {
          const book = new OrderBook();
          const oracle: Ask[] = [];
          asks.forEach((a, i) => {
            const r = book.place({ id: `a${i}`, owner: `w${a.owner}`, side: "sell", price: a.price, quantity: a.quantity });
            expect(r.status).toBe("resting");
            oracle.push({ id: `a${i}`, owner: `w${a.owner}`, price: a.price, remaining: a.quantity, arrival: i });
          });
          // The taker's owner is none of the makers', so self-trade prevention never intervenes.
          const r = book.place({ id: "taker", owner: "buyer", side: "buy", price: limit, quantity });
          // Oracle: sort eligible offers by price, then arrival; take greedily.
          const queue = oracle.filter((a) => a.price <= limit).sort((x, y) => x.price - y.price || x.arrival - y.arrival);
          const expected: Pick<Fill, "maker" | "price" | "quantity">[] = [];
          let left = quantity;
          for (const a of queue) {
            if (left === 0) break;
            const q = Math.min(left, a.remaining);
            expected.push({ maker: a.id, price: a.price, quantity: q });
            left -= q;
          }
          expect(r.fills.map((f) => ({ maker: f.maker, price: f.price, quantity: f.quantity }))).toEqual(expected);
          // Only the last maker touched may be left partly filled.
          for (const f of r.fills.slice(0, -1)) expect(book.order(f.maker)).toBeUndefined();
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("serves offers at one price strictly in arrival order, however arrivals and takers interleave", () => {
    type Event = { readonly kind: "offer"; readonly owner: number; readonly quantity: number } | { readonly kind: "take"; readonly quantity: number };
    const eventArb: fc.Arbitrary<Event> = fc.oneof(
      fc.record({ kind: fc.constant("offer" as const), owner: fc.integer({ min: 0, max: 4 }), quantity: fc.integer({ min: 1, max: 6 }) }),
      fc.record({ kind: fc.constant("take" as const), quantity: fc.integer({ min: 1, max: 10 }) }),
    );
    fc.assert(
      fc.property(fc.array(eventArb, { minLength: 1, maxLength: 80 }), (events) => {
        const PRICE = 7;
        const book = new OrderBook();
        // For each offer: its size and its place in the queue (the offered total once it is in).
        const offers = new Map<string, { readonly size: number; readonly end: number }>();
        // For each offer used up: the takers' running total just before and just after that take.
        const completed = new Map<string, { readonly before: number; readonly after: number }>();
        let queued = 0;
        let taken = 0;
        events.forEach((e, i) => {
          if (e.kind === "offer") {
            const id = `o${i}`;
            book.place({ id, owner: `w${e.owner}`, side: "sell", price: PRICE, quantity: e.quantity });
            queued += e.quantity;
            offers.set(id, { size: e.quantity, end: queued });
            return;
          }
          const before = taken;
          const r = book.place({ id: `t${i}`, owner: "buyer", side: "buy", price: PRICE, quantity: e.quantity, tif: "IOC" });
          // Everything offered and not yet taken is takeable.
          expect(r.filled).toBe(Math.min(e.quantity, queued - before));
          taken += r.filled;
          for (const f of r.fills) if (book.order(f.maker) === undefined) completed.set(f.maker, { before, after: taken });
        });
        for (const [id, { size, end }] of offers) {
          const done = completed.get(id);
          if (end <= taken) {
            // Used up in exactly the take during which the running total reached its place.
            expect(done, id).toBeDefined();
            expect(done !== undefined && done.before < end && end <= done.after, id).toBe(true);
          } else {
            // Not reached yet: resting, with what the takers have not reached of it.
            expect(done, id).toBeUndefined();
            expect(book.order(id)?.remaining, id).toBe(Math.min(size, end - taken));
          }
        }
        // Offers are used up in the order they arrived.
        const order = [...completed.keys()];
        expect(order).toEqual([...order].sort((x, y) => Number(x.slice(1)) - Number(y.slice(1))));
      }),
      { numRuns: 2000 },
    );
  });
});
