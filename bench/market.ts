/**
 * `npm run bench -- market`: planner/market's limit order book on one core (the target:
 * >= 100,000 matches/s). Workload: a book seeded with 10,000 resting orders (prices 990-1,010
 * ticks, quantities 1-100), then 1,000,000 random limit orders (seeded): side 50/50, price uniform
 * in 990-1,010, quantity 1-100, 80 % GTC / 10 % IOC / 10 % FOK, owners from 1,000 (self-trade
 * prevention cancel-newest live), and one cancel of a random resting order every 10 orders.
 * Figures: matches (trades) per second and orders per second over the CPU time of the stream
 * (process.cpuUsage: this suite is single-threaded, so CPU time is one core's time; wall time is
 * printed too, since on a shared machine it includes time the process did not run), and the same
 * stream through nodejs-order-book 10.1.1 as a reference (its match count differs by a few: here
 * FOK orders share owners, and its FOK check ignores self-trade prevention while ours does not).
 * Flag --quick: 200,000 orders.
 * Ledger figure: single-transfer batches/s and 100-transfer batches of transfers/s on a tmpfs
 * SQLite file (WAL, synchronous=FULL).
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OrderBook as RefBook } from "nodejs-order-book";
import { SeededRandom, SimulatedClock } from "../src/core/index.js";
import { Ledger, OrderBook, type OrderInput, type TransferInput } from "../src/planner/index.js";
import { gc, type Emit, type Suite } from "./harness.js";

interface Stream {
  readonly seed: OrderInput[];
  readonly orders: (OrderInput | { cancel: number })[];
}

function workload(n: number): Stream {
  const rng = new SeededRandom(14);
  const int = (lo: number, hi: number): number => lo + Math.floor(rng.next() * (hi - lo + 1));
  const order = (i: number, gtcOnly: boolean): OrderInput => {
    const roll = int(0, 9);
    return {
      id: `o${i}`, owner: `u${int(0, 999)}`, side: int(0, 1) === 0 ? "buy" : "sell", price: int(990, 1010), quantity: int(1, 100),
      tif: gtcOnly || roll < 8 ? "GTC" : roll === 8 ? "IOC" : "FOK",
    };
  };
  // The seed book: bids below 1,000, asks above, so it does not trade with itself.
  const seed: OrderInput[] = [];
  for (let i = 0; i < 10_000; i++) {
    const buy = i % 2 === 0;
    seed.push({ id: `s${i}`, owner: `u${int(0, 999)}`, side: buy ? "buy" : "sell", price: buy ? int(990, 999) : int(1001, 1010), quantity: int(1, 100), tif: "GTC" });
  }
  const orders: (OrderInput | { cancel: number })[] = [];
  for (let i = 0; i < n; i++) orders.push(i % 10 === 9 ? { cancel: int(0, i) } : order(i, false));
  return { seed, orders };
}

function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function runOurs(w: Stream): { matches: number; cpu: number; wall: number } {
  const book = new OrderBook();
  for (const o of w.seed) book.place(o);
  const before = book.matches;
  gc();
  const c0 = cpuMs();
  const t0 = performance.now();
  for (const o of w.orders) {
    if ("cancel" in o) book.cancel(`o${o.cancel}`);
    else book.place(o);
  }
  return { matches: book.matches - before, cpu: cpuMs() - c0, wall: performance.now() - t0 };
}

function runRef(w: Stream): { matches: number; cpu: number; wall: number } {
  const book = new RefBook();
  const lim = (o: OrderInput): number => {
    const r = book.limit({ id: o.id, side: o.side, size: o.quantity, price: o.price, timeInForce: o.tif ?? "GTC", accountId: o.owner, stpMode: "EXPIRE_TAKER" });
    return r.done.filter((d) => d.id !== o.id).length + (r.partial !== null && r.partial.id !== o.id ? 1 : 0);
  };
  for (const o of w.seed) lim(o);
  gc();
  let matches = 0;
  const c0 = cpuMs();
  const t0 = performance.now();
  for (const o of w.orders) {
    if ("cancel" in o) book.cancel(`o${o.cancel}`);
    else matches += lim(o);
  }
  return { matches, cpu: cpuMs() - c0, wall: performance.now() - t0 };
}

function ledgerFigures(emit: Emit): void {
  const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "aios-bench-ledger-"));
  try {
    const ledger = new Ledger({ path: join(dir, "ledger.db"), clock: new SimulatedClock() });
    ledger.createAccounts([{ id: "a", ledger: "L", code: 1 }, { id: "b", ledger: "L", code: 1 }]);
    const t = (id: string): TransferInput => ({ id, debitAccountId: "a", creditAccountId: "b", amount: 1n, ledger: "L", code: 1 });
    let t0 = performance.now();
    for (let i = 0; i < 5_000; i++) ledger.createTransfers([t(`x${i}`)]);
    const single = 5_000 / ((performance.now() - t0) / 1000);
    t0 = performance.now();
    for (let b = 0; b < 200; b++) ledger.createTransfers(Array.from({ length: 100 }, (_, i) => t(`y${b}.${i}`)));
    const batched = 20_000 / ((performance.now() - t0) / 1000);
    ledger.close();
    emit({ metric: "ledger_single_transfer_batches_per_s", value: Math.round(single), unit: "batches/s", workload: "5,000 one-transfer batches, tmpfs SQLite file, WAL, synchronous=FULL, wall time" });
    emit({ metric: "ledger_transfers_per_s_batched", value: Math.round(batched), unit: "transfers/s", workload: "200 batches of 100 transfers, tmpfs SQLite file, WAL, synchronous=FULL, wall time" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const suite: Suite = async (emit, args) => {
  const n = args.includes("--quick") ? 200_000 : 1_000_000;
  const w = workload(n);
  const desc = `${n.toLocaleString("en")} random limit orders (50/50 sides, price 990-1,010, qty 1-100, 80% GTC/10% IOC/10% FOK, 1,000 owners, STP cancel-newest, a cancel every 10th) on a 10,000-order seed book`;
  const ours = runOurs(w);
  emit({ metric: "market_matches_per_s", value: Math.round(ours.matches / (ours.cpu / 1000)), unit: "matches/s (one core, CPU time)", workload: `${desc}; ${ours.matches} matches`, target: ">= 100,000 matches/s", pass: ours.matches / (ours.cpu / 1000) >= 100_000 });
  emit({ metric: "market_orders_per_s", value: Math.round(n / (ours.cpu / 1000)), unit: "orders/s (CPU time)", workload: desc });
  emit({ metric: "market_matches_per_s_wall", value: Math.round(ours.matches / (ours.wall / 1000)), unit: "matches/s (wall)", workload: desc });
  const ref = runRef(w);
  emit({ metric: "reference_nodejs_order_book_matches_per_s", value: Math.round(ref.matches / (ref.cpu / 1000)), unit: "matches/s (one core, CPU time)", workload: `same stream through nodejs-order-book 10.1.1 (STP EXPIRE_TAKER); ${ref.matches} matches` });
  ledgerFigures(emit);
};

export default suite;
