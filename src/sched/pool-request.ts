/**
 * One request in a slot pool (pool.ts): the policy's record of it (Waiter) and the holder's lease on
 * its slot (Lease) in one object. A request that waits holds the two functions of the promise its
 * caller awaits and the caller's wrapper of the lease, and is settled by granted() or dropped(): no
 * closure and no second object per wait, which matters when a thousand LLM runs queue for a model's
 * slots (each of their eleven slots per run would otherwise carry a lease, a preemption flag and
 * three closures that outlive the young generation while they wait).
 *
 * The lease ends exactly once — release(), or the pool dropping the request — and from then on
 * release() and yield() do nothing. Its id (`<pool>#<seq>`) and preemption flag are made only when
 * read (an event, an error, a preemption request).
 */
import { AiosError } from "../core/index.js";
import { AbortWatches, type Watched } from "./abort-watch.js";
import type { Lease, Usage } from "./lease.js";
import { PreemptionFlag } from "./preemption.js";
import type { Waiter } from "./waiter.js";

/** What a request calls back into: its pool. */
export interface RequestOwner {
  readonly name: string;
  release(r: PoolRequest, usage: Usage | undefined): void;
  yieldSlot(r: PoolRequest): Promise<void>;
  /** The request's signal aborted while it may wait: the request is cancelled if it still waits. */
  aborted(r: PoolRequest, signal: AbortSignal): void;
}

/** E_INVALID_ARG naming the request field a pool cannot order by. */
export function badArg(field: string, expected: string): AiosError {
  return new AiosError("E_INVALID_ARG", `scheduler request: ${field} must be ${expected}`, { details: { path: field } });
}

export class PoolRequest implements Waiter, Lease, Watched {
  state: Waiter["state"] = "waiting";
  gen = 0;
  grantedAt = 0;
  ownerCancels = false;
  /** The abort watch this request is in while it may wait (abort-watch.ts). */
  watch: Set<Watched> | undefined = undefined;
  /** @internal its index among its pool's running requests while it holds a slot, else -1 (pool.ts). */
  at = -1;
  private finished = false;
  private flag: PreemptionFlag | null = null;
  /** While a caller's promise waits for the grant: its functions and what it resolves with. */
  private resolveWait: ((v: unknown) => void) | undefined = undefined;
  private rejectWait: ((e: Error) => void) | undefined = undefined;
  private wrap: ((lease: Lease) => unknown) | undefined = undefined;

  constructor(
    private readonly owner: RequestOwner,
    readonly seq: number,
    readonly agent: string,
    readonly tenant: string,
    readonly basePriority: number,
    public priority: number,
    readonly onBehalfOf: number,
    readonly weight: number,
    public tokens: number,
    readonly deadline: number | undefined,
    readonly enqueuedAt: number,
    readonly preemptible: boolean,
    /** The request's abort signal, watched while the request waits. */
    readonly signal: AbortSignal | undefined,
  ) {}

  get id(): string {
    return `${this.owner.name}#${this.seq}`;
  }
  get request(): string {
    return this.id;
  }
  get pool(): string {
    return this.owner.name;
  }
  get waitedMs(): number {
    return this.grantedAt - this.enqueuedAt;
  }
  get preemption(): PreemptionFlag {
    return (this.flag ??= new PreemptionFlag());
  }
  /** Whether a higher-ranked request asked this one for its slot (without making the flag). */
  get preemptionRequested(): boolean {
    return this.flag !== null && this.flag.requested;
  }
  /** @internal granted (again): a preemption asked of its last grant no longer stands. */
  clearPreemption(): void {
    this.flag?.reset();
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
  /** @internal its signal aborted (abort-watch.ts): its pool cancels the request if it still waits. */
  aborted(signal: AbortSignal): void {
    this.owner.aborted(this, signal);
  }
  /** @internal no further release/yield; the request leaves its abort watch. */
  finish(): void {
    this.finished = true;
    AbortWatches.unwatch(this);
  }

  /**
   * @internal The promise a caller awaits while this request waits: it resolves with `wrap(this)`
   * (or nothing, without `wrap`) at granted() and rejects at dropped().
   */
  waitFor<T>(wrap: ((lease: Lease) => T) | undefined): Promise<T> {
    const p = new Promise<T>(takeSettlers);
    this.resolveWait = madeResolve;
    this.rejectWait = madeReject;
    madeResolve = madeReject = undefined;
    this.wrap = wrap;
    return p;
  }
  /** @internal granted: the waiting caller (if any) gets its lease. */
  granted(): void {
    const resolve = this.resolveWait;
    if (resolve === undefined) return;
    const wrap = this.wrap;
    this.resolveWait = this.rejectWait = this.wrap = undefined;
    resolve(wrap === undefined ? undefined : wrap(this));
  }
  /** @internal left the queue without a grant: the lease ends and the waiting caller (if any) gets `e`. */
  dropped(e: Error): void {
    this.finish();
    const reject = this.rejectWait;
    this.resolveWait = this.rejectWait = this.wrap = undefined;
    reject?.(e);
  }
}

/** The functions of the promise waitFor() is making: its executor runs synchronously, inside it. */
let madeResolve: ((v: unknown) => void) | undefined;
let madeReject: ((e: Error) => void) | undefined;

/** The one promise executor of every wait: no closure per promise. */
function takeSettlers(resolve: (v: never) => void, reject: (e: Error) => void): void {
  madeResolve = resolve as (v: unknown) => void;
  madeReject = reject;
}

/** The pool's request behind a Waiter its policy handed back. */
export function requestOf(w: Waiter): PoolRequest {
  if (!(w instanceof PoolRequest)) throw new AiosError("E_INTERNAL", `request ${w.id} is not this pool's`);
  return w;
}
