/**
 * Aggregates for high-frequency allowed calls (issue #17 item 2, ADR 0019). A decision that matters
 * — a denial, a tool or model call, a spawn, a grant, an operator action — is its own entry. A send
 * allowed under a grant already verified (the kernel's lease on `agent:*#send`) is instead counted
 * by a Tally the kernel holds per agent and grant, and written once per interval as one "aggregate"
 * entry per tally that saw traffic:
 *
 *   { syscall, decision: "allowed", by, count, firstSeq, lastSeq, batch, from, to, digest }
 *
 * Every allowed call gets the next number of one sequence the aggregator owns (continued across
 * restarts from the log's metadata), so the aggregates of one batch (one interval) cover a dense
 * range: their counts add up to (largest lastSeq - smallest firstSeq + 1), and each batch starts
 * where the one before ended. `aios audit verify` checks both, so an aggregate removed or its count
 * edited shows as a hole even where the chain was rewritten. `digest` fingerprints the multiset of
 * targets (two 32-bit sums of FNV-1a hashes, order-independent): it is not a MAC — the entry's
 * integrity is the chain's and the signed checkpoints' — but it lets a count be checked against
 * another record of the same messages (a durable recipient's journal).
 *
 * Cost per call: a counter, a comparison and, for a target other than the last, a short string
 * hash. Memory: the tallies with traffic in the current interval (at most one per sending agent and
 * grant); a tally of an ended agent is dropped with its process.
 */
import type { Clock, EventBus, TimerHandle } from "../core/index.js";
import type { AuditTally, SyscallName } from "../abi/index.js";
import type { AuditContent } from "./entry.js";

/** Where aggregates go (AuditLog's append and its metadata note). */
export interface AggregateLog {
  append(content: AuditContent): void;
  /** Persisted with the next committed batch: where the aggregate sequence stands. */
  note(key: string, value: string): void;
  /**
   * Commits what was appended, synchronously: the aggregates of a batch and the mark after them
   * reach the database with no turn of the event loop between, so a killed process leaves either
   * the whole batch or none of it (never a hole the verifier would call tampering).
   */
  commit(): void;
}

export interface AggregateMark {
  /** Last sequence number handed out. */
  readonly seq: number;
  /** Last batch written. */
  readonly batch: number;
}

export const AGGREGATE_META = "aggregates";

export class Tally implements AuditTally {
  n = 0;
  first = 0;
  last = 0;
  sum = 0;
  mix = 0;
  private lastTo = "";
  private lastHash = 0;

  constructor(
    private readonly owner: Aggregator,
    readonly agent: string,
    readonly syscall: SyscallName,
    readonly by: string,
  ) {}

  hit(target: string): void {
    const s = this.owner.next();
    if (this.n++ === 0) {
      this.first = s;
      this.owner.enlist(this);
    }
    this.last = s;
    let h = this.lastHash;
    if (target !== this.lastTo) {
      h = fnv1a(target);
      this.lastTo = target;
      this.lastHash = h;
    }
    this.sum = (this.sum + h) | 0;
    this.mix = (this.mix + Math.imul(h ^ (h >>> 15), 0x2c1b3c6d)) | 0;
  }

  /** The digest of the targets counted since the last reset. */
  digest(): string {
    return hex8(this.sum) + hex8(this.mix);
  }

  reset(): void {
    this.n = 0;
    this.sum = 0;
    this.mix = 0;
  }
}

export class Aggregator {
  private seq: number;
  private batch: number;
  private dirty: Tally[] = [];
  private timer: TimerHandle | null = null;
  private from: number;

  constructor(
    private readonly log: AggregateLog,
    private readonly clock: Clock,
    private readonly intervalMs: number,
    start: AggregateMark,
    private readonly events?: EventBus,
  ) {
    this.seq = start.seq;
    this.batch = start.batch;
    this.from = clock.now();
  }

  tally(agent: string, syscall: SyscallName, by: string): Tally {
    return new Tally(this, agent, syscall, by);
  }

  /** Tallies with traffic in the current interval. */
  get pending(): number {
    return this.dirty.length;
  }

  /** @internal the next sequence number (Tally.hit). */
  next(): number {
    return ++this.seq;
  }

  /** @internal a tally's first call in this interval. */
  enlist(t: Tally): void {
    if (this.dirty.length === 0) {
      this.from = this.clock.now();
      this.timer ??= this.clock.setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.intervalMs);
    }
    this.dirty.push(t);
  }

  /** Writes one aggregate per tally with traffic, in lastSeq order (the batch's last entry ends it). */
  flush(): number {
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    const ts = this.dirty;
    if (ts.length === 0) return 0;
    this.dirty = [];
    ts.sort((a, b) => a.last - b.last);
    const batch = ++this.batch;
    const to = this.clock.now();
    const batched = this.events?.wants("syscall.batch") === true;
    for (const t of ts) {
      this.log.append({
        kind: "aggregate",
        agent: t.agent,
        // Keys in canonical (sorted) order: the entry is encoded without a sort (core/canonical.ts).
        data: { batch, by: t.by, count: t.n, decision: "allowed", digest: t.digest(), firstSeq: t.first, from: Math.trunc(this.from), lastSeq: t.last, syscall: t.syscall, to: Math.trunc(to) },
      });
      // Events batched too: one per agent and interval instead of one per call.
      if (batched) this.events?.emit("syscall.batch", { name: t.syscall, count: t.n }, t.agent as never, "debug");
      t.reset();
    }
    this.log.note(AGGREGATE_META, JSON.stringify({ seq: this.seq, batch } satisfies AggregateMark));
    this.log.commit();
    return ts.length;
  }
}

/** Reads the mark the log's metadata holds (a fresh log: nothing handed out yet). */
export function parseMark(raw: string | undefined): AggregateMark {
  if (raw === undefined) return { seq: 0, batch: 0 };
  try {
    const v = JSON.parse(raw) as { seq?: unknown; batch?: unknown };
    if (typeof v.seq === "number" && typeof v.batch === "number") return { seq: v.seq, batch: v.batch };
  } catch {
    // fall through: a damaged mark restarts the numbering, which verify reports as a break
  }
  return { seq: 0, batch: 0 };
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}
