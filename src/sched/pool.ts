/**
 * One backend's slot pool: `capacity` slots, a queue ordered by the pool's policy, cancellation by
 * AbortSignal (abort-watch.ts), preemption requests for preemptible holders, and an event for every
 * decision. The lease it hands out is pool-lease.ts.
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
import { leaseOf, PoolLease, type LeaseOwner } from "./pool-lease.js";
import { badArg, PoolWaiter } from "./pool-waiter.js";
import type { PolicyName, SchedRequest, Waiter } from "./waiter.js";
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

export class SlotPool implements LeaseOwner {
  private readonly policy: SchedPolicy;
  private cap: number;
  private inUse = 0;
  private seq = 0;
  /**
   * The leases holding a slot in grant order, each at its `at` index (-1: not running): an array, as
   * a Set shrinking back to empty reallocates its table, and a pool takes and frees a slot on every
   * model and tool call (it holds at most its capacity).
   */
  private readonly running: PoolLease[] = [];
  /** Each agent's waiting requests (reprioritize reads them): one Waiter, or a Set when it has several. */
  private readonly waitingByAgent = new Map<string, Waiter | Set<Waiter>>();
  /** Cancels a waiting request when its signal aborts (abort-watch.ts); shared by a scheduler's pools. */
  private readonly aborts: AbortWatches<PoolLease>;
  /** Running leases per agent (counted only under maxPerAgent), and each agent's requests parked at it (FIFO). */
  private readonly held = new Map<string, number>();
  private readonly parked = new Map<string, Waiter[]>();
  private readonly parkedSet = new Set<Waiter>();
  private readonly counts = { granted: 0, released: 0, cancelled: 0, rejected: 0, preempted: 0 };
  private closed = false;

  constructor(
    readonly name: string,
    private readonly options: PoolOptions,
    private readonly clock: Clock,
    private readonly bus: EventBus | undefined,
    private readonly boostOf: (agent: string) => number = () => -Infinity,
    aborts?: AbortWatches<PoolLease>,
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
    let w: Waiter;
    try {
      w = this.makeWaiter(req);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    if (this.freeFor(w.agent)) return Promise.resolve(wrap(this.grantNow(w, signal)));
    const max = this.options.maxQueue;
    if (max !== undefined && this.policy.size >= max && !(this.inUse < this.cap && this.policy.size === 0)) {
      this.counts.rejected++;
      const reason = `pool ${this.name} has ${this.policy.size} requests waiting (maxQueue ${max})`;
      if (this.bus?.wants("sched.rejected") === true) {
        this.bus.emit("sched.rejected", { pool: this.name, request: w.id, stage: "queue", code: "E_RATE_LIMITED", reason }, w.agent as AgentId, "warn");
      }
      return Promise.reject(new AiosError("E_RATE_LIMITED", reason, { details: { pool: this.name, retryAfterMs: 0 } }));
    }
    return new Promise<T>((resolve, reject) => {
      const lease = new PoolLease(this, w, signal);
      w.ownerCancels = req.ownerCancels === true;
      if (!w.ownerCancels) this.aborts.watch(lease);
      w.onGrant = () => resolve(wrap(lease));
      w.onDrop = (e) => {
        lease.finish();
        reject(e);
      };
      this.enqueue(w, false);
      this.dispatch();
    });
  }

  /**
   * The lease at once when `req` would not wait (a free slot, nothing queued), else undefined and
   * nothing happened: the caller then acquire()s. Throws E_INVALID_ARG for a bad request.
   */
  grantIfFree(req: SchedRequest): Lease | undefined {
    if (this.closed || req.signal?.aborted === true) return undefined;
    return this.freeFor(req.agent) ? this.grantNow(this.makeWaiter(req), req.signal) : undefined;
  }

  /**
   * A request that would be granted the moment it is queued: a slot is free, nothing waits (queued
   * or parked) and its agent is under maxPerAgent. dispatch() would pop exactly this request.
   */
  private freeFor(agent: string): boolean {
    if (this.inUse >= this.cap || this.policy.size !== 0 || this.parkedSet.size !== 0) return false;
    const max = this.options.maxPerAgent;
    return max === undefined || (this.held.get(agent) ?? 0) < max;
  }

  /**
   * The grant of a request that waits for nothing (freeFor), without the queue's bookkeeping: the
   * policy is told (SchedPolicy.granted: WFQ advances its virtual times as for any grant) and the
   * same events are emitted, but no promise executor, no per-agent waiting index and no abort
   * listener yet: an abort cancels only a waiting request (cancel() ignores a running one), and a
   * running request waits again only after a yield, which attaches the listener first (abort-watch.ts).
   */
  private grantNow(w: Waiter, signal: AbortSignal | undefined): PoolLease {
    const lease = new PoolLease(this, w, signal);
    w.state = "waiting";
    this.policy.granted?.(w);
    if (this.bus?.wants("sched.enqueued") === true) {
      // Reported as queued, alone, for the moment it is granted (what a push into the empty queue showed).
      this.bus.emit("sched.enqueued", { pool: this.name, request: w.id, policy: this.policy.name, priority: w.priority, queued: 1, resumed: false }, w.agent as AgentId);
    }
    this.grant(w);
    return lease;
  }

  stats(): PoolStats {
    return { name: this.name, policy: this.policy.name, capacity: this.cap, inUse: this.inUse, queued: this.policy.size + this.parkedSet.size, ...this.counts };
  }

  setCapacity(n: number): void {
    this.cap = n;
    this.dispatch();
  }

  /** Re-ranks an agent's queued and running requests after its inherited priority changed. */
  reprioritize(agent: string): void {
    const boost = this.boostOf(agent);
    for (const w of this.waitingOf(agent)) {
      const p = Math.max(w.basePriority, w.onBehalfOf, boost);
      if (p === w.priority) continue;
      w.priority = p;
      w.gen++;
      this.policy.rekey(w);
    }
    for (const l of this.running) {
      if (l.agent === agent) l.waiter.priority = Math.max(l.waiter.basePriority, l.waiter.onBehalfOf, boost);
    }
  }

  /** Rejects every waiter with E_SHUTDOWN; running leases finish normally. */
  close(): void {
    this.closed = true;
    for (let w = this.policy.pop(); w !== undefined; w = this.policy.pop()) this.drop(w, new AiosError("E_SHUTDOWN", `pool ${this.name} closed`));
    for (const w of [...this.parkedSet]) {
      this.unpark(w);
      this.drop(w, new AiosError("E_SHUTDOWN", `pool ${this.name} closed`));
    }
  }

  /** @internal */
  release(lease: PoolLease, usage: Usage | undefined): void {
    const w = lease.waiter;
    if (w.state === "waiting") {
      // Released while re-queued after a yield: it leaves the queue and its pending yield() rejects.
      if (!this.unpark(w)) this.policy.remove(w);
      this.counts.cancelled++;
      this.drop(w, new AiosError("E_CANCELLED", `request ${w.id} released while re-queued`));
      return;
    }
    if (!this.stopRunning(lease)) return;
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
  yieldSlot(lease: PoolLease): Promise<void> {
    const w = lease.waiter;
    if (!lease.flag.requested || lease.at < 0) return Promise.resolve();
    this.stopRunning(lease);
    this.inUse--;
    this.releaseHeld(w.agent);
    if (this.bus?.wants("sched.yielded") === true) {
      this.bus.emit("sched.yielded", { pool: this.name, request: w.id, heldMs: this.clock.now() - w.grantedAt }, w.agent as AgentId);
    }
    if (!w.ownerCancels) this.aborts.watch(lease);
    return new Promise<void>((resolve, reject) => {
      w.onGrant = () => resolve();
      w.onDrop = (e) => {
        lease.finish();
        reject(e);
      };
      w.gen++;
      this.enqueue(w, true);
      this.dispatch();
    });
  }

  /** The request's record, its fields checked and defaulted once. */
  private makeWaiter(req: SchedRequest): Waiter {
    if (typeof req.agent !== "string" || req.agent.length === 0) throw badArg("agent", "a non-empty agent id");
    const base = req.priority ?? 0;
    const behalf = req.onBehalfOf ?? -Infinity;
    const weight = req.weight ?? 1;
    const tokens = req.tokens ?? this.options.defaultTokens ?? 256;
    if (!Number.isFinite(base)) throw badArg("priority", "a finite number");
    if (!(weight > 0 && Number.isFinite(weight))) throw badArg("weight", "a positive number");
    if (!(tokens >= 0 && Number.isFinite(tokens))) throw badArg("tokens", "a non-negative number");
    if (req.deadline !== undefined && !Number.isFinite(req.deadline)) throw badArg("deadline", "a finite time in ms");
    return new PoolWaiter(this.name, ++this.seq, req.agent, req.tenant ?? "default", base, Math.max(base, behalf, this.boostOf(req.agent)), behalf, weight, tokens, req.deadline, this.clock.now(), req.preemptible === true);
  }

  private enqueue(w: Waiter, resumed: boolean): void {
    w.state = "waiting";
    this.policy.push(w);
    const had = this.waitingByAgent.get(w.agent);
    if (had === undefined) this.waitingByAgent.set(w.agent, w);
    else if (had instanceof Set) had.add(w);
    else if (had !== w) this.waitingByAgent.set(w.agent, new Set([had, w]));
    if (this.bus?.wants("sched.enqueued") === true) {
      this.bus.emit("sched.enqueued", { pool: this.name, request: w.id, policy: this.policy.name, priority: w.priority, queued: this.policy.size, resumed }, w.agent as AgentId);
    }
    if (this.inUse >= this.cap) this.maybePreempt(w);
  }

  private dispatch(): void {
    const max = this.options.maxPerAgent;
    while (this.inUse < this.cap) {
      const w = this.policy.pop();
      if (w === undefined) return;
      if (max !== undefined && (this.held.get(w.agent) ?? 0) >= max) {
        this.park(w); // still waiting (indexed): it returns to the queue when the agent frees a slot
        continue;
      }
      this.unindex(w);
      this.grant(w);
    }
  }

  private park(w: Waiter): void {
    let q = this.parked.get(w.agent);
    if (q === undefined) this.parked.set(w.agent, (q = []));
    q.push(w);
    this.parkedSet.add(w);
  }

  /** Takes `w` out of its agent's parked list; false when it was not parked. */
  private unpark(w: Waiter): boolean {
    if (!this.parkedSet.delete(w)) return false;
    const q = this.parked.get(w.agent) ?? [];
    const i = q.indexOf(w);
    if (i >= 0) q.splice(i, 1);
    if (q.length === 0) this.parked.delete(w.agent);
    return true;
  }

  /** One slot of `agent` ended: its oldest parked request goes back into the queue. */
  private releaseHeld(agent: string): void {
    // Held counts and parked requests exist only under maxPerAgent (grant() counts nothing without).
    if (this.options.maxPerAgent === undefined) return;
    const n = (this.held.get(agent) ?? 1) - 1;
    // A count back at zero stays until many have: a Map shrinking on each delete reallocates its
    // table, and a short-lived agent's tool call takes and frees a slot once.
    this.held.set(agent, n > 0 ? n : 0);
    if (n <= 0 && this.held.size > HELD_SWEEP + this.cap) {
      for (const [a, k] of this.held) if (k === 0) this.held.delete(a);
    }
    const next = this.parked.get(agent)?.[0];
    if (next !== undefined) {
      this.unpark(next);
      next.gen++;
      this.policy.push(next);
    }
  }

  private grant(w: Waiter): void {
    const lease = leaseOf(w);
    w.state = "running";
    w.grantedAt = this.clock.now();
    lease.flag.reset();
    this.inUse++;
    if (this.options.maxPerAgent !== undefined) this.held.set(w.agent, (this.held.get(w.agent) ?? 0) + 1);
    lease.at = this.running.length;
    this.running.push(lease);
    this.counts.granted++;
    if (this.bus?.wants("sched.granted") === true) {
      this.bus.emit("sched.granted", { pool: this.name, request: w.id, waitedMs: w.grantedAt - w.enqueuedAt, inUse: this.inUse, priority: w.priority }, w.agent as AgentId);
    }
    w.onGrant();
  }

  /** Asks the lowest-ranked preemptible holder that `w` outranks to yield; at most one per arrival. */
  private maybePreempt(w: Waiter): void {
    const outranks = this.policy.outranks?.bind(this.policy);
    if (outranks === undefined) return;
    let victim: PoolLease | undefined;
    for (const l of this.running) {
      if (!l.waiter.preemptible || l.flag.requested || !outranks(w, l.waiter)) continue;
      if (victim === undefined || outranks(victim.waiter, l.waiter)) victim = l;
    }
    if (victim === undefined) return;
    this.counts.preempted++;
    if (this.bus?.wants("sched.preempted") === true) this.bus.emit("sched.preempted", { pool: this.name, request: victim.waiter.id, by: w.id }, victim.waiter.agent as AgentId);
    victim.flag.request(w.id);
  }

  /** @internal a lease's signal aborted (LeaseOwner). */
  aborted(lease: PoolLease, signal: AbortSignal): void {
    this.cancel(lease.waiter, signal.reason);
  }

  /** Cancels `agent`'s waiting requests made with ownerCancels, `reason()` their error's cause. */
  cancelWaiting(agent: string, reason: () => unknown): void {
    for (const w of this.waitingOf(agent)) if (w.ownerCancels) this.cancel(w, reason());
  }

  /**
   * `agent`'s waiting requests (queued or parked), as a copy: the caller may re-key or drop them.
   * None is the shared empty list: every agent's end asks every pool (cancelWaiting), most for none.
   */
  private waitingOf(agent: string): readonly Waiter[] {
    const had = this.waitingByAgent.get(agent);
    return had === undefined ? NO_WAITERS : had instanceof Set ? [...had] : [had];
  }

  private cancel(w: Waiter, reason: unknown): void {
    if (w.state !== "waiting") return;
    if (!this.unpark(w)) this.policy.remove(w);
    this.counts.cancelled++;
    if (this.bus?.wants("sched.cancelled") === true) {
      this.bus.emit("sched.cancelled", { pool: this.name, request: w.id, waitedMs: this.clock.now() - w.enqueuedAt }, w.agent as AgentId);
    }
    this.drop(w, cancelled(this.name, reason));
  }

  private drop(w: Waiter, e: Error): void {
    w.state = "cancelled";
    this.unindex(w);
    w.onDrop(e);
  }

  /** Takes `lease` out of the running leases; false when it was not running. */
  private stopRunning(lease: PoolLease): boolean {
    const i = lease.at;
    if (i < 0 || this.running[i] !== lease) return false;
    // Shifted down, not swapped: the running leases stay in grant order (a preemption's tie-break).
    const r = this.running;
    for (let j = i; j < r.length - 1; j++) {
      const next = r[j + 1] as PoolLease;
      r[j] = next;
      next.at = j;
    }
    r.pop();
    lease.at = -1;
    return true;
  }

  private unindex(w: Waiter): void {
    const had = this.waitingByAgent.get(w.agent);
    if (had === w) this.waitingByAgent.delete(w.agent);
    else if (had instanceof Set) {
      had.delete(w);
      if (had.size === 0) this.waitingByAgent.delete(w.agent);
    }
  }
}

/** Zero held counts kept before they are swept (pool.releaseHeld). */
const HELD_SWEEP = 256;

/**
 * The abort watch of pool leases: each lease, when its signal aborts, goes to its own pool. One
 * scheduler shares one between its pools, so an agent that waits in two pools (a model's and the
 * tools') puts one listener on its signal, not one per pool.
 */
export function leaseWatches(): AbortWatches<PoolLease> {
  return new AbortWatches<PoolLease>((l, signal) => l.aborted(signal));
}

const asLease = (l: Lease): Lease => l;
const NO_WAITERS: readonly Waiter[] = Object.freeze([]);

function cancelled(pool: string, reason: unknown): AiosError {
  return new AiosError("E_CANCELLED", `request cancelled while waiting for pool ${pool}`, { cause: reason, details: { pool } });
}
