/**
 * The kernel's journal on a cluster node (docs/adr/0033): KernelJournal and SyscallJournal over the
 * fenced per-agent journal in PostgreSQL (fenced-journal.ts). The unit of ownership is an agent
 * tree: a root agent and everything spawned under it share one stream of cluster_journal rows, keyed
 * by the root's id, under one lease — the kernel wakes, runs and supervises a tree as a unit, so a
 * supervisor and its children are never split across nodes.
 *
 * Rows hold the store's own journal records (store/records.ts), so the fold is the store's
 * JournalState: replay after a takeover is the same code as replay after a restart. Every record is
 * written under the stream's lease epoch; PostgreSQL's fence refuses it when a newer epoch exists, and
 * then the stream is dead here: every pending and later write of it is refused, and `onFenced` tells
 * the node, which stops the tree locally. A record joins the fold only once committed, so `lookup`
 * and `sent` never answer from a write PostgreSQL did not keep.
 *
 * Group commit per stream: records appended while a stream's write is in flight go out together in the
 * next statement (one transaction, seqs contiguous). `recover()` is empty: a cluster node holds no
 * agents at boot; they arrive as its leases do (`load`) and leave as they go (`drop`).
 */
import { AiosError, fromSerialized, toAiosError, type AgentId, type ErrorCode, type MessageId, type SerializedError } from "../core/index.js";
import type { Caller, KernelJournal, RecoveredAgent, RecoveredState, StoredAgent, StoredMessage, SyscallJournal, SyscallName, VouchedKey } from "../abi/index.js";
import { JournalRecordSchema, JournalState, recoveredAgent, serialise, type JournalRecord } from "../store/index.js";

const TERMINAL: ReadonlySet<string> = new Set(["completed", "failed", "killed"]);
import { isFenced } from "./errors.js";
import type { FencedJournal } from "./fenced-journal.js";
import type { Lease } from "./leases.js";
import type { Mailroom } from "./mailroom.js";
import type { ReplyBox } from "./replies.js";

interface Pending {
  readonly rec: JournalRecord;
  readonly body: string;
  readonly done: (e?: Error) => void;
  /** A spawn record's agent, entering the directory; a moved letter's cluster_mail row. */
  readonly extra?: { readonly agent?: string; readonly taken?: number };
}

/** One agent tree's journal as this node holds it. */
interface Stream {
  readonly key: string;
  readonly epoch: number;
  nextSeq: number;
  queue: Pending[];
  writing: Promise<void> | undefined;
  /** Set once PostgreSQL refused a write (fenced) or the lease was dropped: nothing more is written. */
  dead: AiosError | undefined;
  readonly agents: Set<string>;
  /** Replayable sends (`from/cause/nth`) its agents received, oldest first (see `received` below). */
  readonly copies: Set<string>;
}

/** How many replayable sends a stream remembers having received (as the fold's seen window). */
const COPIES_WINDOW = 10_000;

export interface ClusterJournalHooks {
  /** A lease for a new tree rooted at `root` (placement and acquisition, node.ts). */
  readonly acquire: (root: string) => Promise<Pick<Lease, "agent" | "epoch">>;
  /** PostgreSQL refused a write of stream `key`: the lease is lost; the node stops the tree. */
  readonly onFenced: (key: string, epoch: number) => void;
  /** A letter for `agent` is waiting in cluster_mail: wake `owner` (null: nobody holds it now). */
  readonly wake: (owner: string | null, agent: string) => void;
  /** Sending node: the public keys the receiver needs for this letter (sealed with it). */
  readonly vouch?: (m: StoredMessage) => readonly VouchedKey[];
  /** Receiving node: the receive-side checks (null: admitted); before the letter is moved. */
  readonly admit?: (m: StoredMessage, keys: readonly VouchedKey[], origin: string) => { readonly reason: string; readonly detail: string } | null;
  /** A letter was refused here (its row is marked taken with the reason): audit and report it. */
  readonly refused?: (r: Refusal) => void;
  /** A reply for `node` is waiting in cluster_replies: wake it. */
  readonly wakeReply?: (node: string) => void;
  /** A reply row addressed to this node whose seal failed: never handed to a caller; report it. */
  readonly forgedReply?: (call: string, origin: string, detail: string) => void;
  /** A reply could not be stored for `route` (its caller will time out). */
  readonly replyLost?: (call: string, route: string, e: AiosError) => void;
  /** The node's clock (expiry of requests waiting for a reply). */
  readonly now?: () => number;
}

/** A request of this node waiting for its reply from another node. */
interface Waiting {
  readonly reply: (err: Error | null, value?: unknown) => void;
  readonly until: number;
}

/** Dead-letter reasons (and `forged`) as the error a caller of a refused request gets. */
const REFUSAL_CODE: Readonly<Record<string, ErrorCode>> = {
  forged: "E_AUTH", unsigned: "E_AUTH", bad_signature: "E_AUTH", schema: "E_INVALID_ARG", too_large: "E_INVALID_ARG",
  unknown_agent: "E_NO_AGENT", agent_ended: "E_NO_AGENT", no_route: "E_NO_AGENT", mailbox_full: "E_MAILBOX_FULL",
};

/** A cross-node letter refused by the receiving node: forged (seal) or by the receive-side checks. */
export interface Refusal {
  readonly row: number;
  readonly recipient: string;
  readonly origin: string | null;
  readonly reason: string;
  readonly detail: string;
  /** The letter's id and reply route (a request), when the row was sealed. */
  readonly id?: string;
  readonly route?: string;
}

const ignore = (): void => undefined;

/** A replayable send's identity (`from/cause/nth`, ADR 0016), for an enqueue record that is one. */
function copyOf(rec: JournalRecord): string | undefined {
  return rec.t === "enqueue" && rec.from !== undefined && rec.cause !== undefined && rec.nth !== undefined ? `${rec.from}/${rec.cause}/${rec.nth}` : undefined;
}

function toSerializedError(raw: unknown): SerializedError {
  if (typeof raw === "object" && raw !== null && "code" in raw && "message" in raw) {
    const r = raw as { code: unknown; message: unknown; retryable?: unknown };
    if (typeof r.code === "string" && typeof r.message === "string") {
      return { code: r.code as SerializedError["code"], message: r.message, retryable: r.retryable === true };
    }
  }
  return { code: "E_INTERNAL", message: "a journaled error could not be read back", retryable: false };
}

export class ClusterJournal implements KernelJournal, SyscallJournal {
  /** The fold of every agent this node holds (all its streams). */
  readonly state = new JournalState();
  private readonly streams = new Map<string, Stream>();
  private readonly streamOf = new Map<string, Stream>();
  /**
   * Replayable sends (ADR 0016) received by agents held here, by `from/cause/nth`. On one node the
   * sender's fold notes its own sends; on a cluster the copy is journaled in the *recipient's* stream
   * (or cluster_mail), so a sender taken over by a node without that stream would send it again.
   * The recipient's side knows: `sent()` answers from here too, and a pulled letter found here is a
   * duplicate (found by the fault suite: one forward handled twice after a takeover).
   */
  private readonly received = new Map<string, Stream>();
  /** Replayable sends being written to a stream here (queued or in flight): a copy must wait for them. */
  private readonly pendingCopies = new Map<string, number>();

  private pulling: Promise<void> = Promise.resolve();
  /** This node's requests to agents on other nodes, by message id, until their reply or expiry. */
  private readonly waiting = new Map<string, Waiting>();

  constructor(
    private readonly journal: FencedJournal,
    private readonly mail: Mailroom,
    private readonly hooks: ClusterJournalHooks,
    private readonly replies?: ReplyBox,
  ) {}

  /** Requests of this node still waiting for a reply from another node. */
  get waitingReplies(): number {
    return this.waiting.size;
  }

  /** Stream keys (tree roots) held here. */
  held(): string[] {
    return [...this.streams.keys()];
  }

  /** The tree root whose stream holds `agent`, when this node holds it. */
  streamKeyOf(agent: string): string | undefined {
    return this.streamOf.get(agent)?.key;
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
    const recs: JournalRecord[] = [];
    let next = 1;
    for (;;) {
      const rows = await this.journal.read(key, next, 2_000);
      for (const row of rows) {
        let raw: unknown;
        try {
          raw = JSON.parse(row.body);
        } catch {
          raw = undefined;
        }
        const r = JournalRecordSchema.safeParse(raw);
        if (!r.success) throw new AiosError("E_CORRUPT", `cluster journal of ${key}: row ${row.seq} is not a journal record`, { details: { path: `cluster_journal.${key}.${row.seq}` } });
        recs.push(r.data);
        next = row.seq + 1;
      }
      if (rows.length < 2_000) break;
    }
    const s: Stream = { key, epoch: lease.epoch, nextSeq: next, queue: [], writing: undefined, dead: undefined, agents: new Set(), copies: new Set() };
    for (const rec of recs) {
      if (rec.t === "spawn" || rec.t === "checkpoint") s.agents.add(rec.agent);
      this.applied(s, rec);
    }
    this.streams.set(key, s);
    for (const a of s.agents) this.streamOf.set(a, s);
    return this.recovered(s);
  }

  /** Forgets a stream here (its lease is gone): pending writes are refused, its agents leave the fold. */
  drop(key: string, why: string): string[] {
    const s = this.streams.get(key);
    if (s === undefined) return [];
    this.streams.delete(key);
    s.dead ??= new AiosError("E_CONFLICT", `the journal of tree ${key} is no longer held by this node (${why})`, { retryable: false, details: { agent: key, epoch: s.epoch, reason: "fenced" } });
    const queued = s.queue;
    s.queue = [];
    for (const p of queued) p.done(s.dead);
    for (const a of s.agents) {
      if (this.streamOf.get(a) === s) this.streamOf.delete(a);
      this.state.agents.delete(a);
    }
    for (const c of s.copies) if (this.received.get(c) === s) this.received.delete(c);
    return [...s.agents];
  }

  /** Folds a committed (or loaded) record of `s`, noting a replayable send its agent received. */
  private applied(s: Stream, rec: JournalRecord): void {
    this.state.apply(rec);
    const copy = copyOf(rec);
    if (copy === undefined) return;
    s.copies.add(copy);
    this.received.set(copy, s);
    if (s.copies.size > COPIES_WINDOW) {
      const oldest = s.copies.values().next().value as string;
      s.copies.delete(oldest);
      if (this.received.get(oldest) === s) this.received.delete(oldest);
    }
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

  private stream(agent: string, what: string): Stream {
    const s = this.streamOf.get(agent);
    if (s !== undefined) return s;
    throw new AiosError("E_CONFLICT", `${what}: agent ${agent} is not held by this node (its lease is elsewhere)`, { retryable: false, details: { agent, reason: "fenced" } });
  }

  private append(s: Stream, rec: JournalRecord, extra?: Pending["extra"]): Promise<void> {
    if (s.dead !== undefined) return Promise.reject(s.dead);
    let body: string;
    try {
      body = serialise(rec);
    } catch (e) {
      return Promise.reject(toAiosError(e));
    }
    const copy = copyOf(rec);
    if (copy !== undefined) this.pendingCopies.set(copy, (this.pendingCopies.get(copy) ?? 0) + 1);
    return new Promise<void>((resolve, reject) => {
      const done = (e?: Error): void => {
        if (copy !== undefined) {
          const left = (this.pendingCopies.get(copy) ?? 1) - 1;
          if (left > 0) this.pendingCopies.set(copy, left);
          else this.pendingCopies.delete(copy);
        }
        if (e === undefined) resolve();
        else reject(e);
      };
      s.queue.push({ rec, body, done, ...(extra === undefined ? {} : { extra }) });
      if (s.writing === undefined) s.writing = this.pump(s);
    });
  }

  /** Writes the stream's queue, batch after batch, until it is empty. */
  private async pump(s: Stream): Promise<void> {
    // Let the records of this tick join the first batch.
    await Promise.resolve();
    while (s.queue.length > 0 && s.dead === undefined) {
      const batch = s.queue;
      s.queue = [];
      const from = s.nextSeq;
      try {
        const agents: string[] = [];
        const taken: number[] = [];
        for (const p of batch) {
          if (p.extra?.agent !== undefined) agents.push(p.extra.agent);
          if (p.extra?.taken !== undefined) taken.push(p.extra.taken);
        }
        await this.journal.append({ agent: s.key, epoch: s.epoch }, from, batch.map((p) => ({ kind: p.rec.t, body: p.body })), { agents, taken });
      } catch (e) {
        const err = toAiosError(e);
        if (isFenced(err) || err.details["reason"] === "seq") {
          s.dead = err;
          for (const p of [...batch, ...s.queue]) p.done(err);
          s.queue = [];
          this.hooks.onFenced(s.key, s.epoch);
          break;
        }
        // Not written (PostgreSQL unreachable, ...): these fail; the next batch tries again at the same seq.
        for (const p of batch) p.done(err);
        continue;
      }
      s.nextSeq = from + batch.length;
      for (const p of batch) {
        this.applied(s, p.rec);
        p.done();
      }
    }
    s.writing = undefined;
  }

  spawned(a: StoredAgent): Promise<void> {
    const rec: JournalRecord = {
      t: "spawn", agent: a.id, spec: a.spec, status: a.status, callSeq: a.callSeq,
      ...(a.parent === undefined ? {} : { parent: a.parent }),
      ...(a.checkpoint === undefined ? {} : { checkpoint: a.checkpoint }),
    };
    const known = this.streamOf.get(a.id);
    if (known !== undefined) return this.append(known, rec); // a restart under the same id
    if (a.parent !== undefined) {
      let s: Stream;
      try {
        s = this.stream(a.parent, `spawning ${a.id}`);
      } catch (e) {
        return Promise.reject(toAiosError(e));
      }
      s.agents.add(a.id);
      this.streamOf.set(a.id, s);
      return this.append(s, rec, { agent: a.id });
    }
    // A new tree: its own stream, under a lease taken for it.
    return this.hooks.acquire(a.id).then((lease) => {
      const s: Stream = { key: a.id, epoch: lease.epoch, nextSeq: 1, queue: [], writing: undefined, dead: undefined, agents: new Set([a.id]), copies: new Set() };
      this.streams.set(a.id, s);
      this.streamOf.set(a.id, s);
      return this.append(s, rec, { agent: a.id });
    });
  }

  transitioned(id: AgentId, to: StoredAgent["status"], op: string, reason?: string): Promise<void> {
    try {
      return this.append(this.stream(id, `transition of ${id}`), { t: "transition", agent: id, to, op, ...(reason === undefined ? {} : { reason }) });
    } catch (e) {
      return Promise.reject(toAiosError(e));
    }
  }

  enqueue(m: StoredMessage): Promise<void> {
    // The recipient's tree is no longer held here (its lease was lost; the agent is on its way out of
    // the table): the letter goes to the tree's new owner through cluster_mail, never a refusal to the
    // sender, whose own lease is sound (the fault suite: a sender crashed on its recipient's fence).
    const held = this.streamOf.get(m.to);
    if (held === undefined || held.dead !== undefined) return this.enqueueRemote(m);
    return this.enqueueHere(m).catch((e: unknown) => {
      const now = this.streamOf.get(m.to);
      if (isFenced(toAiosError(e)) && (now === undefined || now.dead !== undefined)) return this.enqueueRemote(m);
      throw e;
    });
  }

  private enqueueHere(m: StoredMessage): Promise<void> {
    try {
      return this.append(this.stream(m.to, `message to ${m.to}`), {
        t: "enqueue", id: m.id, to: m.to, payload: m.payload, ...(m.from === undefined ? {} : { from: m.from }), ...(m.key === undefined ? {} : { key: m.key }),
        ...(m.cause === undefined || m.nth === undefined ? {} : { cause: m.cause, nth: m.nth }), ...(m.trace === undefined ? {} : { trace: m.trace }),
        ...(m.route === undefined ? {} : { route: m.route }),
      });
    } catch (e) {
      return Promise.reject(toAiosError(e));
    }
  }

  /** Mail for an agent on another node: into cluster_mail (durable on return), its owner woken. */
  async enqueueRemote(m: StoredMessage): Promise<void> {
    const owner = await this.mail.post(m, this.hooks.vouch?.(m) ?? []);
    this.hooks.wake(owner, m.to);
  }

  /**
   * A request for an agent on another node: stored with this node as its reply route (durable on
   * return, like enqueueRemote); `reply` is called when the reply is taken here (pullReplies). After
   * `timeoutMs` the entry is dropped (the caller's own timer has answered E_TIMEOUT by then).
   */
  async requestRemote(m: StoredMessage, reply: (err: Error | null, value?: unknown) => void, timeoutMs: number): Promise<void> {
    if (this.replies === undefined) throw new AiosError("E_NO_AGENT", `no agent ${m.to} on this node (no reply route to it)`, { details: { agent: m.to } });
    this.waiting.set(m.id, { reply, until: (this.hooks.now?.() ?? Date.now()) + timeoutMs });
    try {
      await this.enqueueRemote({ ...m, route: this.mail.node });
    } catch (e) {
      this.waiting.delete(m.id);
      throw e;
    }
  }

  /**
   * The reply callback of a letter `id` to `to` from node `route` (journaled with its route): the first
   * call stores the reply for that node, fenced by the tree's epoch (a stale owner's reply is not
   * stored), and wakes it; later calls do nothing.
   */
  remoteReply(route: string, id: MessageId, to: AgentId): (err: Error | null, value?: unknown) => void {
    let sent = false;
    return (err, value) => {
      if (sent || this.replies === undefined) return;
      sent = true;
      // Evicted or fenced (the tree's lease moved): the next owner handles the letter again and answers.
      const s = this.streamOf.get(to);
      if (s === undefined || s.dead !== undefined) return;
      this.replies.post(route, id, err, value, { tree: s.key, epoch: s.epoch }).then(
        () => this.hooks.wakeReply?.(route),
        // Not stored (PostgreSQL unreachable): the caller times out, as for a lost request.
        (e: unknown) => this.hooks.replyLost?.(id, route, toAiosError(e)),
      );
    };
  }

  /** Takes the replies waiting for this node and answers the requests still waiting for them. */
  async pullReplies(): Promise<number> {
    const now = this.hooks.now?.() ?? Date.now();
    for (const [id, w] of this.waiting) if (w.until <= now) this.waiting.delete(id);
    if (this.replies === undefined) return 0;
    let answered = 0;
    for (const r of await this.replies.take()) {
      if (r.forged !== undefined) {
        this.hooks.forgedReply?.(r.call, r.origin, r.forged);
        continue;
      }
      const w = this.waiting.get(r.call);
      if (w === undefined) continue; // its caller gave up (timeout) or this node restarted
      this.waiting.delete(r.call);
      answered++;
      if (r.outcome.ok) w.reply(null, r.outcome.value);
      else w.reply(fromSerialized(r.outcome.error));
    }
    return answered;
  }

  /**
   * Moves the letters waiting in cluster_mail for agents held here into their journals (fenced, the
   * rows marked taken in the same statement) and returns them by recipient, for the kernel's
   * mailboxes. One pull at a time: two would move the same row twice.
   */
  pullMail(): Promise<Map<AgentId, StoredMessage[]>> {
    const run = this.pulling.then(() => this.pullOnce());
    this.pulling = run.then(ignore, ignore);
    return run;
  }

  private async pullOnce(): Promise<Map<AgentId, StoredMessage[]>> {
    const out = new Map<AgentId, StoredMessage[]>();
    if (this.streamOf.size === 0) return out;
    const rows = await this.mail.waiting([...this.streamOf.keys()]);
    const writes: Promise<void>[] = [];
    const dups: number[] = [];
    const refusals: Refusal[] = [];
    for (const row of rows) {
      const s = this.streamOf.get(row.agent);
      if (s === undefined || s.dead !== undefined) continue;
      // Not sealed by a node of this cluster (written straight into PostgreSQL): never moved.
      if (row.forged !== undefined) {
        refusals.push({ row: row.n, recipient: row.agent, origin: row.origin, reason: "forged", detail: row.forged });
        continue;
      }
      const rec = row.rec;
      const a = this.state.agents.get(rec.to);
      const copy = copyOf(rec);
      // The same replayable send being written here now: decided at a later pull, once it committed.
      if (copy !== undefined && this.pendingCopies.has(copy)) continue;
      // Already here under its key, or the same replayable send already received (a copy that came by
      // another way, or sent again by a sender replaying after a takeover): taken, not delivered twice.
      if ((copy !== undefined && this.received.has(copy)) || (a !== undefined && rec.key !== undefined && (a.seen?.has(rec.key) === true || [...a.mailbox.values()].some((x) => x.key === rec.key)))) {
        dups.push(row.n);
        continue;
      }
      const to = rec.to as AgentId;
      const letter: StoredMessage = {
        id: rec.id as MessageId, to, payload: rec.payload, ...(rec.from === undefined ? {} : { from: rec.from as AgentId }), ...(rec.key === undefined ? {} : { key: rec.key }),
        ...(rec.trace === undefined ? {} : { trace: rec.trace }), ...(rec.route === undefined ? {} : { route: rec.route }),
      };
      // The receive-side checks a local letter passes (ipc/'s gate): refused here, it never enters the
      // journal. An agent that ended refuses it as on one node (a request is answered E_NO_AGENT).
      const ended = a === undefined || TERMINAL.has(a.status) ? { reason: "agent_ended", detail: `agent ${rec.to} is ${a?.status ?? "gone"}` } : null;
      const no = ended ?? this.hooks.admit?.(letter, row.keys, row.origin ?? "") ?? null;
      if (no !== null) {
        refusals.push({ row: row.n, recipient: row.agent, origin: row.origin, reason: no.reason, detail: no.detail, id: rec.id, ...(rec.route === undefined ? {} : { route: rec.route }) });
        continue;
      }
      writes.push(
        this.append(s, rec, { taken: row.n }).then(() => {
          out.set(to, [...(out.get(to) ?? []), letter]);
        }),
      );
    }
    if (dups.length > 0) await this.mail.markTaken(dups);
    for (const r of refusals) {
      await this.mail.refuse(r.row, `${r.reason}: ${r.detail}`);
      this.hooks.refused?.(r);
      // A refused request is answered with the refusal (never a forged row's: its route is not trusted).
      if (r.route !== undefined && r.id !== undefined) {
        this.remoteReply(r.route, r.id as MessageId, r.recipient as AgentId)(new AiosError(REFUSAL_CODE[r.reason] ?? "E_INVALID_ARG", `message ${r.id} was refused by the node of ${r.recipient} (${r.reason}): ${r.detail}`, { details: { agent: r.recipient, reason: r.reason } }));
      }
    }
    // A stream fenced meanwhile refuses its letters: they stay waiting for the tree's next owner.
    await Promise.all(writes.map((w) => w.catch(ignore)));
    return out;
  }

  sent(from: AgentId, cause: MessageId, nth: number): boolean {
    const copy = `${from}/${cause}/${nth}`;
    return this.state.wasSent(from, cause, nth) || this.received.has(copy) || this.pendingCopies.has(copy);
  }

  handled(id: AgentId, msgId: MessageId | undefined, checkpoint: unknown, callSeq: number): Promise<void> {
    try {
      return this.append(this.stream(id, `checkpoint of ${id}`), { t: "handled", agent: id, callSeq, ...(msgId === undefined ? {} : { msg: msgId }), ...(checkpoint === undefined ? {} : { checkpoint }) });
    } catch (e) {
      return Promise.reject(toAiosError(e));
    }
  }

  /** Nothing at boot: a node's agents arrive with its leases (load). */
  recover(): Promise<RecoveredState> {
    return Promise.resolve({ agents: [], mailboxes: new Map(), report: [] });
  }

  lookup(caller: Caller, callSeq: number): { found: true; result: unknown; error?: SerializedError } | { found: false; inFlight: boolean } {
    const r = this.state.lookup(caller.agent, callSeq);
    if (!r.found) return r;
    return { found: true, result: r.result, ...(r.error === undefined ? {} : { error: toSerializedError(r.error) }) };
  }

  intent(caller: Caller, callSeq: number, syscall: SyscallName, args: unknown, idempotencyKey?: string): Promise<void> {
    try {
      return this.append(this.stream(caller.agent, `${syscall} of ${caller.agent}`), { t: "intent", agent: caller.agent, callSeq, syscall, args, ...(idempotencyKey === undefined ? {} : { key: idempotencyKey }) });
    } catch (e) {
      return Promise.reject(toAiosError(e));
    }
  }

  result(caller: Caller, callSeq: number, result: unknown, error?: SerializedError): Promise<void> {
    try {
      return this.append(this.stream(caller.agent, `result of ${caller.agent}`), { t: "result", agent: caller.agent, callSeq, ...(result === undefined ? {} : { result }), ...(error === undefined ? {} : { error }) });
    } catch (e) {
      return Promise.reject(toAiosError(e));
    }
  }

  /** Resolves once every write queued so far was answered by PostgreSQL. */
  async flush(): Promise<void> {
    for (;;) {
      const busy = [...this.streams.values()].map((s) => s.writing).filter((w): w is Promise<void> => w !== undefined);
      if (busy.length === 0) return;
      await Promise.all(busy.map((w) => w.catch(ignore)));
    }
  }

  close(): Promise<void> {
    return this.flush();
  }
}
