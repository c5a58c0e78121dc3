/**
 * What a caller asks of a pool (SchedRequest) and the pool's record of one waiting or running request
 * (Waiter). Policies order Waiters; only the pool changes a Waiter's `state`, and a Waiter is granted
 * at most once per queueing (`gen` invalidates stale heap entries after a re-key or re-queue).
 */
export type PolicyName = "fifo" | "round-robin" | "wfq" | "priority" | "edf";
export const POLICY_NAMES: readonly PolicyName[] = ["fifo", "round-robin", "wfq", "priority", "edf"];

export interface SchedRequest {
  /** The agent the request runs for (fairness unit). */
  readonly agent: string;
  /** Tenant for hierarchical fairness and quotas (default "default"). */
  readonly tenant?: string;
  /** Priority class, higher is more urgent (the agent spec's priority, -20..20). */
  readonly priority?: number;
  /** Share weight (the agent spec's weight, default 1). */
  readonly weight?: number;
  /** Estimated tokens this request will use; WFQ charges it at grant and corrects it at release. */
  readonly tokens?: number;
  /** Absolute time (scheduler clock, ms) by which it should start; EDF orders by it. */
  readonly deadline?: number;
  /** Priority of a waiter this request is made on behalf of (priority inheritance). */
  readonly onBehalfOf?: number;
  /** The holder checks its PreemptionToken at token boundaries and yields when asked. */
  readonly preemptible?: boolean;
  readonly signal?: AbortSignal | undefined;
  /**
   * No abort listener on `signal`: whoever aborts it first cancels the request's wait with the pool's
   * cancelWaiting (the kernel, for its agents' calls: ADR 0076). Checked at the request, as ever.
   */
  readonly ownerCancels?: boolean;
}

export type WaiterState = "waiting" | "running" | "done" | "cancelled";

export interface Waiter {
  readonly id: string;
  readonly agent: string;
  readonly tenant: string;
  readonly basePriority: number;
  /** Effective priority: max of base, onBehalfOf and donations (inheritance); re-keyed on change. */
  priority: number;
  readonly onBehalfOf: number;
  readonly weight: number;
  tokens: number;
  readonly deadline: number | undefined;
  /** First enqueue time; kept across preemption so aging and FIFO order survive a re-queue. */
  readonly enqueuedAt: number;
  readonly seq: number;
  readonly preemptible: boolean;
  state: WaiterState;
  /** Bumped on every (re)queue or re-key; heap entries carrying an older gen are stale. */
  gen: number;
  grantedAt: number;
  /** Its signal is not listened to: its owner cancels it with cancelWaiting (SchedRequest.ownerCancels). */
  ownerCancels: boolean;
}
