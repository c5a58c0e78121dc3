/**
 * Aggregates for high-frequency allowed calls (issue #17 item 2, ADR 0019, packed by ADR 0034). A
 * decision that matters — a denial, a tool or model call, a spawn, a grant, an operator action — is
 * its own entry. A send allowed under a grant already verified (the kernel's lease on
 * `agent:*#send`) is instead counted by a Tally (one per agent, syscall and grant), and every
 * interval the tallies with traffic are written together as one packed "aggregate" entry per
 * `rowsPerEntry` agents (packed.ts): a row per tally with its count, first and last call number and
 * the digest of its targets. One entry for 10,000 agents, not 10,000 entries: the per-entry cost
 * (redact, encode, leaf and chain hash, insert) was 29 % of the CPU of 10,000 relaying agents.
 *
 * Every allowed call gets the next number of one sequence the aggregator owns (continued across
 * restarts from the log's metadata), so a batch (one interval) covers a dense range: its rows add up
 * to (lastSeq - firstSeq + 1), and each batch starts where the one before ended. `aios audit verify`
 * checks both, so a row removed or its count edited shows as a hole even where the chain was
 * rewritten. `digest` fingerprints the multiset of targets (two 32-bit sums of FNV-1a hashes,
 * order-independent): it is not a MAC — the entry's integrity is the chain's and the signed
 * checkpoints' — but it lets a count be checked against another record of the same messages.
 *
 * Cost per call: a counter, a comparison and, for a target other than the last, a short string
 * hash. Memory: the tallies with traffic in the current interval, and a bounded cache of tallies by
 * (agent, syscall, grant) so an agent whose lease is renewed, or whose sends are checked per target,
 * keeps one row per interval instead of one per lease or per send.
 */
import { BoundedCache, type Clock, type EventBus, type TimerHandle } from "../core/index.js";
import type { AuditTally, SyscallName } from "../abi/index.js";
import type { AuditContent } from "./entry.js";
import { GrantRef, packBatch, rowHead, ROWS_PER_ENTRY, type RowInput } from "./packed.js";

/** Where aggregates go (AuditLog's appendAll and its metadata note). */
export interface AggregateLog {
  /** Buffers the entries of one batch together (no flush between them). */
  appendAll(contents: readonly AuditContent[]): void;
  /** Persisted with the next committed batch: where the aggregate sequence stands. */
  note(key: string, value: string): void;
  /**
   * Commits what was appended, synchronously: the entries of a batch and the mark after them
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

export interface AggregatorOptions {
  /** Agents (rows) per packed entry (default 1000). */
  readonly rowsPerEntry?: number;
  readonly events?: EventBus;
}

export const AGGREGATE_META = "aggregates";

/** Tallies remembered by (agent, syscall, grant) beyond their interval (bounded: core/bounded.ts). */
const TALLY_CACHE = 32_768;

export class Tally implements AuditTally {
  // Field order is memory order: what every hit touches first (one tally per sending agent, so with
  // many agents each hit loads a cold tally: the fewer cache lines it spans, the better).
  private readonly owner: Aggregator;
  n = 0;
  last = 0;
  sum = 0;
  mix = 0;
  private lastTo = "";
  private lastHash = 0;
  first = 0;
  /** The row's opening in the packed text (packed.ts), made once per tally. */
  readonly head: string;
  readonly agent: string;
  readonly syscall: SyscallName;
  readonly by: string;
  readonly grant: GrantRef;
  /** The door's tally: each call also had its own syscall.completed event (sends have none). */
  readonly door: boolean;

  constructor(owner: Aggregator, agent: string, syscall: SyscallName, by: string, grant: GrantRef, door = false) {
    this.owner = owner;
    this.door = door;
    this.head = rowHead(agent);
    this.agent = agent;
    this.syscall = syscall;
    this.by = by;
    this.grant = grant;
  }

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
  /** The last call number a written batch covers (the next batch starts after it). */
  private written: number;
  private dirty: Tally[] = [];
  private timer: TimerHandle | null = null;
  private from: number;
  private readonly tallies = new BoundedCache<string, Tally>(TALLY_CACHE);
  /** Grants interned for the tallies (a grant evicted here while a tally holds it only loses sharing). */
  private readonly grants = new BoundedCache<string, GrantRef>(TALLY_CACHE);
  private readonly rowsPerEntry: number;
  private readonly events: EventBus | undefined;

  constructor(
    private readonly log: AggregateLog,
    private readonly clock: Clock,
    private readonly intervalMs: number,
    start: AggregateMark,
    options: AggregatorOptions = {},
  ) {
    this.seq = start.seq;
    this.written = start.seq;
    this.batch = start.batch;
    this.from = clock.now();
    this.rowsPerEntry = Math.max(1, Math.trunc(options.rowsPerEntry ?? ROWS_PER_ENTRY));
    this.events = options.events;
  }

  /**
   * The counter for `agent`'s allowed calls of `syscall` under grant `by` (one per key while cached).
   * `door`: the door's tally for calls that also have their own syscall.completed event, kept by the
   * calling agent for its life: not cached here (an ended agent's tally goes with it), and left out
   * of the interval's syscall.batch event.
   */
  tally(agent: string, syscall: SyscallName, by: string, door = false): Tally {
    const key = door ? "" : agent + "\u0000" + syscall + "\u0000" + by;
    let t = door ? undefined : this.tallies.get(key);
    if (t === undefined) {
      const gk = syscall + "\n" + by;
      let g = this.grants.get(gk);
      if (g === undefined) {
        g = new GrantRef(syscall, by);
        this.grants.set(gk, g);
      }
      t = new Tally(this, agent, syscall, by, g, door);
      if (!door) this.tallies.set(key, t);
    }
    return t;
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

  /**
   * Writes the interval's tallies as one batch of packed entries (rows in the order the tallies
   * first saw traffic) and the mark after them; returns the rows written.
   */
  flush(): number {
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    const ts = this.dirty;
    if (ts.length === 0) return 0;
    this.dirty = [];
    const batch = ++this.batch;
    // Every number handed out since the last batch went to exactly one tally of this one.
    const firstSeq = this.written + 1;
    const lastSeq = this.seq;
    this.written = lastSeq;
    const rows: RowInput[] = new Array<RowInput>(ts.length);
    const totals = this.events?.wants("syscall.batch") === true ? new Map<string, number>() : undefined;
    for (let i = 0; i < ts.length; i++) {
      const t = ts[i] as Tally;
      rows[i] = { agent: t.agent, syscall: t.syscall, by: t.by, count: t.n, first: t.first, last: t.last, digest: t.digest(), head: t.head, grant: t.grant };
      if (totals !== undefined && !t.door) totals.set(t.syscall, (totals.get(t.syscall) ?? 0) + t.n);
      t.reset();
    }
    this.log.appendAll(packBatch({ batch, firstSeq, lastSeq, from: Math.trunc(this.from), to: Math.trunc(this.clock.now()) }, rows, this.rowsPerEntry));
    // Events batched too: one per syscall and interval (the metrics count them), not one per call.
    if (totals !== undefined) for (const [name, count] of totals) this.events?.emit("syscall.batch", { name, count }, undefined, "debug");
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
