/**
 * The market and ledger syscalls, as SyscallDefs built from the instances (the composition root
 * registers them). Money crosses the door as decimal strings of micro-credits (JSON has no
 * bigint); the caller is the poster or the worker. Capabilities:
 *   MarketPost      { taskId, payer, ledger, budget, deadlineMs, workTimeoutMs, description? }
 *                   market:<task>#post and ledger:<payer>#debit
 *   MarketBid       { taskId, account, price, quality, timeMs }        market:<task>#bid
 *   MarketRefuse    { taskId, reason? }                                 market:<task>#bid
 *   MarketAward     { taskId } | { taskIds } (call auction)            market:<task>#award (each)
 *   MarketDone      { taskId, result? } / MarketFail { taskId, reason } market:<task>#bid
 *   MarketVerdict   { taskId, accept, amount? }                         market:<task>#verdict
 *   MarketTask      { taskId }                                          market:<task>#read
 *   LedgerBalance   { account }                                         ledger:<account>#read
 *   LedgerTransfers { account, after?, limit? }                         ledger:<account>#read
 * Every mutating call is sideEffect: true (it moves money or commits a task), so a durable
 * caller's intent is journaled before it runs and not re-run blindly after a crash.
 */
import { z } from "zod";
import { AiosError, type Clock } from "../../core/index.js";
import type { SyscallArgs, SyscallDef, SyscallName } from "../../abi/index.js";
import type { Account, Ledger, Transfer } from "../ledger/index.js";
import type { Award, Market, MarketTaskView } from "./market.js";

/** JSON shapes: bigints as decimal strings. */
export interface AwardJson { worker: string; account: string; price: string; reservation: string }
export interface MarketTaskJson { taskId: string; poster: string; status: string; budget: string; deadline: number; bids: { worker: string; price: string; quality: number; timeMs: number }[]; award?: AwardJson; paid?: string }
export interface BalanceJson { account: string; ledger: string; debitsPending: string; debitsPosted: string; creditsPending: string; creditsPosted: string; available: string }
export interface TransferJson { id: string; debitAccountId: string; creditAccountId: string; amount: string; pendingId?: string; flags: string[]; timestamp: number; seq: number }

declare module "../../abi/syscalls.js" {
  interface SyscallMap {
    MarketPost: { args: { taskId: string; payer: string; ledger: string; budget: string; deadlineMs: number; workTimeoutMs: number; description?: string; exclude?: string[] }; result: MarketTaskJson };
    MarketBid: { args: { taskId: string; account: string; price: string; quality: number; timeMs: number }; result: MarketTaskJson };
    MarketRefuse: { args: { taskId: string; reason?: string }; result: { refused: true } };
    MarketAward: { args: { taskId?: string; taskIds?: string[] }; result: { awards: Record<string, AwardJson> } };
    MarketDone: { args: { taskId: string; result?: unknown }; result: MarketTaskJson };
    MarketFail: { args: { taskId: string; reason: string }; result: MarketTaskJson };
    MarketVerdict: { args: { taskId: string; accept: boolean; amount?: string }; result: MarketTaskJson };
    MarketTask: { args: { taskId: string }; result: MarketTaskJson };
    LedgerBalance: { args: { account: string }; result: BalanceJson };
    /** Without `account`: every transfer (needs `ledger:**#read`). */
    LedgerTransfers: { args: { account?: string; after?: number; limit?: number }; result: { transfers: TransferJson[] } };
  }
}

const Id = z.string().min(1).max(100);
const Micro = z.string().regex(/^[0-9]{1,19}$/, "a decimal count of micro-credits");
const schemas = {
  MarketPost: z.object({ taskId: Id, payer: Id, ledger: Id, budget: Micro, deadlineMs: z.number().int().min(0).max(2_147_483_647), workTimeoutMs: z.number().int().min(1).max(2_147_483_647), description: z.string().max(4096).optional(), exclude: z.array(Id).max(1000).optional() }).strict(),
  MarketBid: z.object({ taskId: Id, account: Id, price: Micro, quality: z.number().min(0).max(1), timeMs: z.number().int().min(0).max(2_147_483_647) }).strict(),
  MarketRefuse: z.object({ taskId: Id, reason: z.string().max(1024).optional() }).strict(),
  MarketAward: z.object({ taskId: Id.optional(), taskIds: z.array(Id).min(1).max(1000).optional() }).strict().refine((a) => (a.taskId === undefined) !== (a.taskIds === undefined), { message: "exactly one of taskId or taskIds", path: ["taskId"] }),
  MarketDone: z.object({ taskId: Id, result: z.unknown().optional() }).strict(),
  MarketFail: z.object({ taskId: Id, reason: z.string().min(1).max(1024) }).strict(),
  MarketVerdict: z.object({ taskId: Id, accept: z.boolean(), amount: Micro.optional() }).strict(),
  MarketTask: z.object({ taskId: Id }).strict(),
  LedgerBalance: z.object({ account: z.string().min(1).max(128) }).strict(),
  LedgerTransfers: z.object({ account: z.string().min(1).max(128).optional(), after: z.number().int().min(0).optional(), limit: z.number().int().min(1).max(1000).optional() }).strict(),
};

function parser<N extends SyscallName & keyof typeof schemas>(name: N): (raw: unknown) => SyscallArgs<N> {
  return (raw) => {
    const r = schemas[name].safeParse(raw);
    if (r.success) {
      // zod marks absent optionals `| undefined`; SyscallMap's shapes omit them — same data.
      return Object.fromEntries(Object.entries(r.data).filter(([, v]) => v !== undefined));
    }
    const i = r.error.issues[0];
    const path = i?.path.map(String).join(".") || "(args)";
    throw new AiosError("E_INVALID_ARG", `${name}: ${path}: ${i?.message ?? "invalid"}`, { details: { syscall: name, path } });
  };
}

const awardJson = (a: Award): AwardJson => ({ worker: a.worker, account: a.account, price: a.price.toString(), reservation: a.reservation });
export function marketTaskJson(t: MarketTaskView): MarketTaskJson {
  return {
    taskId: t.taskId, poster: t.poster, status: t.status, budget: t.budget.toString(), deadline: t.deadline,
    bids: t.bids.map((b) => ({ worker: b.worker, price: b.price.toString(), quality: b.quality, timeMs: b.timeMs })),
    ...(t.award === undefined ? {} : { award: awardJson(t.award) }), ...(t.paid === undefined ? {} : { paid: t.paid.toString() }),
  };
}
export function balanceJson(a: Account): BalanceJson {
  const available = a.creditsPosted - a.debitsPosted - a.debitsPending;
  return {
    account: a.id, ledger: a.ledger, debitsPending: a.debitsPending.toString(), debitsPosted: a.debitsPosted.toString(),
    creditsPending: a.creditsPending.toString(), creditsPosted: a.creditsPosted.toString(), available: available.toString(),
  };
}
export function transferJson(t: Transfer, seq: number): TransferJson {
  const flags = (["linked", "pending", "postPending", "voidPending"] as const).filter((f) => t.flags[f]);
  return { id: t.id, debitAccountId: t.debitAccountId, creditAccountId: t.creditAccountId, amount: t.amount.toString(), ...(t.pendingId === undefined ? {} : { pendingId: t.pendingId }), flags, timestamp: t.timestamp, seq };
}

const cap = (task: string, action: string): { resource: string; action: string } => ({ resource: `market:${task}`, action });

export function marketSyscalls(market: Market, ledger: Ledger, clock: Clock): SyscallDef[] {
  const post: SyscallDef<"MarketPost"> = {
    name: "MarketPost",
    parse: parser("MarketPost"),
    requires: (a) => [cap(a.taskId, "post"), { resource: `ledger:${a.payer}`, action: "debit" }],
    sideEffect: true,
    handler: (a, call) =>
      marketTaskJson(market.post({
        taskId: a.taskId, poster: call.caller.agent, payer: a.payer, ledger: a.ledger, budget: BigInt(a.budget), deadline: clock.now() + a.deadlineMs,
        workTimeoutMs: a.workTimeoutMs, ...(a.description === undefined ? {} : { description: a.description }), ...(a.exclude === undefined ? {} : { exclude: a.exclude }),
      })),
  };
  const bid: SyscallDef<"MarketBid"> = {
    name: "MarketBid",
    parse: parser("MarketBid"),
    requires: (a) => [cap(a.taskId, "bid")],
    sideEffect: true,
    handler: (a, call) => marketTaskJson(market.bid({ taskId: a.taskId, worker: call.caller.agent, account: a.account, price: BigInt(a.price), quality: a.quality, timeMs: a.timeMs })),
  };
  const refuse: SyscallDef<"MarketRefuse"> = {
    name: "MarketRefuse",
    parse: parser("MarketRefuse"),
    requires: (a) => [cap(a.taskId, "bid")],
    sideEffect: true,
    handler: (a, call) => {
      market.refuse(a.taskId, call.caller.agent, a.reason);
      return { refused: true };
    },
  };
  const award: SyscallDef<"MarketAward"> = {
    name: "MarketAward",
    parse: parser("MarketAward"),
    requires: (a) => (a.taskIds ?? [a.taskId as string]).map((t) => cap(t, "award")),
    sideEffect: true,
    handler: (a) => {
      if (a.taskIds !== undefined) return { awards: Object.fromEntries([...market.awardBatch(a.taskIds)].map(([k, v]) => [k, awardJson(v)])) };
      const w = market.award(a.taskId as string);
      return { awards: w === undefined ? {} : { [a.taskId as string]: awardJson(w) } };
    },
  };
  const done: SyscallDef<"MarketDone"> = {
    name: "MarketDone",
    parse: parser("MarketDone"),
    requires: (a) => [cap(a.taskId, "bid")],
    sideEffect: true,
    handler: (a, call) => marketTaskJson(market.done(a.taskId, call.caller.agent, a.result)),
  };
  const fail: SyscallDef<"MarketFail"> = {
    name: "MarketFail",
    parse: parser("MarketFail"),
    requires: (a) => [cap(a.taskId, "bid")],
    sideEffect: true,
    handler: (a, call) => marketTaskJson(market.fail(a.taskId, call.caller.agent, a.reason)),
  };
  const verdict: SyscallDef<"MarketVerdict"> = {
    name: "MarketVerdict",
    parse: parser("MarketVerdict"),
    requires: (a) => [cap(a.taskId, "verdict")],
    sideEffect: true,
    handler: (a) => marketTaskJson(market.verdict(a.taskId, { accept: a.accept, ...(a.amount === undefined ? {} : { amount: BigInt(a.amount) }) })),
  };
  const task: SyscallDef<"MarketTask"> = {
    name: "MarketTask",
    parse: parser("MarketTask"),
    requires: (a) => [cap(a.taskId, "read")],
    sideEffect: false,
    handler: (a) => {
      const t = market.task(a.taskId);
      if (t === undefined) throw new AiosError("E_NOT_FOUND", `MarketTask: taskId: no task ${a.taskId}`, { details: { path: "taskId" } });
      return marketTaskJson(t);
    },
  };
  const balance: SyscallDef<"LedgerBalance"> = {
    name: "LedgerBalance",
    parse: parser("LedgerBalance"),
    requires: (a) => [{ resource: `ledger:${a.account}`, action: "read" }],
    sideEffect: false,
    handler: (a) => {
      const acc = ledger.account(a.account);
      if (acc === undefined) throw new AiosError("E_NOT_FOUND", `LedgerBalance: account: no account ${a.account}`, { details: { path: "account" } });
      return balanceJson(acc);
    },
  };
  const transfers: SyscallDef<"LedgerTransfers"> = {
    name: "LedgerTransfers",
    parse: parser("LedgerTransfers"),
    requires: (a) => [{ resource: a.account === undefined ? "ledger:**" : `ledger:${a.account}`, action: "read" }],
    sideEffect: false,
    handler: (a) => ({ transfers: ledger.transfers({ ...(a.account === undefined ? {} : { account: a.account }), after: a.after ?? 0, limit: a.limit ?? 100 }).map((t) => transferJson(t.transfer, t.seq)) }),
  };
  return [post, bid, refuse, award, done, fail, verdict, task, balance, transfers] as SyscallDef[];
}
