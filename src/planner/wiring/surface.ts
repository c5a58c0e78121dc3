/**
 * The planner's surface for people and programs (SDK `os.plan / os.market / os.ledger /
 * os.reputation`, the HTTP routes and the CLI): every call is a syscall through the kernel's door as
 * the operator, so it is capability-checked, audited and evented exactly like an agent's. Money
 * crosses as decimal strings of micro-credits (1 credit = 1,000,000).
 */
import type { SerializedError } from "../../core/index.js";
import type { PlanStatusView } from "../graph/index.js";
import type { BalanceJson, MarketTaskJson, TransferJson } from "../market/index.js";
import type { Profile } from "../reputation/index.js";
import type { PlannerParts } from "./subsystem.js";

export interface PlanOptions {
  /** The ledger account that pays (default: the operator's wallet `operator`). */
  readonly payer?: string;
  /** Most micro-credits the plan may spend (default: the payer's available balance). */
  readonly budget?: bigint | string;
  /** Wait for the answer (default true); false returns once version 1 is committed and running. */
  readonly wait?: boolean;
}

export interface PlanResult {
  readonly planId: string;
  readonly version: number;
  readonly status: "running" | "answered" | "failed";
  readonly answer?: unknown;
  readonly error?: SerializedError;
}

export interface LedgerTotals {
  readonly accounts: number;
  readonly debitsPosted: string;
  readonly creditsPosted: string;
  readonly debitsPending: string;
  readonly creditsPending: string;
  /** Posted debits = posted credits and pending debits = pending credits (double entry). */
  readonly balanced: boolean;
}

export class MarketSurface {
  constructor(private readonly p: PlannerParts) {}
  /** Tasks on the market with their bids (optionally one status: open, awarded, done, settled, ...). */
  async book(status?: string): Promise<MarketTaskJson[]> {
    return (await this.p.operator("MarketBook", status === undefined ? {} : { status })).tasks;
  }
  task(taskId: string): Promise<MarketTaskJson> {
    return this.p.operator("MarketTask", { taskId });
  }
  /** Registered workers (agent, kinds, ledger account). */
  workers(): { agent: string; kinds: readonly string[]; account: string }[] {
    return this.p.store.workers().map((w) => ({ agent: w.agent, kinds: w.kinds, account: w.account }));
  }
}

export class LedgerSurface {
  constructor(private readonly p: PlannerParts) {}
  async balances(ledger?: string): Promise<BalanceJson[]> {
    return (await this.p.operator("LedgerAccounts", ledger === undefined ? {} : { ledger })).accounts;
  }
  balance(account: string): Promise<BalanceJson> {
    return this.p.operator("LedgerBalance", { account });
  }
  async transfers(o: { account?: string; after?: number; limit?: number } = {}): Promise<TransferJson[]> {
    return (await this.p.operator("LedgerTransfers", o)).transfers;
  }
  /** Issues credits to an account from the ledger's mint (double entry: the mint goes negative). */
  deposit(account: string, amount: bigint | string, o: { ledger?: string; id?: string } = {}): Promise<BalanceJson> {
    return this.p.operator("LedgerDeposit", { account, amount: amount.toString(), ...o });
  }
  /** Sums over every account: the conservation check `aios ledger balances` prints. */
  async totals(ledger?: string): Promise<LedgerTotals> {
    const all = await this.balances(ledger);
    const sum = (k: keyof BalanceJson): bigint => all.reduce((s, a) => s + BigInt(a[k]), 0n);
    const dp = sum("debitsPosted");
    const cp = sum("creditsPosted");
    const dq = sum("debitsPending");
    const cq = sum("creditsPending");
    return { accounts: all.length, debitsPosted: dp.toString(), creditsPosted: cp.toString(), debitsPending: dq.toString(), creditsPending: cq.toString(), balanced: dp === cp && dq === cq };
  }
}

export class PlannerSurface {
  readonly market: MarketSurface;
  readonly ledger: LedgerSurface;

  constructor(private readonly p: PlannerParts) {
    this.market = new MarketSurface(p);
    this.ledger = new LedgerSurface(p);
  }

  /** Plans `goal` into a validated task graph and runs it through the market (PlanCreate). */
  async plan(goal: string, o: PlanOptions = {}): Promise<PlanResult | PlanStatusView> {
    const { planId, version } = await this.p.operator("PlanCreate", {
      goal, ...(o.payer === undefined ? {} : { payer: o.payer }), ...(o.budget === undefined ? {} : { budget: o.budget.toString() }),
    });
    if (o.wait === false) return { planId, version, status: "running" };
    // Joins the run PlanCreate started (one run per plan), then reads the journaled end.
    await this.p.engine.start(planId).catch(() => undefined);
    return this.status(planId);
  }

  status(planId: string): Promise<PlanStatusView> {
    return this.p.operator("PlanStatus", { planId });
  }

  /** Waits for a running plan's end (for a plan created with wait: false or resumed after a restart). */
  async wait(planId: string): Promise<PlanStatusView> {
    await this.p.engine.start(planId).catch(() => undefined);
    return this.status(planId);
  }

  async reputation(agent?: string): Promise<Profile[]> {
    return (await this.p.operator("ReputationRead", agent === undefined ? {} : { agent })).profiles;
  }
}
