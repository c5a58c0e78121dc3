/**
 * Per-agent memory quotas (AgentMemAlloc / AgentMemFree). An agent is charged for the live records
 * it owns (their count, and the canonical size of each record's current content) plus the bytes it
 * reserved explicitly with alloc. Old versions are history and are not charged. Invariant: a write
 * is refused with E_QUOTA *before* anything is stored, so a refused write changes nothing.
 *
 * A write is charged to its owner AND to every agent above it that created it (`creators`, nearest
 * first; issue #15 item 7): an agent's limit bounds its whole spawn tree, so `maxRecords=10` cannot
 * be escaped by spawning children that write 10 each. The tree is the live process table's: records
 * counted at open (before agents are back) are charged to their owner only.
 */
import { AiosError } from "../core/index.js";

export interface QuotaLimits {
  readonly maxBytes?: number;
  readonly maxRecords?: number;
}

export interface QuotaUsage {
  readonly bytes: number;
  readonly records: number;
  readonly reserved: number;
  readonly maxBytes: number;
  readonly maxRecords: number;
}

export class MemoryQuotas {
  private readonly used = new Map<string, { bytes: number; records: number }>();
  private readonly reserved = new Map<string, number>();

  constructor(
    private readonly defaults: QuotaLimits = {},
    private readonly perAgent: Readonly<Record<string, QuotaLimits>> = {},
    /** Limits from elsewhere (an agent spec's `memory`), after the explicit per-agent table. */
    private readonly lookup?: (agent: string) => QuotaLimits | undefined,
    /** The agents that created `agent`, nearest first (each is charged what `agent` writes). */
    private readonly creators?: (agent: string) => readonly string[],
  ) {}

  limits(agent: string): { maxBytes: number; maxRecords: number } {
    const o = this.perAgent[agent] ?? this.lookup?.(agent) ?? {};
    return { maxBytes: o.maxBytes ?? this.defaults.maxBytes ?? Infinity, maxRecords: o.maxRecords ?? this.defaults.maxRecords ?? Infinity };
  }

  usage(agent: string): QuotaUsage {
    const u = this.used.get(agent) ?? { bytes: 0, records: 0 };
    return { ...u, reserved: this.reserved.get(agent) ?? 0, ...this.limits(agent) };
  }

  /** Throws E_QUOTA if adding dBytes / dRecords would exceed the limits of the agent or a creator above it. */
  check(agent: string, dBytes: number, dRecords: number): void {
    this.checkOne(agent, dBytes, dRecords);
    if (this.creators !== undefined && (dBytes > 0 || dRecords > 0)) for (const c of this.creators(agent)) this.checkOne(c, dBytes, dRecords);
  }

  private checkOne(agent: string, dBytes: number, dRecords: number): void {
    const u = this.usage(agent);
    if (dRecords > 0 && u.records + dRecords > u.maxRecords) {
      throw new AiosError("E_QUOTA", `agent ${agent} would hold ${u.records + dRecords} memory records; its limit is ${u.maxRecords}`, {
        details: { path: "records", agent, used: u.records, limit: u.maxRecords },
      });
    }
    if (dBytes > 0 && u.bytes + u.reserved + dBytes > u.maxBytes) {
      throw new AiosError("E_QUOTA", `agent ${agent} would use ${u.bytes + u.reserved + dBytes} memory bytes; its limit is ${u.maxBytes}`, {
        details: { path: "bytes", agent, used: u.bytes, reserved: u.reserved, limit: u.maxBytes },
      });
    }
  }

  apply(agent: string, dBytes: number, dRecords: number): void {
    this.applyOne(agent, dBytes, dRecords);
    if (this.creators !== undefined) for (const c of this.creators(agent)) this.applyOne(c, dBytes, dRecords);
  }

  private applyOne(agent: string, dBytes: number, dRecords: number): void {
    const u = this.used.get(agent) ?? { bytes: 0, records: 0 };
    // Never below zero: a creator that was not charged (records counted at open) is not refunded either.
    this.used.set(agent, { bytes: Math.max(0, u.bytes + dBytes), records: Math.max(0, u.records + dRecords) });
  }

  setReserved(agent: string, bytes: number): void {
    this.reserved.set(agent, bytes);
  }

  /** The agent's reservation after allocating `bytes` more (throws E_QUOTA when over its limit). */
  afterAlloc(agent: string, bytes: number): number {
    this.check(agent, bytes, 0);
    return (this.reserved.get(agent) ?? 0) + bytes;
  }

  /** The agent's reservation after freeing `bytes` (never below zero). */
  afterFree(agent: string, bytes: number): number {
    return Math.max(0, (this.reserved.get(agent) ?? 0) - bytes);
  }
}
