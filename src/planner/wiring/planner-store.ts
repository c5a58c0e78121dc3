/**
 * What the wired planner keeps beside the plan journal and the ledger, in `<dataDir>/planner/
 * market.db`: the workers registered on the market (agent, kinds, ledger account) and who pays for
 * each plan (payer account, ledger), and each result the critic accepted (written before its escrow is
 * posted). All must survive kill -9: a resumed plan re-dispatches to the same workers, charges the
 * same payer, and finds a result it already accepted instead of buying it again. With tracing on, each
 * running plan's trace context (the W3C traceparent of its PlanCreate's span) is kept too, until the
 * plan ends, so work resumed after a restart joins the plan's trace. WAL + synchronous=FULL like the other stores (an
 * acknowledged registration must not roll back on power loss).
 */
import type Database from "better-sqlite3";
import { openWalDb } from "../../store/index.js";

export interface WorkerInfo {
  readonly agent: string;
  /** Task kinds it bids on; empty: every kind. */
  readonly kinds: readonly string[];
  readonly account: string;
  readonly ledger: string;
}

export interface PlanPayer {
  readonly planId: string;
  readonly payer: string;
  readonly ledger: string;
  /** Who created the plan (an agent id, or "operator"). */
  readonly owner: string;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS market_workers (agent TEXT PRIMARY KEY, kinds TEXT NOT NULL, account TEXT NOT NULL, ledger TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS plan_payers (plan_id TEXT PRIMARY KEY, payer TEXT NOT NULL, ledger TEXT NOT NULL, owner TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS accepted_results (market_task TEXT PRIMARY KEY, account TEXT NOT NULL, result TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS plan_traces (plan_id TEXT PRIMARY KEY, traceparent TEXT NOT NULL) STRICT;
`;

/** A result the critic accepted, kept before its escrow is posted (so a crash cannot pay twice). */
export interface AcceptedResult {
  readonly account: string;
  readonly result: unknown;
}

export class PlannerStore {
  private readonly db: Database.Database;

  constructor(readonly path: string) {
    this.db = openWalDb(path, { schema: SCHEMA, what: "planner store" });
  }

  putWorker(w: WorkerInfo): void {
    this.db.prepare("INSERT INTO market_workers (agent, kinds, account, ledger) VALUES (?, ?, ?, ?) ON CONFLICT(agent) DO UPDATE SET kinds = excluded.kinds, account = excluded.account, ledger = excluded.ledger")
      .run(w.agent, JSON.stringify(w.kinds), w.account, w.ledger);
  }

  removeWorker(agent: string): boolean {
    return this.db.prepare("DELETE FROM market_workers WHERE agent = ?").run(agent).changes > 0;
  }

  workers(): WorkerInfo[] {
    return this.db.prepare<[], { agent: string; kinds: string; account: string; ledger: string }>("SELECT agent, kinds, account, ledger FROM market_workers ORDER BY rowid").all()
      .map((r) => ({ agent: r.agent, kinds: JSON.parse(r.kinds) as string[], account: r.account, ledger: r.ledger }));
  }

  worker(agent: string): WorkerInfo | undefined {
    const r = this.db.prepare<[string], { agent: string; kinds: string; account: string; ledger: string }>("SELECT agent, kinds, account, ledger FROM market_workers WHERE agent = ?").get(agent);
    return r === undefined ? undefined : { agent: r.agent, kinds: JSON.parse(r.kinds) as string[], account: r.account, ledger: r.ledger };
  }

  putPayer(p: PlanPayer): void {
    this.db.prepare("INSERT OR IGNORE INTO plan_payers (plan_id, payer, ledger, owner) VALUES (?, ?, ?, ?)").run(p.planId, p.payer, p.ledger, p.owner);
  }

  payer(planId: string): PlanPayer | undefined {
    const r = this.db.prepare<[string], { plan_id: string; payer: string; ledger: string; owner: string }>("SELECT plan_id, payer, ledger, owner FROM plan_payers WHERE plan_id = ?").get(planId);
    return r === undefined ? undefined : { planId: r.plan_id, payer: r.payer, ledger: r.ledger, owner: r.owner };
  }

  /** The traceparent of a plan's PlanCreate span (tracing on), kept while the plan runs. */
  putPlanTrace(planId: string, traceparent: string): void {
    this.db.prepare("INSERT OR IGNORE INTO plan_traces (plan_id, traceparent) VALUES (?, ?)").run(planId, traceparent);
  }

  planTrace(planId: string): string | undefined {
    return this.db.prepare<[string], { traceparent: string }>("SELECT traceparent FROM plan_traces WHERE plan_id = ?").get(planId)?.traceparent;
  }

  dropPlanTrace(planId: string): void {
    this.db.prepare("DELETE FROM plan_traces WHERE plan_id = ?").run(planId);
  }

  putAccepted(marketTask: string, a: AcceptedResult): void {
    this.db.prepare("INSERT OR IGNORE INTO accepted_results (market_task, account, result) VALUES (?, ?, ?)").run(marketTask, a.account, JSON.stringify(a.result ?? null));
  }

  accepted(marketTask: string): AcceptedResult | undefined {
    const r = this.db.prepare<[string], { account: string; result: string }>("SELECT account, result FROM accepted_results WHERE market_task = ?").get(marketTask);
    return r === undefined ? undefined : { account: r.account, result: JSON.parse(r.result) as unknown };
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
