/**
 * A pool's lease on one slot: what `SlotPool.acquire` hands out. It ends exactly once — release(),
 * or the pool dropping its request — and from then on release() and yield() do nothing. The lease
 * and its Waiter point at each other (`waiter.holder`), so the pool finds the lease of a request it
 * pops from its policy's queue without a map.
 */
import { AiosError } from "../core/index.js";
import { AbortWatches, type Watched } from "./abort-watch.js";
import type { Lease, Usage } from "./lease.js";
import { PreemptionFlag } from "./preemption.js";
import type { Waiter } from "./waiter.js";

/** What a lease calls back into: its pool. */
export interface LeaseOwner {
  readonly name: string;
  release(lease: PoolLease, usage: Usage | undefined): void;
  yieldSlot(lease: PoolLease): Promise<void>;
  /** The lease's signal aborted while its request may wait: the request is cancelled if it still waits. */
  aborted(lease: PoolLease, signal: AbortSignal): void;
}

export class PoolLease implements Lease, Watched {
  readonly flag = new PreemptionFlag();
  /** The abort watch this lease is in while its request may wait (abort-watch.ts). */
  watch: Set<Watched> | undefined;
  /** @internal its index among its pool's running leases while it holds a slot, else -1 (pool.ts). */
  at = -1;
  private finished = false;
  private w: Waiter | undefined;

  constructor(
    private readonly owner: LeaseOwner,
    w: Waiter,
    /** The request's abort signal, watched while the request waits. */
    readonly signal: AbortSignal | undefined,
  ) {
    this.waiter = w;
  }

  get waiter(): Waiter {
    return this.w as Waiter;
  }
  set waiter(w: Waiter) {
    this.w = w;
    w.holder = this;
  }
  get request(): string {
    return this.waiter.id;
  }
  get pool(): string {
    return this.owner.name;
  }
  /** @internal its signal aborted (abort-watch.ts): its pool cancels the request if it still waits. */
  aborted(signal: AbortSignal): void {
    this.owner.aborted(this, signal);
  }
  get agent(): string {
    return this.waiter.agent;
  }
  get waitedMs(): number {
    return this.waiter.grantedAt - this.waiter.enqueuedAt;
  }
  get preemption(): PreemptionFlag {
    return this.flag;
  }
  release(usage?: Usage): void {
    if (this.finished) return;
    this.finish();
    this.owner.release(this, usage);
  }
  yield(): Promise<void> {
    if (this.finished) return Promise.resolve();
    return this.owner.yieldSlot(this);
  }
  /** @internal no further release/yield; the lease leaves its abort watch. */
  finish(): void {
    this.finished = true;
    AbortWatches.unwatch(this);
  }
}

/** The lease holding `w` (set when the pool made it). */
export function leaseOf(w: Waiter): PoolLease {
  const l = w.holder;
  if (!(l instanceof PoolLease)) throw new AiosError("E_INTERNAL", `request ${w.id} has no lease`);
  return l;
}
