/**
 * Capability leases: a decision the checker hands out once and the kernel reuses for every call it
 * covers (ctx.send under `agent:*#send`), without asking again, until something could change it.
 * The checker clears a lease (valid = false) when its agent's wallet changes (a token added or
 * revoked, the agent forgotten), on any revocation, and when the clock reaches the decision's
 * `until` (the first expiry or not-before among the tokens involved). Expiry is watched by one timer
 * on the injected clock for the earliest lease; when it fires it also clears leases due within the
 * next second (early, never late: a cleared lease only costs one fresh check), so a thousand
 * agents' tokens expiring at scattered times wake it at most once a second.
 * Bounded: at most LEASES_PER_WALLET leases per agent (an older one is cleared when replaced).
 * Every clearing bumps the checker's LeaseEpoch, so a holder may skip reading its lease while the
 * epoch it last saw it valid at stands (the kernel's ctx.send does, per message).
 */
import type { Clock, TimerHandle } from "../core/index.js";
import type { CapDecision, CapLease, LeaseEpoch } from "../abi/index.js";

export const LEASES_PER_WALLET = 16;
const COALESCE_MS = 1000;
const MAX_DELAY = 2 ** 31 - 1;

export class Lease implements CapLease {
  valid = true;
  constructor(
    readonly decision: CapDecision,
    readonly until: number,
  ) {}
}

/** The count of leases cleared by one checker (CapabilityChecker.leaseEpoch). */
export class Epoch implements LeaseEpoch {
  n = 0;
}

/** The leases of one wallet, keyed by request. */
export class WalletLeases {
  private readonly byKey = new Map<string, Lease>();

  constructor(private readonly epoch: Epoch) {}

  get size(): number {
    return this.byKey.size;
  }

  get(key: string): Lease | undefined {
    const l = this.byKey.get(key);
    return l?.valid === true ? l : undefined;
  }

  put(key: string, l: Lease): void {
    const old = this.byKey.get(key);
    if (old !== undefined) this.end(old);
    else if (this.byKey.size >= LEASES_PER_WALLET) this.clear();
    this.byKey.set(key, l);
  }

  clear(): void {
    for (const l of this.byKey.values()) this.end(l);
    this.byKey.clear();
  }

  /** A lease stops holding: its holders see the epoch move and read it again. */
  private end(l: Lease): void {
    l.valid = false;
    this.epoch.n++;
  }

  /** Clears leases whose decision may change at or before `t`; returns the earliest `until` left. */
  expire(t: number): number {
    let next = Infinity;
    for (const [k, l] of this.byKey) {
      if (l.until <= t) {
        this.end(l);
        this.byKey.delete(k);
      } else if (l.until < next) next = l.until;
    }
    return next;
  }
}

/** The expiry watch over every wallet's leases: one timer for the earliest. */
export class LeaseClock {
  private timer: TimerHandle | null = null;
  private at = Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly all: () => Iterable<WalletLeases>,
  ) {}

  /** A lease until `until` was handed out: make sure the timer fires by then. */
  watch(until: number): void {
    if (!Number.isFinite(until) || until >= this.at) return;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.at = until;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.min(MAX_DELAY, Math.max(0, until - this.clock.now())));
  }

  stop(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.at = Infinity;
  }

  private fire(): void {
    this.timer = null;
    this.at = Infinity;
    const horizon = this.clock.now() + COALESCE_MS;
    let next = Infinity;
    for (const w of this.all()) next = Math.min(next, w.expire(horizon));
    this.watch(next);
  }
}
