/**
 * The pools' abort bookkeeping: which waiting leases each AbortSignal would cancel. One listener per
 * signal and watch (a scheduler's pools share one: pool.ts leaseWatches), added at the signal's
 * first wait and left until the signal aborts or is collected with its agent: the kernel hands
 * every call of an agent the same signal, and an agent waits for a slot on most turns when many
 * agents share a pool, where an EventTarget add and remove per wait cost more than the rest of the
 * queueing. A lease is in its signal's set only while its request may wait (it leaves at finish),
 * so an abort cancels waiting requests and never a running one.
 *
 * Invariant: a lease is in at most one set, the one its `watch` field names.
 */

/** What the watch needs of a lease: its signal and the set it is in (owned by this file). */
export interface Watched {
  readonly signal: AbortSignal | undefined;
  watch: Set<Watched> | undefined;
}

export class AbortWatches<L extends Watched> {
  /** The entry goes with the signal (a WeakMap): an agent's ended signal frees its set. */
  private readonly bySignal = new WeakMap<AbortSignal, Set<L>>();

  /** @param onAbort called for each watched lease, in the order they were watched, when their signal aborts. */
  constructor(private readonly onAbort: (lease: L, signal: AbortSignal) => void) {}

  /** Watches `lease` under its signal until unwatch(); no-op without a signal or when already watched. */
  watch(lease: L): void {
    const signal = lease.signal;
    if (signal === undefined || lease.watch !== undefined) return;
    let set = this.bySignal.get(signal);
    if (set === undefined) {
      const leases = new Set<L>();
      set = leases;
      this.bySignal.set(signal, leases);
      signal.addEventListener("abort", () => {
        this.bySignal.delete(signal);
        for (const l of [...leases]) this.onAbort(l, signal);
      }, { once: true });
    }
    set.add(lease);
    lease.watch = set;
  }

  /** Takes `lease` out of its signal's set (it no longer waits). */
  static unwatch(lease: Watched): void {
    lease.watch?.delete(lease);
    lease.watch = undefined;
  }
}
