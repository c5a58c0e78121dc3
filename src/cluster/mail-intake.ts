/**
 * Cross-node mail and replies on a cluster node (docs/adr/0036, 0038, 0040). Outbound: a letter for
 * an agent on another node is stored in cluster_mail (its acknowledgement is that commit) and its
 * owner woken; a request also waits here for its reply. Inbound: the letters waiting for agents held
 * here are checked (seal, receive-side checks, duplicates) and moved into their trees' journals, the
 * rows marked taken in the same statement; replies for this node are taken and handed to the requests
 * still waiting for them.
 */
import { AiosError, Counts, RealClock, fromSerialized, isAiosError, toAiosError, type AgentId, type ErrorCode, type MessageId } from "../core/index.js";
import { DEFAULT_MAILBOX_CAPACITY, type StoredMessage, type VouchedKey } from "../abi/index.js";
import type { Directory } from "./directory.js";
import type { Mailroom } from "./mailroom.js";
import { ParkedMail } from "./parked-mail.js";
import type { ReplyBox } from "./replies.js";
import type { EnqueueRecord } from "../store/index.js";
import { copyOf, ignore, type Stream, type TreeStreams } from "./tree-streams.js";

const TERMINAL: ReadonlySet<string> = new Set(["completed", "failed", "killed"]);

export interface MailIntakeHooks {
  /** Puts letters moved into an agent's journal into its mailbox (the kernel's adoptMail). */
  readonly deliver: (to: AgentId, letters: readonly StoredMessage[]) => Promise<unknown>;
  /** A letter for `agent` is waiting in cluster_mail: wake `owner` (null: nobody holds it now). */
  readonly wake: (owner: string | null, agent: string) => void;
  /** Sending node: the public keys the receiver needs for this letter (sealed with it). */
  readonly vouch?: (m: StoredMessage) => readonly VouchedKey[];
  /**
   * Receiving node: the receive-side checks (null: admitted; "taken": delivered by the gate itself, to
   * a pull subscriber's inbox, docs/adr/0068); before the letter is moved.
   */
  readonly admit?: (m: StoredMessage, keys: readonly VouchedKey[], origin: string) => { readonly reason: string; readonly detail: string } | "taken" | null;
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
  /** Waits on the node's clock (a parked letter's next try, docs/adr/0069; default a real clock). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Letters of this node that may wait for room for one recipient on another node: the kernel's maxParkedSenders. */
  readonly parkLimit: number;
}

/** A parked letter's wait when no node clock is given (a journal built outside a node, in tests). */
const REAL_CLOCK = new RealClock();

/** What a sender asked of a full mailbox (undefined: wait, the mailbox default). */
type OnFull = "wait" | "fail" | undefined;

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

/** The mailbox capacity a journaled spec names (the kernel's default when it names none). */
function capacityOf(spec: unknown): number {
  const c = (spec as { mailbox?: { capacity?: unknown } } | null)?.mailbox?.capacity;
  return typeof c === "number" && c >= 1 ? c : DEFAULT_MAILBOX_CAPACITY;
}

/** A pull whose moves are queued: `settled` once they committed, were delivered, and the rest marked. */
interface Pulled {
  readonly settled: Promise<number>;
}

export class MailIntake {
  /** The pulls' reading and sorting, one at a time (their writes overlap: see `inFlight`). */
  private deciding: Promise<unknown> = Promise.resolve();
  /** cluster_mail rows a pull moved, marked taken or refused whose statement is not answered yet: no later pull takes them. */
  private readonly inFlight = new Set<number>();
  /**
   * Rows of `inFlight` answered since the current pull's read was sent: that read may predate their
   * commit and still show them waiting. Cleared as each read is sent (reads are one at a time).
   */
  private readonly answered = new Set<number>();
  /** Letters moved and not yet committed, by recipient: they take room in its mailbox. */
  private readonly moving = new Counts<string>();
  /** This node's requests to agents on other nodes, by message id, until their reply or expiry. */
  private readonly waiting = new Map<string, Waiting>();
  /** The reply callbacks remoteReply made (letters from other nodes): never kept by `keep`. */
  private readonly routed = new WeakSet<(err: Error | null, value?: unknown) => void>();

  /** Letters of this node waiting for room in a full mailbox on another node (docs/adr/0069). */
  private readonly parked: ParkedMail;

  constructor(
    private readonly streams: TreeStreams,
    private readonly mail: Mailroom,
    private readonly hooks: MailIntakeHooks,
    private readonly replies?: ReplyBox,
    private readonly directory?: Directory,
  ) {
    this.parked = new ParkedMail({ now: () => hooks.now?.() ?? Date.now(), sleep: hooks.sleep ?? ((ms) => REAL_CLOCK.sleep(ms)), limit: hooks.parkLimit });
  }

  /** Requests of this node still waiting for a reply from another node. */
  get waitingReplies(): number {
    return this.waiting.size;
  }

  /** This node's name: the reply route of the requests it waits for. */
  get node(): string {
    return this.mail.node;
  }

  /**
   * Keeps the callback of a request journaled here with this node as its route, whose agent left
   * this node (docs/adr/0050): answered when its next owner's reply comes (pullReplies), or dropped
   * after `ms`. False for a letter from another node (its reply already goes back by its own route).
   */
  keep(id: MessageId, reply: (err: Error | null, value?: unknown) => void, ms: number): boolean {
    if (this.replies === undefined || this.routed.has(reply)) return false;
    this.waiting.set(id, { reply, until: (this.hooks.now?.() ?? Date.now()) + ms });
    return true;
  }

  /**
   * Mail for an agent on another node: into cluster_mail (durable on return), its owner woken. `to` is
   * an id, or else the name of one live agent of the cluster (docs/adr/0041): the letter is stored for
   * that agent's id, and its receiving node checks an envelope's `to` against the agent's name.
   */
  enqueueRemote(m: StoredMessage, onFull?: OnFull, until?: number): Promise<void> {
    // Refused at the row bound, a letter that may wait parks in send order (parked-mail.ts, docs/adr/0069).
    return this.parked.send(m.to, () => this.store(m), onFull !== "fail", until);
  }

  /** Refuses the letters parked here (the node stops). */
  close(): void {
    this.parked.close();
  }

  /** Letters of this node waiting for room in another node's mailbox. */
  get parkedLetters(): number {
    return this.parked.size;
  }

  private async store(m: StoredMessage): Promise<void> {
    const keys = this.hooks.vouch?.(m) ?? [];
    let to = m.to;
    let owner: string | null;
    try {
      owner = await this.mail.post(m, keys);
    } catch (e) {
      if (this.directory === undefined || !isAiosError(e, "E_NO_AGENT")) throw e;
      to = (await this.directory.resolve(m.to)) as AgentId;
      owner = await this.mail.post({ ...m, to }, keys);
    }
    this.hooks.wake(owner, to);
  }

  /**
   * A request for an agent on another node: stored with this node as its reply route (durable on
   * return, like enqueueRemote); `reply` is called when the reply is taken here (pullReplies). After
   * `timeoutMs` the entry is dropped (the caller's own timer has answered E_TIMEOUT by then).
   */
  async requestRemote(m: StoredMessage, reply: (err: Error | null, value?: unknown) => void, timeoutMs: number, onFull?: OnFull): Promise<void> {
    if (this.replies === undefined) throw new AiosError("E_NO_AGENT", `no agent ${m.to} on this node (no reply route to it)`, { details: { agent: m.to } });
    const until = (this.hooks.now?.() ?? Date.now()) + timeoutMs;
    this.waiting.set(m.id, { reply, until });
    try {
      await this.enqueueRemote({ ...m, route: this.mail.node }, onFull, until);
    } catch (e) {
      this.waiting.delete(m.id);
      throw e;
    }
  }

  /**
   * The reply callback of a letter `id` to `to` from node `route` (journaled with its route): the first
   * call stores the reply for that node, fenced by the tree's epoch (a stale owner's reply is not
   * stored), and wakes it; later calls do nothing.
   *
   * Output commit (docs/adr/0052, 0050): the reply is stored only once everything the tree journaled
   * before it — and the checkpoint of the handling that replied, appended in the same turn — is
   * committed, so a caller never sees an answer that a takeover would compute again differently (a
   * model's or tool's result not yet in PostgreSQL). A stream that lost a write meanwhile sends
   * nothing: its next owner handles the letter again and answers.
   */
  remoteReply(route: string, id: MessageId, to: AgentId): (err: Error | null, value?: unknown) => void {
    let sent = false;
    const post = (err: Error | null, value: unknown): void => {
      const replies = this.replies;
      // Evicted or fenced (the tree's lease moved): the next owner handles the letter again and answers.
      const s = this.streams.live(to);
      if (replies === undefined || s === undefined) return;
      this.streams.committed(s).then(
        () =>
          replies.post(route, id, err, value, { tree: s.key, epoch: s.epoch }).then(
            () => this.hooks.wakeReply?.(route),
            // Not stored (PostgreSQL unreachable): the caller times out, as for a lost request.
            (e: unknown) => this.hooks.replyLost?.(id, route, toAiosError(e)),
          ),
        ignore,
      );
    };
    const fn = (err: Error | null, value?: unknown): void => {
      if (sent || this.replies === undefined) return;
      sent = true;
      // After the turn: a receive that replied and returned has its checkpoint appended by then.
      queueMicrotask(() => post(err, value));
    };
    this.routed.add(fn);
    return fn;
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
   * rows marked taken in the same statement) and hands each to the kernel's mailbox (`deliver`) as
   * soon as its record committed; resolves with how many were moved.
   *
   * At once, not after the whole pull: the kernel's mailbox must hold letters in journal order, since a
   * restart replays the unacknowledged ones in that order and call numbers (hence derived idempotency
   * keys and replayed results) follow the order of handling. Letters handed over only at the end of
   * the pull were overtaken by local letters committed after them; after a takeover, a letter's call
   * number then pointed at another letter's journaled result (its effect never applied) and that
   * letter's call ran again under a new key (the fault soak, seeds 2005 and 2011). tree-streams.ts
   * starts a new batch at a moved letter for the same reason.
   *
   * Pulls read and sort one at a time; a row one of them queued stays `inFlight` until its statement is
   * answered, so a later pull never moves it twice, and need not wait for the earlier pull's commits.
   */
  pullMail(): Promise<number> {
    return this.pull().then((p) => p.settled);
  }

  /**
   * Letters wait for `agents`, recipients of local letters a stream is about to write (docs/adr/0073):
   * resolves once a pull of theirs that read cluster_mail after this call queued its moves.
   */
  makeWay(agents: readonly string[]): Promise<void> {
    return this.pull(agents).then((p) => void p.settled.catch(ignore), ignore);
  }

  private pull(only?: readonly string[]): Promise<Pulled> {
    const run = this.deciding.then(() => this.pullOnce(only));
    this.deciding = run.then(ignore, ignore);
    return run;
  }

  private async pullOnce(only: readonly string[] | undefined): Promise<Pulled> {
    const held = only ?? this.streams.agents();
    if (held.length === 0) return { settled: Promise.resolve(0) };
    this.answered.clear();
    const rows = await this.mail.waiting(held);
    const writes: Promise<void>[] = [];
    const delivered: Promise<unknown>[] = [];
    const taken: number[] = [];
    const refusals: Refusal[] = [];
    /** Letters moved this pull, by recipient: a mailbox takes no more than it has room for (ADR 0046). */
    const moved = new Counts<string>();
    for (const row of rows) {
      if (this.inFlight.has(row.n) || this.answered.has(row.n)) continue;
      const s = this.streams.live(row.agent);
      if (s === undefined) continue;
      // Not sealed by a node of this cluster (written straight into PostgreSQL): never moved.
      if (row.forged !== undefined) {
        refusals.push({ row: row.n, recipient: row.agent, origin: row.origin, reason: "forged", detail: row.forged });
        continue;
      }
      const rec = row.rec;
      const a = this.streams.state.agents.get(rec.to);
      const copy = copyOf(rec);
      // The same replayable send being written here now: decided at a later pull, once it committed.
      if (copy !== undefined && this.streams.pendingCopy(copy)) continue;
      // Already here under its key, or the same replayable send already received (a copy that came by
      // another way, or sent again by a sender replaying after a takeover): taken, not delivered twice.
      if ((copy !== undefined && this.streams.hasCopy(copy)) || (a !== undefined && rec.key !== undefined && (a.seen?.has(rec.key) === true || [...a.mailbox.values()].some((x) => x.key === rec.key)))) {
        taken.push(row.n);
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
      // A full mailbox leaves the row waiting (its senders meet the row bound, Mailroom.post) until the
      // agent handled some: a later pull (a beat, a wake-up) moves it.
      const used = (a?.mailbox.size ?? 0) + this.moving.get(to) + moved.get(to);
      if (ended === null && a !== undefined && used >= capacityOf(a.spec)) continue;
      const no = ended ?? this.hooks.admit?.(letter, row.keys, row.origin ?? "") ?? null;
      // A topic copy in a pull subscriber's inbox: taken, and nothing enters the journal (a pull inbox
      // is not journaled on one node either).
      if (no === "taken") {
        taken.push(row.n);
        continue;
      }
      if (no !== null) {
        refusals.push({ row: row.n, recipient: row.agent, origin: row.origin, reason: no.reason, detail: no.detail, id: rec.id, ...(rec.route === undefined ? {} : { route: rec.route }) });
        continue;
      }
      moved.add(to);
      writes.push(this.moveIn(s, row.n, rec, to, letter, delivered));
    }
    for (const n of taken) this.inFlight.add(n);
    for (const r of refusals) this.inFlight.add(r.row);
    return { settled: this.settle(taken, refusals, writes, delivered) };
  }

  /** Appends a moved letter (its row marked taken with it) and delivers it once committed. */
  private moveIn(s: Stream, n: number, rec: EnqueueRecord, to: AgentId, letter: StoredMessage, delivered: Promise<unknown>[]): Promise<void> {
    this.inFlight.add(n);
    this.moving.add(to);
    const done = (): void => {
      this.off(n);
      this.moving.remove(to);
    };
    return this.streams.append(s, rec, { taken: n }).then(
      () => {
        done();
        delivered.push(this.hooks.deliver(to, [letter]));
      },
      // A stream fenced meanwhile refuses its letters: they stay waiting for the tree's next owner.
      done,
    );
  }

  /** Row `n`'s statement was answered (taken, or failed: a later pull reads it again). */
  private off(n: number): void {
    this.inFlight.delete(n);
    this.answered.add(n);
  }

  /** Marks the duplicates taken, refuses the refused, waits for the moves and their delivery. */
  private async settle(taken: readonly number[], refusals: readonly Refusal[], writes: readonly Promise<void>[], delivered: readonly Promise<unknown>[]): Promise<number> {
    try {
      await this.markAndRefuse(taken, refusals);
    } finally {
      for (const n of taken) this.off(n);
      for (const r of refusals) this.off(r.row);
    }
    await Promise.all(writes);
    await Promise.all(delivered);
    return delivered.length;
  }

  private async markAndRefuse(taken: readonly number[], refusals: readonly Refusal[]): Promise<void> {
    if (taken.length > 0) await this.mail.markTaken(taken);
    for (const r of refusals) {
      await this.mail.refuse(r.row, `${r.reason}: ${r.detail}`);
      this.hooks.refused?.(r);
      // A refused request is answered with the refusal (never a forged row's: its route is not trusted).
      if (r.route !== undefined && r.id !== undefined) {
        this.remoteReply(r.route, r.id as MessageId, r.recipient as AgentId)(new AiosError(REFUSAL_CODE[r.reason] ?? "E_INVALID_ARG", `message ${r.id} was refused by the node of ${r.recipient} (${r.reason}): ${r.detail}`, { details: { agent: r.recipient, reason: r.reason } }));
      }
    }
  }
}
