/**
 * Market: FIPA Contract Net over the order book, with escrow on the ledger.
 *   post  (cfp)            a task with a budget cap (micro-credits), a bid deadline and a work timeout
 *   bid   (propose)        a worker's price (<= cap), expected quality and time; refuse (refuse)
 *   award                  clears: "book" mode puts every bid as an ask priced at its score
 *                          (ScoreFn: effective price, pluggable, e.g. reputation-weighted) into an
 *                          OrderBook and sends one IOC buy: best score wins, earlier bid on ties;
 *                          awardBatch() clears several tasks at once in a CallAuction at one price.
 *                          The award reserves the winner's price (the auction's clearing price)
 *                          from the poster's account into escrow, timing out after the work timeout
 *                          (accept-proposal to the winner, reject-proposal to the others)
 *   done  (inform-done)    the winner reports; failure (failure) voids the reservation
 *   verdict                the poster's (or critic's) verdict: accept posts all or part of the
 *                          reservation to the worker, reject voids it; the ledger voids it by itself
 *                          when the work timeout passes, and the task becomes `expired`.
 * Task lifecycle: open -> awarded -> done -> settled | refunded, with awarded|done -> expired and
 * awarded -> failed; each transition is in TRANSITIONS, so an illegal one cannot be written.
 * The money is durable (the ledger); the task table is in memory — the door's journal replays the
 * syscalls that built it. Messages go out through `notify` (the lead wires it to ipc).
 */
import { AiosError, type Clock } from "../../core/index.js";
import type { Escrow, Ledger } from "../ledger/index.js";
import { CallAuction } from "./call-auction.js";
import { OrderBook } from "./order-book.js";
import { priceScore, type BidView, type ScoreFn } from "./scoring.js";

export type ContractNetPerformative = "cfp" | "propose" | "refuse" | "accept-proposal" | "reject-proposal" | "inform-done" | "failure";

export interface ContractNetMessage {
  readonly performative: ContractNetPerformative;
  readonly taskId: string;
  readonly from: string;
  /** Absent on a cfp: it goes to every registered worker. */
  readonly to?: string;
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface MarketTaskPost {
  readonly taskId: string;
  /** The posting agent (it cannot bid on its own task). */
  readonly poster: string;
  /** The ledger account that pays, and its ledger (tenant). */
  readonly payer: string;
  readonly ledger: string;
  /** The most the poster will pay, micro-credits. */
  readonly budget: bigint;
  /** Clock ms after which bids are refused. */
  readonly deadline: number;
  /** How long an award's reservation holds before it voids itself, ms. */
  readonly workTimeoutMs: number;
  readonly description?: string;
  /** Workers that may not bid (a re-post after the critic vetoed their result: reassignment). */
  readonly exclude?: readonly string[];
}

export interface BidInput extends BidView {
  /** The ledger account the worker is paid into. */
  readonly account: string;
}

export type MarketTaskStatus = "open" | "awarded" | "done" | "settled" | "refunded" | "expired" | "failed";

const TRANSITIONS: Readonly<Record<MarketTaskStatus, readonly MarketTaskStatus[]>> = {
  open: ["awarded"],
  awarded: ["done", "failed", "refunded", "expired"],
  done: ["settled", "refunded", "expired"],
  settled: [],
  refunded: [],
  expired: [],
  failed: [],
};

export interface Award {
  readonly worker: string;
  readonly account: string;
  readonly price: bigint;
  /** The escrow reservation (pending transfer) id. */
  readonly reservation: string;
}

export interface MarketTaskView extends MarketTaskPost {
  readonly status: MarketTaskStatus;
  readonly bids: readonly BidInput[];
  readonly refusals: readonly string[];
  readonly award?: Award;
  readonly result?: unknown;
  /** Micro-credits paid to the worker once settled. */
  readonly paid?: bigint;
}

interface Task {
  readonly post: MarketTaskPost;
  status: MarketTaskStatus;
  readonly bids: BidInput[];
  readonly refusals: string[];
  award?: Award;
  result?: unknown;
  paid?: bigint;
}

export interface MarketOptions {
  readonly ledger: Ledger;
  readonly escrow: Escrow;
  readonly clock: Clock;
  /** Clearing score (effective price); default: the bid's price. */
  readonly score?: ScoreFn;
  readonly notify?: (m: ContractNetMessage) => void;
}

const reservationId = (taskId: string): string => `task:${taskId}`;

export class Market {
  private readonly tasks = new Map<string, Task>();
  private readonly byReservation = new Map<string, string>();
  private readonly score: ScoreFn;
  private readonly unsubscribe: () => void;

  constructor(private readonly opts: MarketOptions) {
    this.score = opts.score ?? priceScore;
    this.unsubscribe = opts.ledger.onExpired((ids) => {
      for (const id of ids) {
        const taskId = this.byReservation.get(id);
        const t = taskId === undefined ? undefined : this.tasks.get(taskId);
        if (t === undefined || (t.status !== "awarded" && t.status !== "done")) continue;
        this.move(t, "expired");
        this.send(t, "failure", t.post.poster, t.award?.worker, { reason: "work timeout: the reservation voided itself" });
      }
    });
  }

  post(p: MarketTaskPost): MarketTaskView {
    const bad = (path: string, why: string): never => {
      throw new AiosError("E_INVALID_ARG", `market post: ${path}: ${why}`, { details: { path } });
    };
    if (p.taskId.length === 0 || p.taskId.length > 100) bad("taskId", "must be 1-100 characters");
    if (this.tasks.has(p.taskId)) throw new AiosError("E_CONFLICT", `market post: taskId: task ${p.taskId} exists`, { retryable: false, details: { path: "taskId" } });
    if (p.budget <= 0n || p.budget > BigInt(Number.MAX_SAFE_INTEGER)) bad("budget", "must be 1..2^53-1 micro-credits");
    if (!Number.isSafeInteger(p.workTimeoutMs) || p.workTimeoutMs < 1) bad("workTimeoutMs", "must be a positive integer");
    if (!Number.isFinite(p.deadline)) bad("deadline", "must be a clock time in ms");
    if (this.opts.ledger.account(p.payer) === undefined) throw new AiosError("E_NOT_FOUND", `market post: payer: no ledger account ${p.payer}`, { details: { path: "payer" } });
    const t: Task = { post: p, status: "open", bids: [], refusals: [] };
    this.tasks.set(p.taskId, t);
    this.send(t, "cfp", p.poster, undefined, { budget: p.budget.toString(), deadline: p.deadline, ...(p.description === undefined ? {} : { description: p.description }) });
    return this.view(t);
  }

  bid(b: BidInput): MarketTaskView {
    const t = this.open(b.taskId, "bid");
    const bad = (code: "E_INVALID_ARG" | "E_QUOTA" | "E_TIMEOUT" | "E_CONFLICT" | "E_POLICY", path: string, why: string): never => {
      throw new AiosError(code, `market bid on ${b.taskId}: ${path}: ${why}`, { retryable: false, details: { path, task: b.taskId } });
    };
    if (this.opts.clock.now() > t.post.deadline) bad("E_TIMEOUT", "taskId", "the call for proposals has closed");
    if (b.worker === t.post.poster) bad("E_POLICY", "worker", "the poster cannot bid on its own task (self-trade prevention)");
    if (t.post.exclude?.includes(b.worker) === true) bad("E_POLICY", "worker", "this worker is excluded from the task (its earlier result was vetoed)");
    if (b.price <= 0n) bad("E_INVALID_ARG", "price", "must be >= 1 micro-credit");
    if (b.price > t.post.budget) bad("E_QUOTA", "price", `above the budget cap ${t.post.budget}`);
    if (!(b.quality >= 0 && b.quality <= 1)) bad("E_INVALID_ARG", "quality", "must be in 0..1");
    if (!Number.isSafeInteger(b.timeMs) || b.timeMs < 0) bad("E_INVALID_ARG", "timeMs", "must be a non-negative integer");
    if (t.bids.some((x) => x.worker === b.worker)) bad("E_CONFLICT", "worker", "this worker already bid on the task");
    if (this.opts.ledger.account(b.account) === undefined) throw new AiosError("E_NOT_FOUND", `market bid on ${b.taskId}: account: no ledger account ${b.account}`, { details: { path: "account" } });
    const effective = this.score(b);
    if (effective < 1n || effective > BigInt(Number.MAX_SAFE_INTEGER)) throw new AiosError("E_INVALID_ARG", `market bid on ${b.taskId}: score: ${effective} is outside 1..2^53-1`, { details: { path: "price" } });
    t.bids.push(b);
    this.send(t, "propose", b.worker, t.post.poster, { price: b.price.toString(), quality: b.quality, timeMs: b.timeMs });
    return this.view(t);
  }

  refuse(taskId: string, worker: string, reason?: string): void {
    const t = this.open(taskId, "refuse");
    if (!t.refusals.includes(worker)) t.refusals.push(worker);
    this.send(t, "refuse", worker, t.post.poster, reason === undefined ? {} : { reason });
  }

  /** Clears one task on the order book: best score wins; ties go to the earlier bid. */
  award(taskId: string): Award | undefined {
    const t = this.open(taskId, "award");
    const book = new OrderBook({ stp: "cancel-newest" });
    t.bids.forEach((b, i) => book.place({ id: String(i), owner: b.worker, side: "sell", price: Number(this.score(b)), quantity: 1 }));
    const r = book.place({ id: "buy", owner: t.post.poster, side: "buy", price: Number.MAX_SAFE_INTEGER, quantity: 1, tif: "IOC" });
    const fill = r.fills[0];
    if (fill === undefined) return undefined;
    const win = t.bids[Number(fill.maker)] as BidInput;
    return this.grant(t, win, win.price);
  }

  /**
   * Clears several open tasks at once in a call auction: each task is a buy of one unit at its
   * budget, each bid a sell of one unit at its score; tasks are fungible within the batch (a bid on
   * any of them offers one unit of work for the batch). Everyone awarded is paid the clearing price
   * (uniform price), which is within every awarded task's budget.
   */
  awardBatch(taskIds: readonly string[]): Map<string, Award> {
    const tasks = taskIds.map((id) => this.open(id, "award"));
    const auction = new CallAuction();
    const bids: BidInput[] = [];
    tasks.forEach((t) => auction.add({ id: `t:${t.post.taskId}`, owner: t.post.poster, side: "buy", price: Number(t.post.budget), quantity: 1 }));
    for (const t of tasks) {
      for (const b of t.bids) {
        // One unit per worker per batch: a worker that bid on several tasks offers its best score.
        const prior = bids.findIndex((x) => x.worker === b.worker);
        if (prior >= 0 && this.score(bids[prior] as BidInput) <= this.score(b)) continue;
        if (prior >= 0) bids.splice(prior, 1);
        bids.push(b);
      }
    }
    bids.forEach((b, i) => auction.add({ id: `b:${i}`, owner: b.worker, side: "sell", price: Number(this.score(b)), quantity: 1 }));
    const r = auction.clear();
    const out = new Map<string, Award>();
    if (r.price === undefined) return out;
    for (const f of r.fills) {
      const t = this.tasks.get(f.buy.slice(2)) as Task;
      const b = bids[Number(f.sell.slice(2))] as BidInput;
      out.set(t.post.taskId, this.grant(t, b, BigInt(r.price)));
    }
    return out;
  }

  /** The awarded worker reports the work done (inform-done). */
  done(taskId: string, worker: string, result?: unknown): MarketTaskView {
    const t = this.awarded(taskId, worker);
    this.move(t, "done");
    t.result = result;
    this.send(t, "inform-done", worker, t.post.poster, result === undefined ? {} : { result });
    return this.view(t);
  }

  /** The awarded worker gives up (failure): the reservation is voided. */
  fail(taskId: string, worker: string, reason: string): MarketTaskView {
    const t = this.awarded(taskId, worker);
    this.opts.escrow.refund(reservationId(taskId));
    this.move(t, "failed");
    this.send(t, "failure", worker, t.post.poster, { reason });
    return this.view(t);
  }

  /** The poster's verdict: accept posts `amount` (default all) to the worker, reject voids. */
  verdict(taskId: string, v: { accept: boolean; amount?: bigint }): MarketTaskView {
    const t = this.get(taskId);
    if (t.award === undefined || (t.status !== "done" && (v.accept || t.status !== "awarded"))) {
      throw new AiosError("E_ILLEGAL_TRANSITION", `market verdict on ${taskId}: taskId: the task is ${t.status}${v.accept ? "; only a done task can be accepted" : ""}`, { details: { path: "taskId", status: t.status } });
    }
    const s = this.opts.escrow.settle(t.award.reservation, { accept: v.accept, worker: t.award.account, ...(v.amount === undefined ? {} : { amount: v.amount }) });
    this.move(t, s.posted > 0n ? "settled" : "refunded");
    t.paid = s.posted;
    return this.view(t);
  }

  task(taskId: string): MarketTaskView | undefined {
    const t = this.tasks.get(taskId);
    return t === undefined ? undefined : this.view(t);
  }
  list(): MarketTaskView[] {
    return [...this.tasks.values()].map((t) => this.view(t));
  }
  close(): void {
    this.unsubscribe();
  }

  private grant(t: Task, b: BidInput, price: bigint): Award {
    const reservation = reservationId(t.post.taskId);
    this.opts.escrow.reserve({ id: reservation, ledger: t.post.ledger, payer: t.post.payer, amount: price, timeoutMs: t.post.workTimeoutMs, userData: `task:${t.post.taskId}` });
    this.byReservation.set(reservation, t.post.taskId);
    const award: Award = { worker: b.worker, account: b.account, price, reservation };
    t.award = award;
    this.move(t, "awarded");
    this.send(t, "accept-proposal", t.post.poster, b.worker, { price: price.toString(), reservation });
    for (const other of t.bids) if (other.worker !== b.worker) this.send(t, "reject-proposal", t.post.poster, other.worker, {});
    return award;
  }

  private get(taskId: string): Task {
    const t = this.tasks.get(taskId);
    if (t === undefined) throw new AiosError("E_NOT_FOUND", `market: taskId: no task ${taskId}`, { details: { path: "taskId" } });
    return t;
  }
  private open(taskId: string, what: string): Task {
    const t = this.get(taskId);
    if (t.status !== "open") throw new AiosError("E_ILLEGAL_TRANSITION", `market ${what} on ${taskId}: taskId: the task is ${t.status}, not open`, { details: { path: "taskId", status: t.status } });
    return t;
  }
  private awarded(taskId: string, worker: string): Task {
    const t = this.get(taskId);
    if (t.status !== "awarded") throw new AiosError("E_ILLEGAL_TRANSITION", `market: taskId: task ${taskId} is ${t.status}, not awarded`, { details: { path: "taskId", status: t.status } });
    if (t.award?.worker !== worker) throw new AiosError("E_CAP_DENIED", `market: worker: ${worker} was not awarded task ${taskId}`, { details: { path: "worker" } });
    return t;
  }
  private move(t: Task, to: MarketTaskStatus): void {
    if (!TRANSITIONS[t.status].includes(to)) throw new AiosError("E_ILLEGAL_TRANSITION", `market: task ${t.post.taskId} cannot go from ${t.status} to ${to}`, { details: { path: "taskId" } });
    t.status = to;
  }
  private send(t: Task, performative: ContractNetPerformative, from: string, to: string | undefined, payload: Record<string, unknown>): void {
    this.opts.notify?.({ performative, taskId: t.post.taskId, from, ...(to === undefined ? {} : { to }), payload });
  }
  private view(t: Task): MarketTaskView {
    return {
      ...t.post, status: t.status, bids: [...t.bids], refusals: [...t.refusals],
      ...(t.award === undefined ? {} : { award: t.award }), ...(t.result === undefined ? {} : { result: t.result }), ...(t.paid === undefined ? {} : { paid: t.paid }),
    };
  }
}
