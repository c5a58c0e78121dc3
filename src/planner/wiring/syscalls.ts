/**
 * The wired planner's own syscalls, beside the market's (market/syscalls.ts) and the plan's
 * (graph/syscalls.ts). Each is an effect through the door like any other: schema, capability,
 * policy, audit, event.
 *   MarketJoin      { kinds?, account? }   market#join       the caller becomes a worker; its ledger
 *                                                            account (`agent:<id>` by default) is opened
 *   MarketBook      { status? }            market:**#read    the tasks on the market with their bids
 *   LedgerAccounts  { ledger? }            ledger:**#read    every account's balances
 *   LedgerDeposit   { account, amount, ledger?, id? }
 *                                          ledger:mint#issue credits issued from `mint:<ledger>` (the
 *                                                            operator funding a wallet; double entry)
 *   ReputationRead  { agent? }             reputation#read   six dimensions and trust per agent
 *   CriticVerdict   { subject, answer, question?, reference?, outputSchema?, worker? }
 *                                          critic#judge      the critic's verdict, a `critic.verdict` event
 */
import { z } from "zod";
import { AiosError, type EventBus } from "../../core/index.js";
import { zodArgs, type SyscallDef } from "../../abi/index.js";
import type { Critic, Verdict } from "../critic/index.js";
import type { Ledger } from "../ledger/index.js";
import { balanceJson, marketTaskJson, type BalanceJson, type Market, type MarketTaskJson } from "../market/index.js";
import type { Profile, Reputation } from "../reputation/index.js";
import type { PlannerStore } from "./planner-store.js";

export interface VerdictJson {
  readonly subject: string;
  readonly accept: boolean;
  readonly score: number;
  readonly threshold: number;
  readonly dimensions: Readonly<Record<string, number>>;
  readonly reasons: readonly string[];
  readonly vetoedBy: readonly string[];
}

declare module "../../abi/syscalls.js" {
  interface SyscallMap {
    MarketJoin: { args: { kinds?: string[]; account?: string }; result: { agent: string; account: string; ledger: string } };
    MarketBook: { args: { status?: string }; result: { tasks: MarketTaskJson[] } };
    LedgerAccounts: { args: { ledger?: string }; result: { accounts: BalanceJson[] } };
    LedgerDeposit: { args: { account: string; amount: string; ledger?: string; id?: string }; result: BalanceJson };
    ReputationRead: { args: { agent?: string }; result: { profiles: Profile[] } };
    CriticVerdict: { args: { subject: string; answer: string; question?: string; reference?: string; outputSchema?: Record<string, unknown>; worker?: string }; result: VerdictJson };
  }
}

const Id = z.string().min(1).max(100);
const Micro = z.string().regex(/^[0-9]{1,19}$/, "a decimal count of micro-credits");
const STATUSES = ["open", "awarded", "done", "settled", "refunded", "expired", "failed"] as const;

export const DEFAULT_LEDGER = "default";
export const workerAccount = (agent: string): string => `agent:${agent}`;
export const mintAccount = (ledger: string): string => `mint:${ledger}`;
/** Account code of agents' and payers' wallets (escrow accounts are code 2, the mint 3). */
export const WALLET_CODE = 1;
export const MINT_CODE = 3;

/** Opens a wallet that cannot overdraw (idempotent: an existing one is returned). */
export function openWallet(ledger: Ledger, account: string, ledgerName: string): void {
  const [r] = ledger.createAccounts([{ id: account, ledger: ledgerName, code: WALLET_CODE, flags: { debitsMustNotExceedCredits: true } }]);
  if (r?.status === "failed") throw r.error;
}

export interface WiredSyscallPorts {
  readonly market: Market;
  readonly ledger: Ledger;
  readonly reputation: Reputation;
  readonly critic: Critic;
  readonly store: PlannerStore;
  readonly events: EventBus;
  readonly newTransferId: () => string;
}

export function verdictJson(subject: string, v: Verdict): VerdictJson {
  return { subject, accept: v.accept, score: v.score, threshold: v.threshold, dimensions: v.dimensions, reasons: v.reasons, vetoedBy: v.vetoedBy };
}

export function wiredSyscalls(p: WiredSyscallPorts): SyscallDef[] {
  const join: SyscallDef<"MarketJoin"> = {
    name: "MarketJoin",
    parse: zodArgs("MarketJoin", z.strictObject({ kinds: z.array(z.string().min(1).max(64)).max(64).optional(), account: Id.optional() }).transform(strip)),
    requires: (a) => [{ resource: "market", action: "join" }, ...(a.account === undefined ? [] : [{ resource: `ledger:${a.account}`, action: "credit" }])],
    sideEffect: true,
    handler: (a, call) => {
      const agent = call.caller.agent;
      const ledgerName = call.caller.tenant === "default" ? DEFAULT_LEDGER : call.caller.tenant;
      const account = a.account ?? workerAccount(agent);
      openWallet(p.ledger, account, ledgerName);
      p.store.putWorker({ agent, kinds: a.kinds ?? [], account, ledger: ledgerName });
      p.reputation.register(agent, call.caller.name);
      return { agent, account, ledger: ledgerName };
    },
  };
  const book: SyscallDef<"MarketBook"> = {
    name: "MarketBook",
    parse: zodArgs("MarketBook", z.strictObject({ status: z.enum(STATUSES).optional() }).transform(strip)),
    requires: () => [{ resource: "market:**", action: "read" }],
    sideEffect: false,
    handler: (a) => ({ tasks: p.market.list().filter((t) => a.status === undefined || t.status === a.status).map(marketTaskJson) }),
  };
  const accounts: SyscallDef<"LedgerAccounts"> = {
    name: "LedgerAccounts",
    parse: zodArgs("LedgerAccounts", z.strictObject({ ledger: Id.optional() }).transform(strip)),
    requires: () => [{ resource: "ledger:**", action: "read" }],
    sideEffect: false,
    handler: (a) => ({ accounts: p.ledger.accounts(a.ledger).map(balanceJson) }),
  };
  const deposit: SyscallDef<"LedgerDeposit"> = {
    name: "LedgerDeposit",
    parse: zodArgs("LedgerDeposit", z.strictObject({ account: Id, amount: Micro, ledger: Id.optional(), id: Id.optional() }).transform(strip)),
    requires: () => [{ resource: "ledger:mint", action: "issue" }],
    sideEffect: true,
    handler: (a, call) => {
      const ledgerName = a.ledger ?? DEFAULT_LEDGER;
      const amount = BigInt(a.amount);
      if (amount <= 0n) throw new AiosError("E_INVALID_ARG", "LedgerDeposit: amount: must be >= 1 micro-credit", { details: { path: "amount" } });
      const [m] = p.ledger.createAccounts([{ id: mintAccount(ledgerName), ledger: ledgerName, code: MINT_CODE }]);
      if (m?.status === "failed") throw m.error;
      openWallet(p.ledger, a.account, ledgerName);
      // The id makes a retried deposit (same key) a no-op instead of a second issue.
      const id = a.id ?? call.idempotencyKey ?? p.newTransferId();
      p.ledger.transfer({ id: `deposit:${id}`, debitAccountId: mintAccount(ledgerName), creditAccountId: a.account, amount, ledger: ledgerName, code: MINT_CODE });
      return balanceJson(p.ledger.account(a.account) ?? never(a.account));
    },
  };
  const reputation: SyscallDef<"ReputationRead"> = {
    name: "ReputationRead",
    parse: zodArgs("ReputationRead", z.strictObject({ agent: Id.optional() }).transform(strip)),
    requires: () => [{ resource: "reputation", action: "read" }],
    sideEffect: false,
    handler: (a) => {
      const agents = a.agent === undefined ? [...p.reputation.trust().keys()] : [a.agent];
      return { profiles: agents.map((x) => p.reputation.profile(x)) };
    },
  };
  const verdict: SyscallDef<"CriticVerdict"> = {
    name: "CriticVerdict",
    parse: zodArgs("CriticVerdict", z.strictObject({
      subject: z.string().min(1).max(256), answer: z.string().max(1_000_000), question: z.string().max(16_384).optional(),
      reference: z.string().max(1_000_000).optional(), outputSchema: z.record(z.string(), z.unknown()).optional(), worker: Id.optional(),
    }).transform(strip)),
    requires: () => [{ resource: "critic", action: "judge" }],
    sideEffect: false,
    replay: true,
    handler: async (a, call) => {
      const v = await p.critic.evaluate({
        answer: a.answer, ...(a.question === undefined ? {} : { question: a.question }), ...(a.reference === undefined ? {} : { reference: a.reference }),
        ...(a.outputSchema === undefined ? {} : { outputSchema: a.outputSchema }),
      });
      const j = verdictJson(a.subject, v);
      p.events.emit("critic.verdict", { ...j, ...(a.worker === undefined ? {} : { worker: a.worker }) }, call.caller.agent, v.accept ? "info" : "warn");
      return j;
    },
  };
  return [join, book, accounts, deposit, reputation, verdict] as SyscallDef[];
}

/** zod marks absent optionals `| undefined`; the SyscallMap shapes omit them: the same data. */
function strip<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]: Exclude<T[K], undefined> };
}

function never(account: string): never {
  throw new AiosError("E_INTERNAL", `ledger account ${account} vanished after its deposit`);
}
