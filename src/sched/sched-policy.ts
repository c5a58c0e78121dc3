/**
 * The one interface every queueing policy implements. A policy only orders waiting requests; the pool
 * owns slots, states and events. Policies use lazy deletion: `remove` only adjusts counts, and
 * `pop`/`peek` skip entries whose waiter is no longer waiting or whose `gen` is stale.
 */
import type { PolicyName, Waiter } from "./waiter.js";

export interface SchedPolicy {
  readonly name: PolicyName;
  /** Requests waiting (live, not cancelled). */
  readonly size: number;
  push(w: Waiter): void;
  /**
   * `w` was granted the moment it arrived (nothing waited), without being queued. A policy whose
   * state every grant moves (WFQ's virtual clocks) moves it here as push(w) then pop() would; for the
   * others an empty queue stays empty and there is nothing to do.
   */
  granted?(w: Waiter): void;
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
