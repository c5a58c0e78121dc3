/**
 * The planner's kernel events (DESIGN invariant 4), what the dashboard's market view, `aios logs`
 * and the audit log read: every Contract Net message of the market, every committed ledger transfer
 * and expiry, every critic verdict (also an audit entry: the composition root records
 * `critic.verdict` in the audit log), and the plan lifecycle. Money is a decimal string.
 */
import type { SerializedError } from "../../core/index.js";

declare module "../../core/index.js" {
  interface EventDataMap {
    "market.message": { performative: string; taskId: string; from: string; to?: string; payload: Readonly<Record<string, unknown>> };
    "ledger.transfer": { id: string; debit: string; credit: string; amount: string; ledger: string; pendingId?: string; flags: string[] };
    "ledger.expired": { ids: string[] };
    "critic.verdict": {
      subject: string; worker?: string; accept: boolean; score: number; threshold: number;
      dimensions: Readonly<Record<string, number>>; reasons: readonly string[]; vetoedBy: readonly string[];
    };
    "plan.created": { planId: string; version: number; goal: string; tasks: number; payer: string };
    "plan.task": { planId: string; version: number; taskId: string; state: string; attempt: number };
    /** The critic vetoed a task's last allowed attempt: a person decides (approval id). */
    "plan.escalated": { planId: string; taskId: string; approvalId?: string; reason: string };
    "plan.ended": { planId: string; version: number; outcome: "answered" | "failed"; error?: SerializedError };
  }
}

export {};
