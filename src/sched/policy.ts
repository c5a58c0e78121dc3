/**
 * The one interface every queueing policy implements, and the factory that picks one by name per pool.
 * A policy only orders waiting requests; the pool owns slots, states and events. Policies use lazy
 * deletion: `remove` only adjusts counts, and `pop`/`peek` skip entries whose waiter is no longer
 * waiting or whose `gen` is stale.
 */
import { AiosError } from "../core/index.js";
import { EdfPolicy } from "./policies/edf.js";
import { FifoPolicy } from "./policies/fifo.js";
import { PriorityPolicy } from "./policies/priority.js";
import { RoundRobinPolicy } from "./policies/round-robin.js";
import { WfqPolicy } from "./policies/wfq.js";
import { POLICY_NAMES, type PolicyName, type Waiter } from "./waiter.js";

export interface SchedPolicy {
  readonly name: PolicyName;
  /** Requests waiting (live, not cancelled). */
  readonly size: number;
  push(w: Waiter): void;
  /** Removes and returns the request to grant next. */
  pop(): Waiter | undefined;
  /** The request `pop` would return, without removing it. */
  peek(): Waiter | undefined;
  /** `w` left the queue (cancelled); its state is already not "waiting". */
  remove(w: Waiter): void;
  /** `w`'s effective priority changed while waiting. */
  rekey(w: Waiter): void;
  /** A granted request finished having used `actual` tokens (it was charged `w.tokens` at grant). */
  settle?(w: Waiter, actual: number): void;
  /** True when waiting `a` should preempt running `b`; absent for non-preemptive policies. */
  outranks?(a: Waiter, b: Waiter): boolean;
}

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
