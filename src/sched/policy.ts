/**
 * The factory that picks a queueing policy by name per pool, and the options it passes on. The
 * interface the policies implement lives in sched-policy.ts, so policies/* import it without
 * importing this factory (which imports them).
 */
import { AiosError } from "../core/index.js";
import { EdfPolicy } from "./policies/edf.js";
import { FifoPolicy } from "./policies/fifo.js";
import { PriorityPolicy } from "./policies/priority.js";
import { RoundRobinPolicy } from "./policies/round-robin.js";
import { WfqPolicy } from "./policies/wfq.js";
import type { SchedPolicy } from "./sched-policy.js";
import { POLICY_NAMES, type PolicyName } from "./waiter.js";

export type { SchedPolicy } from "./sched-policy.js";

export interface PolicyOptions {
  /** Priority policy: one priority level gained per `agingMs` waited (Infinity: strict, no aging). */
  readonly agingMs?: number;
  /** Time origin for aging keys (the pool's creation time) so keys stay small and exact. */
  readonly epoch?: number;
  /** WFQ: a tenant's share weight (default 1). */
  readonly tenantWeight?: (tenant: string) => number;
}

export function createPolicy(name: PolicyName, options: PolicyOptions = {}): SchedPolicy {
  switch (name) {
    case "fifo":
      return new FifoPolicy();
    case "round-robin":
      return new RoundRobinPolicy();
    case "wfq":
      return new WfqPolicy(options.tenantWeight ?? (() => 1));
    case "priority":
      return new PriorityPolicy(options.agingMs ?? Infinity, options.epoch ?? 0);
    case "edf":
      return new EdfPolicy();
    default: {
      const never: never = name;
      throw new AiosError("E_INVALID_ARG", `unknown scheduling policy ${String(never)}; known: ${POLICY_NAMES.join(", ")}`, {
        details: { path: "policy" },
      });
    }
  }
}
