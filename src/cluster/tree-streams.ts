/**
 * The per-tree streams of a cluster node's journal (docs/adr/0033): one stream of cluster_journal rows
 * per agent tree held here, keyed by the root's id, written under the tree's lease epoch and folded
 * into the store's JournalState (replay after a takeover is the same code as replay after a restart).
 *
 * A record joins the fold only once committed, so the fold never answers from a write PostgreSQL did
 * not keep. A stream PostgreSQL fenced, whose write it did not confirm (unreachable, restarting: see
 * `broke`), or whose lease was dropped is dead here: every pending and later write of it is refused,
 * and `onFenced` tells the node, which drops the lease and stops the tree locally; the tree restarts
 * from what PostgreSQL holds.
 *
 * Group commit per stream: records appended while a stream's write is in flight go out together in the
 * next statement (one transaction, seqs contiguous).
 *
 * Compaction (docs/adr/0045), between two batches of a stream: the fold of the tree's agents is written
 * at the stream's end as a snapshot — a `snapshot` row (the tree's agents and its received replayable
 * sends, which the fold does not hold) and the store's own compaction records (JournalState.toRecords)
 * — and the rows before it are deleted, in one transaction fenced by the lease epoch. It runs when a
 * stream holds at least `compactRows` rows and more than 4x what its snapshot needs, and on demand.
 */
import { AiosError, toAiosError, type AgentId } from "../core/index.js";
import type { RecoveredAgent, RecoveredState, StoredMessage } from "../abi/index.js";
import { JournalState, recoveredAgent, serialise, type JournalRecord } from "../store/index.js";
import { isFenced } from "./errors.js";
import { mergeEntry, type DirectoryEntry, type FencedJournal } from "./fenced-journal.js";
import type { Lease } from "./leases.js";
import { ReceivedCopies } from "./received-copies.js";
import { readTree, type SnapshotBody } from "./tree-reader.js";

interface Pending {
  readonly rec: JournalRecord;
  readonly body: string;
  readonly done: (e?: Error) => void;
  /** A spawn or transition record's directory entry (ADR 0041); a moved letter's cluster_mail row. */
  readonly extra?: Extra;
  /** A local letter whose recipient's waiting cross-node mail was already made way for (docs/adr/0073). */
  madeWay?: true;
}

/** Written with a record in the same statement (fenced-journal.ts AppendExtra). */
export interface Extra {
  readonly agent?: DirectoryEntry;
  readonly taken?: number;
}

/** A caller of compact() waiting for the stream's next compaction. */
interface CompactWaiter {
  readonly resolve: (deleted: number) => void;
  readonly reject: (e: Error) => void;
}

/** One agent tree's journal as this node holds it. */
export interface Stream {
  readonly key: string;
  readonly epoch: number;
  nextSeq: number;
  /** The first seq present in cluster_journal (1, or the last snapshot's row). */
  base: number;
  /** Rows (nextSeq - base) at which the automatic compaction looks again. */
  checkAt: number;
  /** The automatic threshold was crossed by the last batch: compact before the next one. */
  compactDue: boolean;
  compactWaiters: CompactWaiter[];
  queue: Pending[];
  writing: Promise<void> | undefined;
  /** The last record appended (its append's promise): what `committed` waits for. */
  last: Promise<void>;
  /** Set once a write was lost (fenced, not confirmed) or the lease was dropped: nothing more is written. */
  dead: AiosError | undefined;
  readonly agents: Set<string>;
  /** Replayable sends (`from/cause/nth`) its agents received, oldest first (received-copies.ts). */
  readonly copies: Set<string>;
}

/** Rows a stream holds before the automatic compaction considers it (when not configured). */
export const COMPACT_ROWS = 10_000;

export const ignore = (): void => undefined;

/** A replayable send's identity (`from/cause/nth`, ADR 0016), for an enqueue record that is one. */
export function copyOf(rec: JournalRecord): string | undefined {
  return rec.t === "enqueue" && rec.from !== undefined && rec.cause !== undefined && rec.nth !== undefined ? `${rec.from}/${rec.cause}/${rec.nth}` : undefined;
}

export class TreeStreams {
  /** The fold of every agent this node holds (all its streams). */
  readonly state = new JournalState();
  private readonly streams = new Map<string, Stream>();
  private readonly streamOf = new Map<string, Stream>();
  /** Replayable sends received by agents held here (received-copies.ts). */
  private readonly copies = new ReceivedCopies<Stream>();

  constructor(
    private readonly journal: FencedJournal,
    /** PostgreSQL refused (or did not confirm) a write of stream `key`: the node drops the lease, stops the tree. */
    private readonly onFenced: (key: string, epoch: number) => void,
    /** Rows a stream holds before the automatic compaction considers it; 0 turns it off. */
    private readonly compactRows = COMPACT_ROWS,
    /**
     * Letters wait in cluster_mail for `agents`, recipients of local letters about to be written
     * (docs/adr/0073): resolves once a pull that read cluster_mail after this call queued its moves
     * (never after they commit: the stream's pump is waiting). Absent: local letters are not held back.
     */
    private readonly makeWay?: (agents: readonly string[]) => Promise<void>,
  ) {}

  /** Stream keys (tree roots) held here. */
  held(): string[] {
    return [...this.streams.keys()];
  }

  /** Agents held here (in any stream). */
  agents(): string[] {
    return [...this.streamOf.keys()];
  }

  /** The stream holding `agent` here, dead or alive; undefined when this node does not hold it. */
  of(agent: string): Stream | undefined {
    return this.streamOf.get(agent);
  }

  /** The stream holding `agent` here, alive; undefined when not held or fenced. */
  live(agent: string): Stream | undefined {
    const s = this.streamOf.get(agent);
    return s === undefined || s.dead !== undefined ? undefined : s;
  }

  /** A replayable send received here (committed), or being written here now (`pending`). */
  hasCopy(copy: string): boolean {
    return this.copies.has(copy);
  }

  pendingCopy(copy: string): boolean {
    return this.copies.writing(copy);
  }

  /**
   * Takes over a tree's stream under `lease`: reads every committed row (the lease was committed
   * before, so every acknowledged write of the previous owner is visible), folds it, and returns what
   * the kernel adopts. The agents it names are this stream's from now on.
   */
  async load(lease: Pick<Lease, "agent" | "epoch">): Promise<RecoveredState> {
    const key = lease.agent;
    const old = this.streams.get(key);
    if (old !== undefined) this.drop(key, "reloaded");
    const { recs, snapshot, next, base } = await readTree(this.journal, key);
    const s = this.open(key, lease.epoch, next, base);
    for (const a of snapshot?.agents ?? []) this.adopt(s, a);
    for (const c of snapshot?.copies ?? []) this.copies.note(s, c);
    for (const { rec, folded } of recs) {
      if (rec.t === "spawn" || rec.t === "checkpoint") this.adopt(s, rec.agent);
      // The snapshot's records are the fold already (their copies are in the snapshot row).
      if (folded) this.state.apply(rec);
      else this.applied(s, rec);
    }
    return this.recovered(s);
  }

  /** A new stream for tree `key` under `epoch`, its next row at `nextSeq`, its first at `base`. */
  open(key: string, epoch: number, nextSeq = 1, base = 1): Stream {
    const s: Stream = {
      key, epoch, nextSeq, base, checkAt: this.compactRows, compactDue: false, compactWaiters: [],
      queue: [], writing: undefined, last: Promise.resolve(), dead: undefined, agents: new Set(), copies: new Set(),
    };
    this.streams.set(key, s);
    return s;
  }

  /** `agent` belongs to stream `s` from now on. */
  adopt(s: Stream, agent: string): void {
    s.agents.add(agent);
    this.streamOf.set(agent, s);
  }

  /** Forgets a stream here (its lease is gone): pending writes are refused, its agents leave the fold. */
  drop(key: string, why: string): string[] {
    const s = this.streams.get(key);
    if (s === undefined) return [];
    this.streams.delete(key);
    s.dead ??= new AiosError("E_CONFLICT", `the journal of tree ${key} is no longer held by this node (${why})`, { retryable: false, details: { agent: key, epoch: s.epoch, reason: "fenced" } });
    this.refusePending(s, s.dead);
    for (const a of s.agents) {
      if (this.streamOf.get(a) === s) this.streamOf.delete(a);
      this.state.agents.delete(a);
    }
    this.copies.forget(s);
    return [...s.agents];
  }

  /** Folds a committed (or loaded) record of `s`, noting a replayable send its agent received. */
  private applied(s: Stream, rec: JournalRecord): void {
    this.state.apply(rec);
    const copy = copyOf(rec);
    if (copy !== undefined) this.copies.note(s, copy);
  }

  private recovered(s: Stream): RecoveredState {
    const agents: RecoveredAgent[] = [];
    const mailboxes = new Map<AgentId, StoredMessage[]>();
    for (const name of s.agents) {
      const a = this.state.agents.get(name);
      if (a === undefined) continue; // ended
      const { agent, mail } = recoveredAgent(a);
      agents.push(agent);
      if (mail.length > 0) mailboxes.set(agent.id, mail);
    }
    return { agents, mailboxes, report: [] };
  }

  /** The stream holding `agent`, or E_CONFLICT (fenced) naming `what` when its lease is elsewhere. */
  stream(agent: string, what: string): Stream {
    const s = this.streamOf.get(agent);
    if (s !== undefined) return s;
    throw new AiosError("E_CONFLICT", `${what}: agent ${agent} is not held by this node (its lease is elsewhere)`, { retryable: false, details: { agent, reason: "fenced" } });
  }

  /**
   * Appends `rec` to the stream holding `agent`; refused (E_CONFLICT naming `what`) when none here
   * does. `throwUnencodable`: a record JSON cannot hold throws in the caller's turn instead of
   * rejecting (a checkpoint: KernelJournal.handled).
   */
  write(agent: string, what: string, rec: JournalRecord, extra?: Extra, throwUnencodable = false): Promise<void> {
    let s: Stream;
    try {
      s = this.stream(agent, what);
    } catch (e) {
      return Promise.reject(toAiosError(e));
    }
    return this.append(s, rec, extra, throwUnencodable);
  }

  /** Appends `rec` to `s`; resolves once PostgreSQL committed it (and it joined the fold). */
  append(s: Stream, rec: JournalRecord, extra?: Extra, throwUnencodable = false): Promise<void> {
    if (s.dead !== undefined) return Promise.reject(s.dead);
    let body: string;
    try {
      body = serialise(rec);
    } catch (e) {
      if (throwUnencodable) throw toAiosError(e);
      return Promise.reject(toAiosError(e));
    }
    const copy = copyOf(rec);
    if (copy !== undefined) this.copies.begin(copy);
    const appended = new Promise<void>((resolve, reject) => {
      const done = (e?: Error): void => {
        if (copy !== undefined) this.copies.end(copy);
        if (e === undefined) resolve();
        else reject(e);
      };
      s.queue.push({ rec, body, done, ...(extra === undefined ? {} : { extra }) });
      if (s.writing === undefined) s.writing = this.pump(s);
    });
    s.last = appended;
    return appended;
  }

  /**
   * Resolves once every record appended to `s` so far is committed (batches of a stream commit in
   * order, so the last one's answer covers the rest); rejects when the stream lost a write meanwhile.
   * The output commit of a reply sent to another node (mail-intake.ts).
   */
  committed(s: Stream): Promise<void> {
    return s.last.then(() => {
      if (s.dead !== undefined) throw s.dead;
    });
  }

  /** Writes the stream's queue, batch after batch, compacting between batches when due or asked. */
  private async pump(s: Stream): Promise<void> {
    // Let the records of this tick join the first batch.
    await Promise.resolve();
    while (s.dead === undefined) {
      if (s.compactDue || s.compactWaiters.length > 0) await this.compactNow(s);
      else if (s.queue.length > 0) await this.writeBatch(s);
      else break;
    }
    s.writing = undefined;
  }

  /**
   * Stream `s` lost a write: refused by the fence (a newer owner), or not confirmed by PostgreSQL
   * (docs/adr/0044). An unconfirmed write used to fail alone while later ones went on at the same seq,
   * so the journal could lack a record the kernel had acted on: a `handled` (after a takeover its
   * letter was delivered again on top of a later checkpoint that already held it: handled twice, its
   * call run again under the next call number, so under another idempotency key), an `intent` (the
   * retried call took the next call number: one effect under two keys after a takeover), or the write
   * whose failure crashed an agent that a later write journaled as failed for good. Now the stream is
   * dead from its first lost write: nothing later is written, and `onFenced` has the node drop the
   * tree's lease and stop the tree without journaling; the tree restarts from what PostgreSQL holds, on
   * this node or another, as after a crash of this node. Idempotent.
   */
  broke(s: Stream, cause: AiosError): void {
    if (s.dead !== undefined) return;
    s.dead = isFenced(cause) || cause.details["reason"] === "seq" ? cause
      : new AiosError("E_CONFLICT", `the journal of tree ${s.key} lost a write (${cause.message}); the tree restarts from PostgreSQL`, {
        cause, retryable: false, details: { agent: s.key, epoch: s.epoch, reason: "fenced", lost: cause.code },
      });
    this.refusePending(s, s.dead);
    this.onFenced(s.key, s.epoch);
  }

  /** A dead stream's queued writes and waiting compactions all fail with `dead`. */
  private refusePending(s: Stream, dead: AiosError): void {
    const queued = s.queue;
    s.queue = [];
    for (const p of queued) p.done(dead);
    this.settleCompaction(s, dead);
  }

  private async writeBatch(s: Stream): Promise<void> {
    // A letter moved from cluster_mail after a record of another kind starts the next batch: the
    // kernel gets a moved letter sooner after its commit than a local one (mail-intake.ts), so in
    // one batch it could overtake a local letter journaled before it; its mailbox must keep journal order.
    const cut = s.queue.findIndex((p, i) => i > 0 && p.extra?.taken !== undefined && s.queue[i - 1]?.extra?.taken === undefined);
    const batch = cut < 0 ? s.queue : s.queue.slice(0, cut);
    s.queue = cut < 0 ? [] : s.queue.slice(cut);
    const from = s.nextSeq;
    // One directory entry per agent (an upsert may not touch a row twice): the last status wins.
    const agents = new Map<string, DirectoryEntry>();
    const taken: number[] = [];
    const mailFirst = new Set<string>();
    for (const p of batch) {
      const d = p.extra?.agent;
      if (d !== undefined) agents.set(d.agent, mergeEntry(agents.get(d.agent), d));
      if (p.extra?.taken !== undefined) taken.push(p.extra.taken);
      else if (p.rec.t === "enqueue" && p.madeWay !== true && this.makeWay !== undefined) mailFirst.add(p.rec.to);
    }
    const first = [...mailFirst];
    let written: boolean;
    try {
      written = await this.journal.append({ agent: s.key, epoch: s.epoch }, from, batch.map((p) => ({ kind: p.rec.t, body: p.body })), { agents: [...agents.values()], taken, mailFirst: first });
    } catch (e) {
      // Fenced, a seq already taken, or not confirmed (PostgreSQL unreachable, or the commit's answer
      // lost): the batch fails and the stream is dead here (see `broke`).
      const err = toAiosError(e);
      this.broke(s, err);
      for (const p of batch) p.done(err);
      return;
    }
    if (!written) return this.moveFirst(s, batch, first);
    s.nextSeq = from + batch.length;
    for (const p of batch) {
      this.applied(s, p.rec);
      p.done();
    }
    if (this.compactRows > 0 && s.nextSeq - s.base >= s.checkAt) s.compactDue = true;
  }

  /**
   * Cross-node mail first (docs/adr/0073): `batch` held a local letter for an agent that cluster_mail
   * holds a letter for, stored before this write began, so possibly acknowledged before the local
   * letter was sent. The batch goes back to the head of the queue, marked so it is not held again; a
   * pull moves the waiting letters, and the letters it moved go ahead of every local record not yet
   * written. A letter the pull leaves waiting (a full mailbox, a copy being written) does not hold
   * the batch a second time.
   */
  private async moveFirst(s: Stream, batch: Pending[], agents: readonly string[]): Promise<void> {
    for (const p of batch) p.madeWay = true;
    s.queue = [...batch, ...s.queue];
    await this.makeWay?.(agents).catch(ignore);
    const moved = s.queue.filter((p) => p.extra?.taken !== undefined);
    if (moved.length > 0) s.queue = [...moved, ...s.queue.filter((p) => p.extra?.taken === undefined)];
  }

  /**
   * Compacts stream `key` now (between two of its batches): resolves with the rows deleted. Refused
   * (E_CONFLICT, fenced) when this node does not hold the tree or its lease moved on.
   */
  compact(key: string): Promise<number> {
    const s = this.streams.get(key);
    if (s === undefined) return Promise.reject(new AiosError("E_CONFLICT", `compacting ${key}: its tree is not held by this node`, { retryable: false, details: { agent: key, reason: "fenced" } }));
    if (s.dead !== undefined) return Promise.reject(s.dead);
    return new Promise<number>((resolve, reject) => {
      s.compactWaiters.push({ resolve, reject });
      if (s.writing === undefined) s.writing = this.pump(s);
    });
  }

  private settleCompaction(s: Stream, outcome: Error | number, waiters = s.compactWaiters): void {
    if (waiters === s.compactWaiters) s.compactWaiters = [];
    for (const w of waiters) {
      if (typeof outcome === "number") w.resolve(outcome);
      else w.reject(outcome);
    }
  }

  private async compactNow(s: Stream): Promise<void> {
    // Callers asking from now on wait for the next compaction (it includes their writes).
    const waiters = s.compactWaiters;
    s.compactWaiters = [];
    const asked = waiters.length > 0;
    s.compactDue = false;
    const rows = s.nextSeq - s.base;
    const records = this.state.toRecords(s.agents);
    const wanted = Math.max(this.compactRows, 4 * (records.length + 1));
    if (!asked && rows < wanted) {
      s.checkAt = wanted;
      return;
    }
    const body = JSON.stringify({ rows: records.length, agents: [...s.agents], copies: [...s.copies] } satisfies SnapshotBody);
    const entries = [{ kind: "snapshot", body }, ...records.map((r) => ({ kind: r.t, body: serialise(r) }))];
    const base = s.nextSeq;
    let deleted: number;
    try {
      deleted = await this.journal.compact({ agent: s.key, epoch: s.epoch }, base, entries);
    } catch (e) {
      // Fenced or not confirmed: the stream is dead, as for a lost batch (`broke`); its callers fail.
      const err = toAiosError(e);
      this.settleCompaction(s, err, waiters);
      this.broke(s, err);
      return;
    }
    s.base = base;
    s.nextSeq = base + entries.length;
    s.checkAt = Math.max(this.compactRows, 4 * entries.length);
    this.settleCompaction(s, deleted, waiters);
  }

  /** Resolves once every write queued so far was answered by PostgreSQL. */
  async flush(): Promise<void> {
    for (;;) {
      const busy = [...this.streams.values()].map((s) => s.writing).filter((w): w is Promise<void> => w !== undefined);
      if (busy.length === 0) return;
      await Promise.all(busy.map((w) => w.catch(ignore)));
    }
  }
}
