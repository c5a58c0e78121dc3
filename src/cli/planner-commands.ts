/**
 * The planner's commands: `aios plan "<goal>"`, `aios plan-status <id>`, `aios market book`, `aios
 * ledger balances|transfers|deposit` and `aios reputation`. They talk to the running daemon (the
 * workers that bid are its agents, and the ledger is its store's); with none up they exit 3 like
 * `cap` and `approvals`. Every call is a syscall through the daemon's door as the operator.
 */
import type { CliContext } from "./context.js";
import { balancesText, bookTable, credits, parseCredits, planCard, reputationTable, transfersTable } from "./planner-render.js";

export interface PlanOptions {
  readonly payer?: string;
  /** Credits (decimal text). */
  readonly budget?: string;
  readonly wait?: boolean;
}

/** Exit 0 when answered (or running with --no-wait), 1 when the plan failed. */
export async function plan(ctx: CliContext, goal: string, o: PlanOptions): Promise<number> {
  const api = ctx.connect();
  const budget = o.budget === undefined ? undefined : parseCredits(o.budget, "--budget").toString();
  const p = await ctx.out.progress("planning and running through the market", api.plan({ goal, ...(o.payer === undefined ? {} : { payer: o.payer }), ...(budget === undefined ? {} : { budget }), ...(o.wait === false ? { wait: false } : {}) }));
  ctx.out.result(p, () => ctx.out.line(planCard(p)));
  return p.status === "failed" ? 1 : 0;
}

export async function planStatus(ctx: CliContext, id: string): Promise<number> {
  const p = await ctx.connect().planStatus(id);
  ctx.out.result(p, () => ctx.out.line(planCard(p)));
  return p.status === "failed" ? 1 : 0;
}

export async function marketBook(ctx: CliContext, o: { status?: string }): Promise<number> {
  const tasks = await ctx.connect().marketBook(o.status);
  ctx.out.result(tasks, () => ctx.out.line(bookTable(tasks)));
  return 0;
}

/** Exit 1 when the double-entry totals do not balance (scripts can check the ledger). */
export async function ledgerBalances(ctx: CliContext, o: { ledger?: string }): Promise<number> {
  const b = await ctx.connect().ledgerBalances(o.ledger);
  ctx.out.result(b, () => ctx.out.line(balancesText(b)));
  return b.totals.balanced ? 0 : 1;
}

export async function ledgerTransfers(ctx: CliContext, o: { account?: string; after?: number; limit?: number }): Promise<number> {
  const ts = await ctx.connect().ledgerTransfers({ ...(o.account === undefined ? {} : { account: o.account }), ...(o.after === undefined ? {} : { after: o.after }), ...(o.limit === undefined ? {} : { limit: o.limit }) });
  ctx.out.result(ts, () => ctx.out.line(transfersTable(ts)));
  return 0;
}

export async function ledgerDeposit(ctx: CliContext, account: string, amount: string, o: { id?: string }): Promise<number> {
  const b = await ctx.connect().ledgerDeposit({ account, amount: parseCredits(amount, "amount").toString(), ...(o.id === undefined ? {} : { id: o.id }) });
  ctx.out.result(b, () => ctx.out.line(`deposited ${amount} credits to ${account}; available ${credits(b.available)} credits`));
  return 0;
}

export async function reputation(ctx: CliContext, agent?: string): Promise<number> {
  const ps = await ctx.connect().reputation(agent);
  ctx.out.result(ps, () => ctx.out.line(reputationTable(ps)));
  return 0;
}
