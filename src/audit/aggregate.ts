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
 * Cost per call: a counter and two sums in a preallocated slot (dense typed arrays, no per-agent
 * object loaded), a comparison and, for a target other than the last, a short string hash. Memory:
 * one slot per tally, tallies kept by (agent, syscall, grant) so an agent whose lease is renewed,
 * or whose sends are checked per target, keeps one row per interval instead of one per lease or per
 * send; past a bound the idle ones are dropped at a flush.
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

/** Tallies remembered by (agent, syscall, grant) beyond their interval; idle ones past this are dropped at a flush. */
const TALLY_CACHE = 32_768;

/** Int32 cells per slot (Aggregator.cells): calls this interval, the two digest sums, the last target's hash. */
const CELLS = 4;

/**
 * One (agent, syscall, grant) key: what its packed row says about it. Its counts live in the
 * aggregator's slot `slot`, not here: with 10,000 senders a per-agent object touched per call was a
 * cold cache line per message (issue #18); the slots are dense typed arrays.
 */
export class Tally implements AuditTally {
  /** The row's opening in the packed text (packed.ts), made once per tally. */
  readonly head: string;

  constructor(
    private readonly owner: Aggregator,
    readonly slot: number,
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
    this.owner.hit(this.slot, this, target);
  }
}

export class Aggregator {
  private seq: number;
  private batch: number;
  /** Slots with traffic in the current interval, in the order they first saw it. */
  private dirty: number[] = [];
  private timer: TimerHandle | null = null;
  private from: number;
  /** Per slot: CELLS Int32 counters (count, sum, mix, last target's hash). */
  private cells = new Int32Array(CELLS * 1024);
  /** Per slot: the tally that owns it (undefined: free). */
  private readonly owners: (Tally | undefined)[] = [];
  /** Per slot: the last target counted (its hash is cached in the cells). */
  private readonly lastTo: string[] = [];
  private readonly free: number[] = [];
  /** The batch in which each slot last had traffic (a dropped tally is one idle in the last batch). */
  private lastBatch = new Int32Array(1024);
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
    if (t === undefined) {
      const gk = syscall + "\n" + by;
      let g = this.grants.get(gk);
      if (g === undefined) {
        g = new GrantRef(syscall, by);
        this.grants.set(gk, g);
      }
      t = new Tally(this, this.slot(), agent, syscall, by, g, door);
      this.owners[t.slot] = t;
      this.tallies.set(key, t);
    }
    return t;
  }

  /** Tallies with traffic in the current interval. */
  get pending(): number {
    return this.dirty.length;
  }

  /**
   * One allowed call counted in `tally`'s slot: a counter, two sums and, for a target other than
   * the slot's last, a short string hash. Call numbers are handed out at the flush (each row gets
   * the next `count` numbers), so nothing shared is written per call. A tally dropped since its
   * holder took it (or any tally not at `slot`) is counted in its key's current tally.
   */
  hit(slot: number, tally: AuditTally, target: string): void {
    if (this.owners[slot] !== tally) {
      const t = tally as Tally;
      this.tally(t.agent, t.syscall, t.by, t.door).hit(target);
      return;
    }
    const c = this.cells;
    const i = slot * CELLS;
    if (c[i] === 0) this.enlist(slot);
    (c[i] as number)++;
    let h: number;
    if (target === this.lastTo[slot]) h = c[i + 3] as number;
    else {
      h = fnv1a(target);
      this.lastTo[slot] = target;
      c[i + 3] = h;
    }
    c[i + 1] = ((c[i + 1] as number) + h) | 0;
    c[i + 2] = ((c[i + 2] as number) + Math.imul(h ^ (h >>> 15), 0x2c1b3c6d)) | 0;
  }

  /** A free slot, the arrays grown when none is. */
  private slot(): number {
    const s = this.free.pop();
    if (s !== undefined) return s;
    const n = this.owners.length;
    if ((n + 1) * CELLS > this.cells.length) {
      const cells = new Int32Array(this.cells.length * 2);
      cells.set(this.cells);
      this.cells = cells;
      const last = new Int32Array(this.lastBatch.length * 2);
      last.set(this.lastBatch);
      this.lastBatch = last;
    }
    this.owners.push(undefined);
    this.lastTo.push("");
    return n;
  }

  private enlist(slot: number): void {
    if (this.dirty.length === 0) {
      this.from = this.clock.now();
      this.timer ??= this.clock.setTimeout(() => {
        this.timer = null;
        this.flush();
      }, this.intervalMs);
    }
    this.dirty.push(slot);
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
    const slots = this.dirty;
    if (slots.length === 0) return 0;
    this.dirty = [];
    const batch = ++this.batch;
    const firstSeq = this.seq + 1;
    const c = this.cells;
    const rows: RowInput[] = new Array<RowInput>(slots.length);
    const totals = this.events?.wants("syscall.batch") === true ? new Map<string, number>() : undefined;
    for (let k = 0; k < slots.length; k++) {
      const s = slots[k] as number;
      const t = this.owners[s] as Tally;
      const i = s * CELLS;
      const n = c[i] as number;
      const first = this.seq + 1;
      this.seq += n;
      rows[k] = { agent: t.agent, syscall: t.syscall, by: t.by, count: n, first, last: this.seq, digest: hex8(c[i + 1] as number) + hex8(c[i + 2] as number), head: t.head, grant: t.grant };
      if (totals !== undefined && !t.door) totals.set(t.syscall, (totals.get(t.syscall) ?? 0) + n);
      c[i] = 0;
      c[i + 1] = 0;
      c[i + 2] = 0;
      this.lastBatch[s] = batch;
    }
    this.log.appendAll(packBatch({ batch, firstSeq, lastSeq: this.seq, from: Math.trunc(this.from), to: Math.trunc(this.clock.now()) }, rows, this.rowsPerEntry));
    // Events batched too: one per syscall and interval (the metrics count them), not one per call.
    if (totals !== undefined) for (const [name, count] of totals) this.events?.emit("syscall.batch", { name, count }, undefined, "debug");
    this.log.note(AGGREGATE_META, JSON.stringify({ seq: this.seq, batch } satisfies AggregateMark));
    this.log.commit();
    this.drop(batch);
    return slots.length;
  }

  /**
   * Past TALLY_CACHE tallies, the oldest that had no traffic in `batch` give their slots back (all
   * counters are zero right after a flush). A holder of a dropped tally is counted in a new one.
   */
  private drop(batch: number): void {
    let over = this.tallies.size - TALLY_CACHE;
    if (over <= 0) return;
    over += TALLY_CACHE >> 2;
    for (const [key, t] of this.tallies) {
      if (over <= 0) break;
      if (this.lastBatch[t.slot] === batch) continue;
      this.tallies.delete(key);
      this.owners[t.slot] = undefined;
      this.lastTo[t.slot] = "";
      this.free.push(t.slot);
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

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}
