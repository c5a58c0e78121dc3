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
 * Every allowed call gets a number of one sequence the aggregator owns (continued across restarts
 * from the log's metadata), handed out at the flush: each row the next `count` numbers, so a batch
 * (one interval) covers a dense range — its rows add up to (lastSeq - firstSeq + 1) — and each batch
 * starts where the one before ended. `aios audit verify`
 * checks both, so a row removed or its count edited shows as a hole even where the chain was
 * rewritten. `digest` fingerprints the multiset of targets (two 32-bit sums of FNV-1a hashes,
 * order-independent): it is not a MAC — the entry's integrity is the chain's and the signed
 * checkpoints' — but it lets a count be checked against another record of the same messages.
 *
 * Cost per call: a short string hash, a counter and two sums (abi countTarget). A tally counts in
 * its own fields, or in counts its caller keeps where its hot path already is (the kernel's Proc
 * for sends, AuditSink.enlist): with 10,000 senders, any per-agent state of the aggregator's own
 * touched per call was a cold cache line per message (issue #18), and so was a slot of dense arrays
 * indexed by agent. The first call of an interval enlists the tally (and the counts it is kept in);
 * the flush reads and clears them. Memory: tallies kept by (agent, syscall, grant) so an agent whose
 * lease is renewed, or whose sends are checked per target, keeps one row per interval instead of one
 * per lease or per send; past a bound the idle ones are dropped at a flush (a dropped tally still
 * held by a caller is counted under its own key, and kept again if no other tally took the key).
 */
import { BoundedCache, type Clock, type EventBus, type TimerHandle } from "../core/index.js";
import { countTarget, type AuditTally, type SyscallName, type TallyCounts } from "../abi/index.js";
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

/** Tallies remembered by (agent, syscall, grant) beyond their interval; idle ones past this are dropped at a flush. */
const TALLY_CACHE = 32_768;

/**
 * One (agent, syscall, grant) key: what its packed row says about it, and its counts for the
 * interval — in its own fields, or in the `holder` a caller enlisted it with.
 */
export class Tally implements AuditTally, TallyCounts {
  /** The row's opening in the packed text (packed.ts), made once per tally. */
  readonly head: string;
  tallyCount = 0;
  tallySum = 0;
  tallyMix = 0;
  /** Where this interval's calls are counted besides its own fields (itself: nowhere else). */
  holder: TallyCounts = this;
  /** Enlisted for the current interval. */
  dirty = false;
  /** The batch in which it last had traffic (a dropped tally is one idle in the last batch). */
  lastBatch = 0;
  /** Its agent ended (Aggregator.retire): forgotten once no interval still owes its counts. */
  retired = false;

  constructor(
    private readonly owner: Aggregator,
    readonly key: string,
    readonly agent: string,
    readonly syscall: SyscallName,
    readonly by: string,
    readonly grant: GrantRef,
    /** The door's tally: each call also had its own syscall.completed event (sends have none). */
    readonly door: boolean,
  ) {
    this.head = rowHead(agent);
  }

  hit(target: string): void {
    if (countTarget(this, target)) this.owner.enlist(this, this);
  }
}

/** Moves `from`'s counts into `to` and clears them. */
function moveCounts(from: TallyCounts, to: TallyCounts): void {
  to.tallyCount += from.tallyCount;
  to.tallySum = (to.tallySum + from.tallySum) | 0;
  to.tallyMix = (to.tallyMix + from.tallyMix) | 0;
  from.tallyCount = 0;
  from.tallySum = 0;
  from.tallyMix = 0;
}

/** The counts kept for `t` by a caller move into its own fields. */
function gather(t: Tally): void {
  if (t.holder !== t) moveCounts(t.holder, t);
}

export class Aggregator {
  private seq: number;
  private batch: number;
  /** Tallies with traffic in the current interval, in the order they first saw it. */
  private dirty: Tally[] = [];
  private timer: TimerHandle | null = null;
  private from: number;
  private readonly tallies = new Map<string, Tally>();
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
    this.batch = start.batch;
    this.from = clock.now();
    this.rowsPerEntry = Math.max(1, Math.trunc(options.rowsPerEntry ?? ROWS_PER_ENTRY));
    this.events = options.events;
  }

  /**
   * The counter for `agent`'s allowed calls of `syscall` under grant `by` (one per key while kept).
   * `door`: the door's tally for calls that also have their own syscall.completed event (kept by the
   * calling agent; a key of its own), left out of the interval's syscall.batch event.
   */
  tally(agent: string, syscall: SyscallName, by: string, door = false): Tally {
    const key = (door ? "door\u0000" : "") + agent + "\u0000" + syscall + "\u0000" + by;
    let t = this.tallies.get(key);
    // A retired tally asked for again: its agent came back (a restart keeps the id) before the flush.
    if (t !== undefined) t.retired = false;
    else {
      const gk = syscall + "\n" + by;
      let g = this.grants.get(gk);
      if (g === undefined) {
        g = new GrantRef(syscall, by);
        this.grants.set(gk, g);
      }
      t = new Tally(this, key, agent, syscall, by, g, door);
      this.tallies.set(key, t);
    }
    return t;
  }

  /**
   * `counts` took `tally`'s first call of the interval (AuditSink.enlist): the flush reads them. Counts
   * the tally was kept in elsewhere before (another holder: its agent restarted) move into the tally.
   */
  enlist(tally: AuditTally, counts: TallyCounts): void {
    const t = tally as Tally;
    if (t.holder !== counts) {
      gather(t);
      t.holder = counts;
    }
    if (t.dirty) return;
    t.dirty = true;
    if (this.dirty.length === 0) {
      this.from = this.clock.now();
      this.timer ??= this.clock.setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.intervalMs);
    }
    this.dirty.push(t);
    // Dropped while its caller held it: kept again, unless another tally took its key meanwhile.
    if (!this.tallies.has(t.key)) this.tallies.set(t.key, t);
  }

  /** The caller stops counting `tally` in `counts`: what they hold moves into the tally. */
  release(tally: AuditTally, counts: TallyCounts): void {
    const t = tally as Tally;
    if (counts === t) return;
    if (counts.tallyCount > 0) {
      moveCounts(counts, t);
      if (!t.dirty) this.enlist(t, t);
    }
    if (t.holder === counts) t.holder = t;
  }

  /**
   * The agent that kept `tally` ended (after release() of counts it held): forgotten now if no
   * interval owes its counts, else by the flush that writes them. Until then it stays, so a restarted
   * agent of the same id counts under the same row; a late call of the ended one keeps it one interval
   * more. Without this, the tallies of short-lived agents stayed until TALLY_CACHE pushed them out.
   */
  retire(tally: AuditTally): void {
    const t = tally as Tally;
    t.retired = true;
    if (!t.dirty) this.forget(t);
  }

  private forget(t: Tally): void {
    if (this.tallies.get(t.key) === t) this.tallies.delete(t.key);
  }

  /** Tallies remembered (live agents' and those whose counts an interval still owes). */
  get kept(): number {
    return this.tallies.size;
  }

  /** Tallies with traffic in the current interval. */
  get pending(): number {
    return this.dirty.length;
  }

  /**
   * Writes the interval's tallies as one batch of packed entries (rows in the order the tallies
   * first saw traffic) and the mark after them; returns the rows written. Each row gets the next
   * `count` call numbers, so the batch covers a dense range and every row exactly its count.
   */
  flush(): number {
    if (this.timer !== null) {
      this.clock.clearTimeout(this.timer);
      this.timer = null;
    }
    const dirty = this.dirty;
    if (dirty.length === 0) return 0;
    this.dirty = [];
    const batch = this.batch + 1;
    const firstSeq = this.seq + 1;
    const rows: RowInput[] = [];
    const totals = this.events?.wants("syscall.batch") === true ? new Map<string, number>() : undefined;
    for (const t of dirty) {
      gather(t);
      t.holder = t;
      t.dirty = false;
      t.lastBatch = batch;
      if (t.retired) this.forget(t);
      const n = t.tallyCount;
      const digest = hex8(t.tallySum) + hex8(t.tallyMix);
      t.tallyCount = 0;
      t.tallySum = 0;
      t.tallyMix = 0;
      if (n === 0) continue;
      const first = this.seq + 1;
      this.seq += n;
      rows.push({ agent: t.agent, syscall: t.syscall, by: t.by, count: n, first, last: this.seq, digest, head: t.head, grant: t.grant });
      if (totals !== undefined && !t.door) totals.set(t.syscall, (totals.get(t.syscall) ?? 0) + n);
    }
    // Every enlisted tally has a call (enlist follows a count); none left: no batch.
    if (rows.length === 0) return 0;
    this.batch = batch;
    this.log.appendAll(packBatch({ batch, firstSeq, lastSeq: this.seq, from: Math.trunc(this.from), to: Math.trunc(this.clock.now()) }, rows, this.rowsPerEntry));
    // Events batched too: one per syscall and interval (the metrics count them), not one per call.
    if (totals !== undefined) for (const [name, count] of totals) this.events?.emit("syscall.batch", { name, count }, undefined, "debug");
    this.log.note(AGGREGATE_META, JSON.stringify({ seq: this.seq, batch } satisfies AggregateMark));
    this.log.commit();
    this.drop(batch);
    return rows.length;
  }

  /**
   * Past TALLY_CACHE tallies, the oldest that had no traffic in `batch` are forgotten (their counts
   * are zero right after a flush). A caller still holding one counts under its own key (enlist).
   */
  private drop(batch: number): void {
    let over = this.tallies.size - TALLY_CACHE;
    if (over <= 0) return;
    over += TALLY_CACHE >> 2;
    for (const [key, t] of this.tallies) {
      if (over <= 0) break;
      if (t.lastBatch === batch || t.dirty) continue;
      this.tallies.delete(key);
      over--;
    }
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

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}
