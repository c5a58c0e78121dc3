/**
 * One backend's slot pool: `capacity` slots, a queue ordered by the pool's policy, cancellation by
 * AbortSignal (abort-watch.ts), preemption requests for preemptible holders, and an event for every
 * decision. Each request is one object, its record and its lease (pool-request.ts); what the pool
 * keeps per agent is pool-agents.ts.
 *
 * Fair share (issue 15 item 9): with `maxPerAgent`, an agent holding that many slots waits for one
 * of its own to end before it gets another (its extra requests are parked outside the policy's
 * queue), so one agent flooding the pool cannot take every slot from the rest.
 *
 * Invariants: inUse <= capacity at all times; held(agent) <= maxPerAgent; every request is granted at most once per queueing and
 * ends exactly once (released, cancelled, rejected or dropped at close); a free slot never sits idle
 * while a request waits (dispatch runs after every release, yield and capacity change).
 */
import { AiosError, type AgentId, type Clock, type EventBus } from "../core/index.js";
import { AbortWatches } from "./abort-watch.js";
import type { Lease, Usage } from "./lease.js";
import { createPolicy, type SchedPolicy } from "./policy.js";
import { AgentRequests } from "./pool-agents.js";
import { badArg, PoolRequest, requestOf, type RequestOwner } from "./pool-request.js";
import type { PolicyName, SchedRequest } from "./waiter.js";
import "./events.js";

export interface PoolOptions {
  readonly capacity: number;
  readonly policy: PolicyName;
  /** Priority policy: one level gained per agingMs waited (default: no aging). */
  readonly agingMs?: number;
  /** Waiting requests beyond this are rejected with E_RATE_LIMITED (default: unbounded). */
  readonly maxQueue?: number;
  /** Token estimate for requests that carry none (WFQ charge), default 256. */
  readonly defaultTokens?: number;
  readonly tenantWeight?: (tenant: string) => number;
  /** Slots one agent may hold at once (default: all of them). */
  readonly maxPerAgent?: number;
}

export interface PoolStats {
  readonly name: string;
  readonly policy: PolicyName;
  readonly capacity: number;
  readonly inUse: number;
  readonly queued: number;
  readonly granted: number;
  readonly released: number;
  readonly cancelled: number;
  readonly rejected: number;
  readonly preempted: number;
}

export class SlotPool implements RequestOwner {
  private readonly policy: SchedPolicy;
  private cap: number;
  private inUse = 0;
  private seq = 0;
  /**
   * The requests holding a slot in grant order, each at its `at` index (-1: not running): an array,
   * as a Set shrinking back to empty reallocates its table, and a pool takes and frees a slot on
   * every model and tool call (it holds at most its capacity).
   */
  private readonly running: PoolRequest[] = [];
  /** Waiting requests, held slots and parked requests per agent. */
  private readonly agents = new AgentRequests();
  /** Cancels a waiting request when its signal aborts (abort-watch.ts); shared by a scheduler's pools. */
  private readonly aborts: AbortWatches<PoolRequest>;
  private readonly counts = { granted: 0, released: 0, cancelled: 0, rejected: 0, preempted: 0 };
  private closed = false;

  constructor(
    readonly name: string,
    private readonly options: PoolOptions,
    private readonly clock: Clock,
    private readonly bus: EventBus | undefined,
    private readonly boostOf: (agent: string) => number = () => -Infinity,
    aborts?: AbortWatches<PoolRequest>,
  ) {
    this.aborts = aborts ?? leaseWatches();
    this.cap = options.capacity;
    this.policy = createPolicy(options.policy, {
      ...(options.agingMs === undefined ? {} : { agingMs: options.agingMs }),
      ...(options.tenantWeight === undefined ? {} : { tenantWeight: options.tenantWeight }),
      epoch: clock.now(),
    });
  }

  get capacity(): number {
    return this.cap;
  }

  /** Waits for a slot under the pool's policy. */
  acquire(req: SchedRequest): Promise<Lease> {
    return this.acquireAs(req, asLease);
  }

  /**
   * acquire(), resolving with `wrap(lease)`: a caller that hands on its own view of the lease (the
   * kernel's slot grant) gets it from the grant itself, without one more promise per wait.
   */
  acquireAs<T>(req: SchedRequest, wrap: (lease: Lease) => T): Promise<T> {
    if (this.closed) return Promise.reject(new AiosError("E_SHUTDOWN", `pool ${this.name} is closed`));
    const signal = req.signal;
    if (signal?.aborted === true) return Promise.reject(cancelled(this.name, signal.reason));
    let w: PoolRequest;
    try {
      w = this.makeRequest(req);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    if (this.freeFor(w.agent)) return Promise.resolve(wrap(this.grantNow(w)));
    const max = this.options.maxQueue;
    if (max !== undefined && this.policy.size >= max && !(this.inUse < this.cap && this.policy.size === 0)) {
      this.counts.rejected++;
      const reason = `pool ${this.name} has ${this.policy.size} requests waiting (maxQueue ${max})`;
      if (this.bus?.wants("sched.rejected") === true) {
        this.bus.emit("sched.rejected", { pool: this.name, request: w.id, stage: "queue", code: "E_RATE_LIMITED", reason }, w.agent as AgentId, "warn");
      }
      return Promise.reject(new AiosError("E_RATE_LIMITED", reason, { details: { pool: this.name, retryAfterMs: 0 } }));
    }
    w.ownerCancels = req.ownerCancels === true;
    if (!w.ownerCancels) this.aborts.watch(w);
    const granted = w.waitFor(wrap);
    this.enqueue(w, false);
    this.dispatch();
    return granted;
  }

  /**
   * The lease at once when `req` would not wait (a free slot, nothing queued), else undefined and
   * nothing happened: the caller then acquire()s. Throws E_INVALID_ARG for a bad request.
   */
  grantIfFree(req: SchedRequest): Lease | undefined {
    if (this.closed || req.signal?.aborted === true) return undefined;
    return this.freeFor(req.agent) ? this.grantNow(this.makeRequest(req)) : undefined;
  }

  /**
   * A request that would be granted the moment it is queued: a slot is free, nothing waits (queued
   * or parked) and its agent is under maxPerAgent. dispatch() would pop exactly this request.
   */
  private freeFor(agent: string): boolean {
    if (this.inUse >= this.cap || this.policy.size !== 0 || this.agents.parked !== 0) return false;
    const max = this.options.maxPerAgent;
    return max === undefined || this.agents.heldBy(agent) < max;
  }

  /**
   * The grant of a request that waits for nothing (freeFor), without the queue's bookkeeping: the
   * policy is told (SchedPolicy.granted: WFQ advances its virtual times as for any grant) and the
   * same events are emitted, but no promise executor, no per-agent waiting index and no abort
   * listener yet: an abort cancels only a waiting request (cancel() ignores a running one), and a
   * running request waits again only after a yield, which attaches the listener first (abort-watch.ts).
   */
  private grantNow(w: PoolRequest): PoolRequest {
    w.state = "waiting";
    this.policy.granted?.(w);
    if (this.bus?.wants("sched.enqueued") === true) {
      // Reported as queued, alone, for the moment it is granted (what a push into the empty queue showed).
      this.bus.emit("sched.enqueued", { pool: this.name, request: w.id, policy: this.policy.name, priority: w.priority, queued: 1, resumed: false }, w.agent as AgentId);
    }
    this.grant(w);
    return w;
  }

  stats(): PoolStats {
    return { name: this.name, policy: this.policy.name, capacity: this.cap, inUse: this.inUse, queued: this.policy.size + this.agents.parked, ...this.counts };
  }

  setCapacity(n: number): void {
    this.cap = n;
    this.dispatch();
  }

  /** Re-ranks an agent's queued and running requests after its inherited priority changed. */
  reprioritize(agent: string): void {
    const boost = this.boostOf(agent);
    for (const w of this.agents.waitingOf(agent)) {
      const p = Math.max(w.basePriority, w.onBehalfOf, boost);
      if (p === w.priority) continue;
      w.priority = p;
      w.gen++;
      this.policy.rekey(w);
    }
    for (const l of this.running) {
      if (l.agent === agent) l.priority = Math.max(l.basePriority, l.onBehalfOf, boost);
    }
  }

  /** Rejects every waiter with E_SHUTDOWN; running leases finish normally. */
  close(): void {
    this.closed = true;
    for (let w = this.policy.pop(); w !== undefined; w = this.policy.pop()) this.drop(requestOf(w), new AiosError("E_SHUTDOWN", `pool ${this.name} closed`));
    for (const w of this.agents.unparkAll()) this.drop(w, new AiosError("E_SHUTDOWN", `pool ${this.name} closed`));
  }

  /** @internal */
  release(w: PoolRequest, usage: Usage | undefined): void {
    if (w.state === "waiting") {
      // Released while re-queued after a yield: it leaves the queue and its pending yield() rejects.
      if (!this.agents.unpark(w)) this.policy.remove(w);
      this.counts.cancelled++;
      this.drop(w, new AiosError("E_CANCELLED", `request ${w.id} released while re-queued`));
      return;
    }
    if (!this.stopRunning(w)) return;
    this.inUse--;
    this.releaseHeld(w.agent);
    w.state = "done";
    this.counts.released++;
    const tokens = usage?.tokens ?? w.tokens;
    this.policy.settle?.(w, tokens);
    if (this.bus?.wants("sched.released") === true) {
      this.bus.emit("sched.released", { pool: this.name, request: w.id, heldMs: this.clock.now() - w.grantedAt, tokens }, w.agent as AgentId);
    }
    this.dispatch();
  }

  /** @internal */
  yieldSlot(w: PoolRequest): Promise<void> {
    if (!w.preemptionRequested || w.at < 0) return Promise.resolve();
    this.stopRunning(w);
    this.inUse--;
    this.releaseHeld(w.agent);
    if (this.bus?.wants("sched.yielded") === true) {
      this.bus.emit("sched.yielded", { pool: this.name, request: w.id, heldMs: this.clock.now() - w.grantedAt }, w.agent as AgentId);
    }
    if (!w.ownerCancels) this.aborts.watch(w);
    const granted = w.waitFor<void>(undefined);
    w.gen++;
    this.enqueue(w, true);
    this.dispatch();
    return granted;
  }

  /** The request's record, its fields checked and defaulted once. */
  private makeRequest(req: SchedRequest): PoolRequest {
    if (typeof req.agent !== "string" || req.agent.length === 0) throw badArg("agent", "a non-empty agent id");
    const base = req.priority ?? 0;
    const behalf = req.onBehalfOf ?? -Infinity;
    const weight = req.weight ?? 1;
    const tokens = req.tokens ?? this.options.defaultTokens ?? 256;
    if (!Number.isFinite(base)) throw badArg("priority", "a finite number");
    if (!(weight > 0 && Number.isFinite(weight))) throw badArg("weight", "a positive number");
    if (!(tokens >= 0 && Number.isFinite(tokens))) throw badArg("tokens", "a non-negative number");
    if (req.deadline !== undefined && !Number.isFinite(req.deadline)) throw badArg("deadline", "a finite time in ms");
    return new PoolRequest(this, ++this.seq, req.agent, req.tenant ?? "default", base, Math.max(base, behalf, this.boostOf(req.agent)), behalf, weight, tokens, req.deadline, this.clock.now(), req.preemptible === true, req.signal);
  }

  private enqueue(w: PoolRequest, resumed: boolean): void {
    w.state = "waiting";
    this.policy.push(w);
    this.agents.index(w);
    if (this.bus?.wants("sched.enqueued") === true) {
      this.bus.emit("sched.enqueued", { pool: this.name, request: w.id, policy: this.policy.name, priority: w.priority, queued: this.policy.size, resumed }, w.agent as AgentId);
    }
    if (this.inUse >= this.cap) this.maybePreempt(w);
  }

  private dispatch(): void {
    const max = this.options.maxPerAgent;
    while (this.inUse < this.cap) {
      const popped = this.policy.pop();
      if (popped === undefined) return;
      const w = requestOf(popped);
      if (max !== undefined && this.agents.heldBy(w.agent) >= max) {
        this.agents.park(w); // still waiting (indexed): it returns to the queue when the agent frees a slot
        continue;
      }
      this.agents.unindex(w);
      this.grant(w);
    }
  }

  /** One slot of `agent` ended: its oldest parked request goes back into the queue. */
  private releaseHeld(agent: string): void {
    // Held counts and parked requests exist only under maxPerAgent (grant() counts nothing without).
    if (this.options.maxPerAgent === undefined) return;
    const next = this.agents.freed(agent, this.cap);
    if (next !== undefined) {
      next.gen++;
      this.policy.push(next);
    }
  }

  private grant(w: PoolRequest): void {
    w.state = "running";
    w.grantedAt = this.clock.now();
    w.clearPreemption();
    this.inUse++;
    if (this.options.maxPerAgent !== undefined) this.agents.took(w.agent);
    w.at = this.running.length;
    this.running.push(w);
    this.counts.granted++;
    if (this.bus?.wants("sched.granted") === true) {
      this.bus.emit("sched.granted", { pool: this.name, request: w.id, waitedMs: w.grantedAt - w.enqueuedAt, inUse: this.inUse, priority: w.priority }, w.agent as AgentId);
    }
    w.granted();
  }

  /** Asks the lowest-ranked preemptible holder that `w` outranks to yield; at most one per arrival. */
  private maybePreempt(w: PoolRequest): void {
    const outranks = this.policy.outranks?.bind(this.policy);
    if (outranks === undefined) return;
    let victim: PoolRequest | undefined;
    for (const l of this.running) {
      if (!l.preemptible || l.preemptionRequested || !outranks(w, l)) continue;
      if (victim === undefined || outranks(victim, l)) victim = l;
    }
    if (victim === undefined) return;
    this.counts.preempted++;
    if (this.bus?.wants("sched.preempted") === true) this.bus.emit("sched.preempted", { pool: this.name, request: victim.id, by: w.id }, victim.agent as AgentId);
    victim.preemption.request(w.id);
  }

  /** @internal a request's signal aborted (RequestOwner). */
  aborted(w: PoolRequest, signal: AbortSignal): void {
    this.cancel(w, signal.reason);
  }

  /** Cancels `agent`'s waiting requests made with ownerCancels, `reason()` their error's cause. */
  cancelWaiting(agent: string, reason: () => unknown): void {
    for (const w of this.agents.waitingOf(agent)) if (w.ownerCancels) this.cancel(w, reason());
  }

  private cancel(w: PoolRequest, reason: unknown): void {
    if (w.state !== "waiting") return;
    if (!this.agents.unpark(w)) this.policy.remove(w);
    this.counts.cancelled++;
    if (this.bus?.wants("sched.cancelled") === true) {
      this.bus.emit("sched.cancelled", { pool: this.name, request: w.id, waitedMs: this.clock.now() - w.enqueuedAt }, w.agent as AgentId);
    }
    this.drop(w, cancelled(this.name, reason));
  }

  private drop(w: PoolRequest, e: Error): void {
    w.state = "cancelled";
    this.agents.unindex(w);
    w.dropped(e);
  }

  /** Takes `w` out of the running requests; false when it was not running. */
  private stopRunning(w: PoolRequest): boolean {
    const i = w.at;
    if (i < 0 || this.running[i] !== w) return false;
    // Shifted down, not swapped: the running requests stay in grant order (a preemption's tie-break).
    const r = this.running;
    for (let j = i; j < r.length - 1; j++) {
      const next = r[j + 1] as PoolRequest;
      r[j] = next;
      next.at = j;
    }
    r.pop();
    w.at = -1;
    return true;
  }
}

/**
 * The abort watch of pool requests: each request, when its signal aborts, goes to its own pool. One
 * scheduler shares one between its pools, so an agent that waits in two pools (a model's and the
 * tools') puts one listener on its signal, not one per pool.
 */
export function leaseWatches(): AbortWatches<PoolRequest> {
  return new AbortWatches<PoolRequest>((r, signal) => r.aborted(signal));
}

const asLease = (l: Lease): Lease => l;

function cancelled(pool: string, reason: unknown): AiosError {
  return new AiosError("E_CANCELLED", `request cancelled while waiting for pool ${pool}`, { cause: reason, details: { pool } });
}
