/**
 * Quotas that capabilities carry as constraints: `max=N` and `tokens=N` cap the running total of
 * request amounts (a spawn counts 1, an LLM call its tokens), `rate=N/period` is a token bucket of N
 * refilled over the period. A request charges EVERY block of the chain whose capability allows it, so
 * a parent's quota bounds the sum over all tokens delegated from it. Charging is atomic: all limits
 * are checked first and only then all are debited (single-threaded, no await in between), so a
 * refused request leaves every counter unchanged. With a store, the running totals of `max` and
 * `tokens` are committed before the request goes ahead, so a restart does not give a counted
 * capability its uses back (issue #15 item 7); rate buckets refill anyway and stay in memory.
 * An agent's spec counters (`spec:<agent>/...`) end with the agent, in memory and in the store: when
 * it leaves the process table for good (`forgetAgent`), and at boot for an agent that did not come
 * back (`keepOnly`), so the store holds rows for live agents only (issue #17's bounds).
 */
import { AiosError } from "../core/index.js";
import { parseRate, type Capability } from "../capability/index.js";

export interface QuotaSlot {
  /** Stable key: `<blockId>/<capability source>`. */
  readonly key: string;
  readonly cap: Capability;
}

interface Bucket {
  level: number;
  at: number;
}

/** Where counted totals persist (the grants database: grant-store.ts). */
export interface QuotaStore {
  quotaUsed(): Map<string, number>;
  saveQuotaUsed(entries: readonly (readonly [string, number])[]): void;
  /** Deletes every persisted total whose key starts with `prefix`. */
  dropQuotaUsed(prefix: string): void;
}

const SPEC_PREFIX = "spec:";

/** The agent a spec counter belongs to (`spec:<agent>/<capability>:<k>`), or undefined for a block id's. */
function agentOfKey(key: string): string | undefined {
  if (!key.startsWith(SPEC_PREFIX)) return undefined;
  const slash = key.indexOf("/", SPEC_PREFIX.length);
  return slash < 0 ? undefined : key.slice(SPEC_PREFIX.length, slash);
}

export class QuotaLedger {
  private readonly used: Map<string, number>;
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly store?: QuotaStore) {
    this.used = store?.quotaUsed() ?? new Map<string, number>();
  }

  static hasQuota(cap: Capability): boolean {
    const c = cap.constraints;
    return c["max"] !== undefined || c["tokens"] !== undefined || c["rate"] !== undefined;
  }

  /** Debits `amount` from every slot or from none; throws E_QUOTA / E_RATE_LIMITED naming the slot. */
  charge(slots: readonly QuotaSlot[], amount: number, now: number): void {
    const bucketUpdates: [string, Bucket][] = [];
    for (const s of slots) {
      for (const k of ["max", "tokens"] as const) {
        const limit = s.cap.constraints[k];
        if (limit === undefined) continue;
        const used = this.used.get(`${s.key}:${k}`) ?? 0;
        if (used + amount > Number(limit)) {
          throw new AiosError("E_QUOTA", `quota ${k}=${limit} of ${s.cap.source} exhausted (${used} used, ${amount} asked)`, { details: { slot: s.key, constraint: k, limit: Number(limit), used } });
        }
      }
      const rate = s.cap.constraints["rate"];
      const r = rate === undefined ? undefined : parseRate(rate);
      if (r !== undefined) {
        const b = this.buckets.get(s.key) ?? { level: r.n, at: now };
        const level = Math.min(r.n, b.level + ((now - b.at) * r.n) / r.periodMs);
        if (level < amount) {
          const waitMs = Math.ceil(((amount - level) * r.periodMs) / r.n);
          throw new AiosError("E_RATE_LIMITED", `rate ${rate} of ${s.cap.source} exceeded; retry in ${waitMs} ms`, { details: { slot: s.key, retryAfterMs: waitMs } });
        }
        bucketUpdates.push([s.key, { level: level - amount, at: now }]);
      }
    }
    const totals: [string, number][] = [];
    for (const s of slots) {
      for (const k of ["max", "tokens"] as const) {
        if (s.cap.constraints[k] !== undefined) totals.push([`${s.key}:${k}`, (this.used.get(`${s.key}:${k}`) ?? 0) + amount]);
      }
    }
    // Durable first: a failed commit refuses the request and leaves every counter as it was.
    if (totals.length > 0) this.store?.saveQuotaUsed(totals);
    for (const [k, v] of totals) this.used.set(k, v);
    for (const [k, b] of bucketUpdates) this.buckets.set(k, b);
  }

  /**
   * Drops the counters of an agent that is gone for good (its spec blocks count under
   * `spec:<agent>/...`, spec-grants.ts), from memory and from the store. An ended agent never comes
   * back (the journal drops it), so its persisted totals could only pile up. The store is written
   * only when the agent had a persisted total (every one is also in memory), so the many agents
   * that never used a counted capability end without a write.
   */
  forgetAgent(agent: string): void {
    const prefix = `${SPEC_PREFIX}${agent}/`;
    let persisted = false;
    for (const k of this.used.keys()) {
      if (!k.startsWith(prefix)) continue;
      this.used.delete(k);
      persisted = true;
    }
    for (const k of this.buckets.keys()) if (k.startsWith(prefix)) this.buckets.delete(k);
    if (persisted) this.store?.dropQuotaUsed(prefix);
  }

  /**
   * At boot, once the kernel knows its agents: forgets the counters of every agent `alive` denies —
   * one that ended while still visible in the last run, or a non-durable one that did not come back.
   */
  keepOnly(alive: (agent: string) => boolean): void {
    const dead = new Set<string>();
    for (const k of this.used.keys()) {
      const agent = agentOfKey(k);
      if (agent !== undefined && !alive(agent)) dead.add(agent);
    }
    for (const agent of dead) this.forgetAgent(agent);
  }

  /** Counters held (totals and rate buckets), for the bounds tests. */
  get size(): number {
    return this.used.size + this.buckets.size;
  }

  usage(key: string, constraint: "max" | "tokens"): number {
    return this.used.get(`${key}:${constraint}`) ?? 0;
  }
}
