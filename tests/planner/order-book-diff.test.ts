/**
 * Differential test of planner/market's OrderBook against nodejs-order-book 10.1.1 on random
 * integer limit orders: the same stream of GTC/IOC/FOK orders and cancels goes into both books,
 * and for every order the fills (maker id, price, quantity, in order), the taker's resting
 * remainder and, every 1,000 orders and at the end, the whole depth must be identical. Owners come
 * from a pool of 25, so self-trade prevention triggers often; it runs once per STP mode
 * (cancel-newest = EXPIRE_TAKER, cancel-oldest = EXPIRE_MAKER, cancel-both = EXPIRE_BOTH). FOK
 * orders get an owner of their own: the reference's FOK check ignores STP, ours does not.
 * In CI: 20,000 orders per mode (60,000). The 1,000,000: AIOS_MARKET_DIFF_ORDERS=1000000
 * (per mode; 725 s for one mode on this 2-core machine at load ~25).
 */
import { OrderBook as RefBook } from "nodejs-order-book";
import { describe, expect, it } from "vitest";
import { SeededRandom } from "../../src/core/index.js";
import { OrderBook, type StpMode } from "../../src/planner/index.js";

const ORDERS = Number(process.env["AIOS_MARKET_DIFF_ORDERS"] ?? 20_000);
const MODES: [StpMode, "EXPIRE_TAKER" | "EXPIRE_MAKER" | "EXPIRE_BOTH"][] = [
  ["cancel-newest", "EXPIRE_TAKER"],
  ["cancel-oldest", "EXPIRE_MAKER"],
  ["cancel-both", "EXPIRE_BOTH"],
];

const sorted = (d: [number, number][]): [number, number][] => [...d].sort((a, b) => a[0] - b[0]);

describe("order book vs nodejs-order-book", () => {
  for (const [mode, refMode] of MODES) {
    it(`gives identical fills on ${ORDERS} random integer orders (${mode})`, async () => {
      const rng = new SeededRandom(20261204);
      const int = (lo: number, hi: number): number => lo + Math.floor(rng.next() * (hi - lo + 1));
      const ours = new OrderBook({ stp: mode });
      const ref = new RefBook();
      const live: string[] = [];
      let fills = 0;
      let stp = 0;
      for (let n = 0; n < ORDERS; n++) {
        if (live.length > 0 && int(0, 9) === 0) {
          const k = int(0, live.length - 1);
          const id = live[k] as string;
          live[k] = live[live.length - 1] as string;
          live.pop();
          expect(ours.cancel(id)).toBe(ref.cancel(id) !== undefined);
          continue;
        }
        const id = `o${n}`;
        const side = int(0, 1) === 0 ? "buy" : "sell";
        const roll = int(0, 99);
        const tif = roll < 70 ? "GTC" : roll < 85 ? "IOC" : "FOK";
        const owner = tif === "FOK" ? `fok-${n}` : `u${int(0, 24)}`;
        const price = int(90, 110);
        const quantity = int(1, 20);
        const r = ref.limit({ id, side, size: quantity, price, timeInForce: tif, accountId: owner, stpMode: refMode });
        const refFills = r.done.filter((d) => d.id !== id).map((d) => [d.id, d.price, d.size]);
        if (r.partial !== null && r.partial.id !== id) refFills.push([r.partial.id, r.partial.price, r.partialQuantityProcessed]);
        const mine = ours.place({ id, owner, side, price, quantity, tif });
        expect(mine.fills.map((f) => [f.maker, f.price, f.quantity])).toEqual(refFills);
        expect(mine.stpCancelled).toEqual((r.stpExpired ?? []).map((o) => o.id));
        expect(ours.order(id)?.remaining).toBe(ref.order(id)?.size);
        if (mine.resting > 0) live.push(id);
        fills += mine.fills.length;
        if (mine.stpHit || mine.stpCancelled.length > 0) stp++;
        // Yield now and then: a worker that blocks for minutes makes vitest's own RPC time out.
        if (n % 20_000 === 19_999) await new Promise((r) => setImmediate(r));
        if (n % 1000 === 999) {
          const [asks, bids] = ref.depth();
          const d = ours.depth();
          expect([sorted(d.bids), sorted(d.asks)]).toEqual([sorted(bids), sorted(asks)]);
        }
      }
      const [asks, bids] = ref.depth();
      const d = ours.depth();
      expect([sorted(d.bids), sorted(d.asks)]).toEqual([sorted(bids), sorted(asks)]);
      // The stream must exercise what it claims to.
      expect(fills).toBeGreaterThan(ORDERS / 4);
      expect(stp).toBeGreaterThan(ORDERS / 100);
    }, 900_000);
  }
});
