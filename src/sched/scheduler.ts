/**
 * The inference scheduler: named slot pools (one per backend), each with its own policy, plus the
 * priority-inheritance registry they share. Implements the kernel's ResourceScheduler (a slot for a
 * syscall whose definition names a pool) and offers the richer `lease()` API that providers use
 * directly (token estimates, deadlines, preemption, exact usage at release).
 *
 * Kernel-path usage: the kernel's release function takes no arguments, so a handler that learns the
 * real token count reports it with `account(agent, pool, tokens)` before returning; the release then
 * charges that instead of the estimate.
 */
import { AiosError, type Clock, type EventBus } from "../core/index.js";
import type { Caller, ResourceScheduler, SlotGrant } from "../abi/index.js";
import { parseConfig, PoolConfigSchema, type PoolConfig, type PoolConfigInput } from "./config.js";
import { Inheritance } from "./inheritance.js";
import type { Lease } from "./lease.js";
import { leaseWatches, SlotPool, type PoolStats } from "./pool.js";
import type { SchedRequest } from "./waiter.js";

export interface SchedulerOptions {
  readonly clock: Clock;
  readonly events?: EventBus;
  readonly pools?: Readonly<Record<string, PoolConfigInput>>;
  readonly defaultPool?: PoolConfigInput;
  readonly tenantWeights?: Readonly<Record<string, number>>;
  /** The share weight of a kernel caller (default: its spec's weight when visible, else 1). */
  readonly weightOf?: (caller: Caller) => number;
  /** Tokens charged for a kernel-path request whose usage is never reported (default 256). */
  readonly estimateTokens?: number;
}

export class InferenceScheduler implements ResourceScheduler {
  private readonly pools = new Map<string, SlotPool>();
  private readonly inheritance = new Inheritance();
  private readonly defaultPool: PoolConfig | undefined;
  private readonly pendingUsage = new Map<string, number>();
  private readonly weightOf: (caller: Caller) => number;
  /** One abort listener per signal for all pools (pool.ts leaseWatches). */
  private readonly aborts = leaseWatches();

  constructor(private readonly options: SchedulerOptions) {
    for (const [name, cfg] of Object.entries(options.pools ?? {})) this.addPool(name, cfg);
    this.defaultPool = options.defaultPool === undefined ? undefined : parseConfig(PoolConfigSchema, options.defaultPool, "defaultPool");
    this.weightOf = options.weightOf ?? specWeight;
  }

  addPool(name: string, cfg: PoolConfigInput): SlotPool {
    if (this.pools.has(name)) throw new AiosError("E_CONFIG", `pools.${name}: a pool with this name already exists`, { details: { path: `pools.${name}` } });
    const c = parseConfig(PoolConfigSchema, cfg, `pools.${name}`);
    const weights = this.options.tenantWeights ?? {};
    const pool = new SlotPool(
      name,
      {
        capacity: c.capacity,
        policy: c.policy,
        ...(c.agingMs === undefined ? {} : { agingMs: c.agingMs }),
        ...(c.maxQueue === undefined ? {} : { maxQueue: c.maxQueue }),
        ...(c.maxPerAgent === undefined ? {} : { maxPerAgent: c.maxPerAgent }),
        defaultTokens: c.defaultTokens ?? this.options.estimateTokens ?? 256,
        tenantWeight: (t) => weights[t] ?? 1,
      },
      this.options.clock,
      this.options.events,
      (agent) => this.inheritance.boostOf(agent),
      this.aborts,
    );
    this.pools.set(name, pool);
    return pool;
  }

  /** The named pool; pools not configured are created from `defaultPool`, else E_INVALID_ARG. */
  pool(name: string): SlotPool {
    const p = this.pools.get(name);
    if (p !== undefined) return p;
    if (this.defaultPool === undefined) {
      throw new AiosError("E_INVALID_ARG", `no scheduler pool named ${name}; configured: ${[...this.pools.keys()].join(", ") || "(none)"}`, {
        details: { path: "pool", pool: name },
      });
    }
    return this.addPool(name, this.defaultPool);
  }

  /** The rich API: waits for a slot in `pool` and returns the lease. */
  lease(pool: string, req: SchedRequest): Promise<Lease> {
    try {
      return this.pool(pool).acquire(req);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /**
   * ResourceScheduler: the kernel cancels its agent's waiting calls here, in every pool, before it
   * aborts the agent's signal (ADR 0076: its calls wait with `ownerCancels`, no listener on it).
   */
  cancelWaiting(agent: string, reason: () => unknown): void {
    for (const p of this.pools.values()) p.cancelWaiting(agent, reason);
  }

  /**
   * ResourceScheduler: the kernel's dispatcher calls this for syscalls that name a pool. A request
   * that waits for nothing (a free slot, an empty queue) is granted on the spot (SlotPool.grantIfFree).
   */
  acquire(caller: Caller, pool: string, signal: AbortSignal | undefined, options: { readonly preemptible?: boolean; readonly ownerCancels?: boolean } = {}): Promise<SlotGrant> {
    try {
      const p = this.pool(pool);
      const preemptible = options.preemptible === true;
      const ownerCancels = options.ownerCancels === true;
      // Two literals, not a spread of an optional field: a spread builds the object the slow way, per call.
      const req: SchedRequest = preemptible
        ? { agent: caller.agent, tenant: caller.tenant, priority: caller.priority, weight: this.weightOf(caller), signal, ownerCancels, preemptible: true }
        : { agent: caller.agent, tenant: caller.tenant, priority: caller.priority, weight: this.weightOf(caller), signal, ownerCancels };
      const now = p.grantIfFree(req);
      const slotOf = preemptible ? this.preemptibleSlotOf : this.slotOf;
      if (now !== undefined) return Promise.resolve(slotOf(now));
      return p.acquireAs(req, slotOf);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** The kernel's view of a granted lease: made once per scheduler, not a closure per wait. */
  private readonly slotOf = (lease: Lease): SlotGrant => new Slot(this, lease);
  private readonly preemptibleSlotOf = (lease: Lease): SlotGrant => new PreemptibleSlot(this, lease);

  /**
   * @internal a kernel-path slot ends: the usage reported on it (SlotGrant.usage) and through
   * account() is charged instead of the estimate.
   */
  releaseSlot(lease: Lease, own: number | undefined): void {
    let tokens = own;
    if (this.pendingUsage.size > 0) {
      const key = usageKey(lease.pool, lease.agent);
      const t = this.pendingUsage.get(key);
      if (t !== undefined) {
        this.pendingUsage.delete(key);
        tokens = (tokens ?? 0) + t;
      }
    }
    lease.release(tokens === undefined ? undefined : { tokens });
  }

  /** Reports the tokens a kernel-path request really used; charged when its slot is released. */
  account(agent: string, pool: string, tokens: number): void {
    checkTokens(tokens);
    const key = usageKey(pool, agent);
    this.pendingUsage.set(key, (this.pendingUsage.get(key) ?? 0) + tokens);
  }

  /**
   * Priority inheritance: agent `by`, at `priority`, waits on agent `to`; until the returned undo is
   * called, `to`'s requests (queued and future) rank at least at `priority`.
   */
  inherit(to: string, by: string, priority: number): () => void {
    const before = this.inheritance.boostOf(to);
    const undo = this.inheritance.donate(to, by, priority);
    this.boosted(to, before, by);
    return () => {
      const was = this.inheritance.boostOf(to);
      undo();
      this.boosted(to, was, by);
    };
  }

  /** A tenant's weight in the pools' fair queueing (configured `tenantWeights`, else 1). */
  tenantWeight(tenant: string): number {
    return this.options.tenantWeights?.[tenant] ?? 1;
  }

  stats(): PoolStats[] {
    return [...this.pools.values()].map((p) => p.stats());
  }

  /** Rejects all waiters with E_SHUTDOWN (kernel shutdown). */
  close(): void {
    for (const p of this.pools.values()) p.close();
  }

  private boosted(agent: string, before: number, by: string): void {
    const after = this.inheritance.boostOf(agent);
    if (after === before) return;
    for (const p of this.pools.values()) p.reprioritize(agent);
    const bus = this.options.events;
    if (bus?.wants("sched.boosted") === true) bus.emit("sched.boosted", { agent, from: before, to: after, by });
  }
}

/**
 * The kernel's view of a lease (SlotGrant). Classes rather than object literals with closures: every
 * LlmInvoke and ToolCall gets one, and a literal with a getter is built slowly, property by property.
 */
class Slot implements SlotGrant {
  /** Tokens reported on this slot, charged at its release (kept here: no keyed look-up per call). */
  private tokens: number | undefined = undefined;
  constructor(
    protected readonly owner: InferenceScheduler,
    protected readonly lease: Lease,
  ) {}
  release(): void {
    this.owner.releaseSlot(this.lease, this.tokens);
  }
  usage(tokens: number): void {
    checkTokens(tokens);
    this.tokens = (this.tokens ?? 0) + tokens;
  }
}

function checkTokens(tokens: number): void {
  if (!(tokens >= 0 && Number.isFinite(tokens))) throw new AiosError("E_INVALID_ARG", "account: tokens must be a non-negative number", { details: { path: "tokens" } });
}

class PreemptibleSlot extends Slot {
  get preemption(): { readonly requested: boolean; yield(): Promise<void> } {
    return this;
  }
  get requested(): boolean {
    return this.lease.preemption.requested;
  }
  yield(): Promise<void> {
    return this.lease.yield();
  }
}

function usageKey(pool: string, agent: string): string {
  return `${pool}\u0000${agent}`;
}

/** The kernel hands its process record as the Caller; when it carries a spec, use the spec's weight. */
export function specWeight(caller: Caller): number {
  const spec: unknown = (caller as { spec?: unknown }).spec;
  if (typeof spec === "object" && spec !== null) {
    const w: unknown = (spec as { weight?: unknown }).weight;
    if (typeof w === "number" && w > 0 && Number.isFinite(w)) return w;
  }
  return 1;
}
