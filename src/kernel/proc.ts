/**
 * One entry of the process table: an agent incarnation. Kept deliberately small — a million idle
 * ephemeral agents must fit in under 1 KB each — so its mailbox ring, its context and the fields few
 * agents set (children, supervision, an abort controller, how it ended: Rare) are created on first
 * use. Only the kernel mutates a Proc: its status, exit reason and result only through the lifecycle
 * (lifecycle.ts), its place in the table and tree only through the process table (process-table.ts).
 */
import { AiosError, type AgentId, type AgentStatus, type MessageId, type TenantId } from "../core/index.js";
import { DEFAULT_MAILBOX_CAPACITY, isTerminal, type AgentLogic, type StoredMessage } from "../abi/index.js";
import { Mailbox, type Meta } from "./mailbox.js";
import type { AgentSpec } from "../abi/index.js";
import type { AuditTally, Caller, CapLease, SupervisorLink, TallyCounts } from "../abi/index.js";
import type { SupervisorState } from "./supervisor-state.js";
import type { DoorTally } from "./door-tallies.js";

export class Proc extends Mailbox implements Caller, TallyCounts {
  // Field order is memory order (ES2022 class fields are defined in declaration order, after the
  // mailbox's): what every delivery and every receive touches comes first, right after the mailbox's
  // own fields, so one message costs as few cache lines as possible. With 10,000 agents messaging at
  // random each agent's lines are cold at both its delivery and its receive: a field the hot path
  // reads further down (as `held`, `sends` and `id` once were) costs a cache miss of its own.
  /** Written by the lifecycle alone (lifecycle.ts). */
  readonly status: AgentStatus = "pending";
  /** In the run queue. */
  queued = false;
  /** Cached from the spec: the hot path must not touch the spec object per message. */
  readonly durable: boolean;
  /** Cached from the spec (read on every cross-agent delivery). */
  readonly tenant: TenantId;
  /** Set while the agent waits, after a restart, to be restored on first use (recovery.ts); read by every delivery. */
  dormant: Dormant | null = null;
  /** A receive (or init) is in progress (async). */
  busy = false;
  /** Set while a full disk refused its checkpoint: the refused acks, retried (held-checkpoints.ts); no receive runs meanwhile. */
  held: (MessageId | undefined)[] | null = null;
  // Delivery (and scheduling) reads up to here; a receive also reads what follows.
  /** True while a receive is in progress (current may be undefined for a plain send from outside). */
  handling = false;
  /** Unspent quanta carried to the next visit while mail is waiting (never banked when idle), in QUANTUM units. */
  credit = 0;
  /** Quanta per run-queue visit (deficit round robin): weight scaled by priority, in QUANTUM units; see shareOf. */
  share: number;
  /** The message being handled: its letter, or for a plain send its sender (see Meta). */
  current: Meta = undefined;
  state: unknown = undefined;
  logic: AgentLogic;
  ctx: object | null = null;
  /** Read as the sender of every plain send (the mailbox keeps it beside the payload). */
  readonly id: AgentId;
  taint: ReadonlySet<string> = EMPTY;
  /** Kernel capability generation at which `sendLease` was taken. */
  sendGen = -1;
  /** The checker's lease epoch at which `sendLease` was last seen valid (-1: read it again). */
  sendEpoch = -1;
  /** `sendLease`'s decision allows every recipient (copied here: a send need not load the lease). */
  sendOk = false;
  /** The audit's counter for sends allowed under that lease. */
  sendTally: AuditTally | undefined = undefined;
  /** `sendTally`'s counts this interval, kept here: counting a send loads the Proc, not the tally (AuditSink.enlist). */
  tallyCount = 0;
  tallySum = 0;
  tallyMix = 0;
  // A receive reads up to here; what follows is read off the hot path.
  /** The checker's decision for `agent:*#send`, reused while valid (context.ts). */
  sendLease: CapLease | null = null;
  spec: AgentSpec;
  parent: Proc | null;
  /** When it was created, as an offset from CREATED_BASE (createdAt): a small integer, held in the object. */
  private readonly born: number;
  /** What few agents ever have (see Rare): made by the first write of one of its fields. */
  private rare: Rare | null = null;

  constructor(id: AgentId, spec: AgentSpec, logic: AgentLogic, parent: Proc | null, createdAt: number) {
    super(spec.mailbox?.capacity ?? DEFAULT_MAILBOX_CAPACITY);
    this.logic = logic;
    this.share = shareOf(spec);
    this.durable = spec.durable === true && !spec.ephemeral;
    this.tenant = spec.tenant as TenantId;
    this.id = id;
    this.spec = spec;
    this.parent = parent;
    this.born = Number.isInteger(createdAt) ? createdAt - CREATED_BASE : createdAt;
  }

  /** When it was created (the kernel clock's time). */
  get createdAt(): number {
    const b = this.born;
    return Number.isInteger(b) ? b + CREATED_BASE : b;
  }

  /** Replaces the spec (upgrade): the cached share follows it. */
  setSpec(spec: AgentSpec): void {
    this.spec = spec;
    this.share = shareOf(spec);
  }

  /** What its mailbox does when full (read only then): its spec's, "wait" unless it says "fail". */
  get onFull(): "wait" | "fail" {
    return this.spec.mailbox?.onFull ?? "wait";
  }

  /** The agent's mailbox is the process itself (one object: no pointer to chase per delivery). */
  get mailbox(): Mailbox {
    return this;
  }
  get agent(): AgentId {
    return this.id;
  }
  get name(): string {
    return this.spec.name;
  }
  get capabilities(): readonly string[] {
    return this.spec.capabilities;
  }
  get priority(): number {
    return this.spec.priority;
  }
  /** Its logic never changes a syscall's result (AgentLogic.leavesResultsIntact; ADR 0075). */
  get leavesResultsIntact(): boolean {
    return this.logic.leavesResultsIntact === true;
  }
  /**
   * Aborted when the agent ends or is paused (its calls stop early), made on first read: most agents'
   * calls never look at it. An agent that has ended with none made gets one already aborted.
   */
  get signal(): AbortSignal {
    const ctl = this.abort;
    if (ctl !== null) return ctl.signal;
    if (isTerminal(this.status)) return ENDED_SIGNAL;
    return (this.abort = new AbortController()).signal;
  }
  /** How many times its signal was aborted and replaced (a pause): a call remembers it at its start. */
  get abortEpoch(): number {
    return this.rare === null ? 0 : this.rare.aborts;
  }
  /**
   * The signal of a call begun at `epoch`: the agent's, or, paused since (its signal aborted and
   * replaced), the one that pause aborted.
   */
  signalSince(epoch: number): AbortSignal {
    const rare = this.rare;
    return rare !== null && rare.aborts !== epoch && rare.paused !== null ? rare.paused : this.signal;
  }
  /** Whether signalSince(epoch) is aborted, without making a signal. */
  abortedSince(epoch: number): boolean {
    const rare = this.rare;
    if (rare === null) return isTerminal(this.status);
    if (rare.aborts !== epoch) return true;
    return rare.abort === null ? isTerminal(this.status) : rare.abort.signal.aborted;
  }
  /** Aborts its signal (made now if none was) with `why` and replaces it: the agent is paused. */
  pauseSignal(why: unknown): void {
    const ctl = this.abort ?? new AbortController();
    const rare = this.more();
    rare.abort = null;
    rare.aborts++;
    rare.paused = ctl.signal;
    ctl.abort(why);
  }

  // The fields few agents ever set, kept in `rare` (null until one is set to something other than its
  // default): read as fields, a default costs no memory in a million idle agents.
  /** Its children, in spawn order (written by the process table alone). */
  get children(): Proc[] | null {
    return this.rare === null ? null : this.rare.children;
  }
  set children(v: Proc[] | null) {
    if (v !== null || this.rare !== null) this.more().children = v;
  }
  /** Set when this agent is a supervisor. */
  get sup(): SupervisorState | null {
    return this.rare === null ? null : this.rare.sup;
  }
  set sup(v: SupervisorState | null) {
    if (v !== null || this.rare !== null) this.more().sup = v;
  }
  /** A supervisor's child tree on a cluster (docs/adr/0048): a root here, watched by its supervisor. */
  get link(): SupervisorLink | null {
    return this.rare === null ? null : this.rare.link;
  }
  set link(v: SupervisorLink | null) {
    if (v !== null || this.rare !== null) this.more().link = v;
  }
  get abort(): AbortController | null {
    return this.rare === null ? null : this.rare.abort;
  }
  set abort(v: AbortController | null) {
    if (v !== null || this.rare !== null) this.more().abort = v;
  }
  /** Resolvers waiting for the in-flight receive to finish. */
  get idleWaiters(): (() => void)[] | null {
    return this.rare === null ? null : this.rare.idleWaiters;
  }
  set idleWaiters(v: (() => void)[] | null) {
    if (v !== null || this.rare !== null) this.more().idleWaiters = v;
  }
  /** The audit's counters for its other aggregated calls (model calls, pure tools; dispatcher.ts). */
  get doorTallies(): DoorTally[] | null {
    return this.rare === null ? null : this.rare.doorTallies;
  }
  set doorTallies(v: DoorTally[] | null) {
    if (v !== null || this.rare !== null) this.more().doorTallies = v;
  }
  /** What the agent (and its children) used, charged by the door's settle stage; shared zero until then. */
  get usage(): Usage {
    return this.rare === null ? NO_USAGE : this.rare.usage;
  }
  set usage(v: Usage) {
    if (v !== NO_USAGE || this.rare !== null) this.more().usage = v;
  }
  /**
   * Plain sends made in the current receive: a durable sender's replayable send number (ADR 0016).
   * Reset per receive of a durable agent only: nothing reads it for another.
   */
  get sends(): number {
    return this.rare === null ? 0 : this.rare.sends;
  }
  set sends(v: number) {
    if (v !== 0 || this.rare !== null) this.more().sends = v;
  }
  /**
   * Set while a durable agent's effect made out of turn (by a callback of a receive that has
   * returned: a timer, a promise settled later) enters the kernel: it is numbered in no letter's
   * handling and journaled as no replayable call (ADR 0016, "Late effects").
   */
  get outOfTurn(): boolean {
    return this.rare === null ? false : this.rare.outOfTurn;
  }
  set outOfTurn(v: boolean) {
    if (v || this.rare !== null) this.more().outOfTurn = v;
  }
  /** Journaled syscalls issued so far (durable replay lines calls up with journaled results). */
  get callSeq(): number {
    return this.rare === null ? 0 : this.rare.callSeq;
  }
  set callSeq(v: number) {
    if (v !== 0 || this.rare !== null) this.more().callSeq = v;
  }
  get incarnation(): number {
    return this.rare === null ? 0 : this.rare.incarnation;
  }
  set incarnation(v: number) {
    if (v !== 0 || this.rare !== null) this.more().incarnation = v;
  }
  /** Why it ended, once terminal (written by the lifecycle alone). */
  get exitReason(): string | undefined {
    return this.rare === null ? undefined : this.rare.exitReason;
  }
  /** What it returned, once terminal (written by the lifecycle alone). */
  get result(): unknown {
    return this.rare === null ? undefined : this.rare.result;
  }

  /** The rare fields, made on first use (the lifecycle writes how it ended there). */
  more(): Rare {
    return (this.rare ??= new Rare());
  }
}

/**
 * What few agents ever have: children, a supervisor's state, a cluster link, an abort controller,
 * waiters for the end of a receive, the audit's counters for aggregated calls, what it used of a
 * budget, a durable agent's send and call numbers, a later incarnation and how it ended. One pointer
 * in every Proc instead of twelve fields, which a million idle agents would each carry at their
 * defaults (96 bytes).
 */
export class Rare {
  children: Proc[] | null = null;
  sup: SupervisorState | null = null;
  link: SupervisorLink | null = null;
  abort: AbortController | null = null;
  /** Times `abort` was aborted and replaced (a pause), and the signal the last one aborted. */
  aborts = 0;
  paused: AbortSignal | null = null;
  idleWaiters: (() => void)[] | null = null;
  doorTallies: DoorTally[] | null = null;
  usage: Usage = NO_USAGE;
  sends = 0;
  outOfTurn = false;
  callSeq = 0;
  incarnation = 0;
  exitReason: string | undefined = undefined;
  result: unknown = undefined;
}

const EMPTY: ReadonlySet<string> = new Set();

/**
 * The reason every call of an agent that ended with nothing in flight is cancelled with. The signal
 * is still aborted (a call parked where it only polls `signal.aborted`, e.g. awaiting an approval,
 * must not start for an agent that is gone), but an agent that made one syscall and then idled must
 * not cost an Error with a stack trace when it ends: a million ended micro agents would build a
 * million. Read only as a cause or by such a poller, so one shared, frozen instance will do.
 */
export const ENDED_IDLE: AiosError = Object.freeze(new AiosError("E_CANCELLED", "the calling agent ended"));
/** The signal of an agent that ended before anything made its own (Proc.signal). */
const ENDED_SIGNAL: AbortSignal = AbortSignal.abort(ENDED_IDLE);

/**
 * A whole-millisecond creation time is kept as its distance from this one, which fits in a small
 * integer for weeks: V8 keeps such a field inside the object, where a full timestamp is a separate
 * heap number for every process. Times that are not whole numbers are kept as they are.
 */
const CREATED_BASE = Date.now();

/** What a dormant agent still needs to come back (recovery.ts); held on its Proc until it wakes. */
export interface Dormant {
  /** The status the journal holds: the agent resumes to it, and views show it meanwhile. */
  readonly status: AgentStatus;
  readonly checkpoint: unknown;
  readonly hasCheckpoint: boolean;
  /** Its journaled, unacknowledged mail, in order; letters journaled while it sleeps join the end. */
  readonly mail: StoredMessage[];
  /** The journaled parent did not come back: its module is held to an agent's roots. */
  orphan: boolean;
}

/** Real usage charged to an agent's budget (tokens, credits, wall time). */
export interface Usage {
  tokens: number;
  credits: number;
  wallTimeMs: number;
}
export const NO_USAGE: Readonly<Usage> = Object.freeze({ tokens: 0, credits: 0, wallTimeMs: 0 });

/** What a durable agent checkpoints: its logic's snapshot of its state, or the state itself. */
export function snapshotOf(p: Proc): unknown {
  return p.logic.snapshot !== undefined ? p.logic.snapshot(p.state) : p.state;
}

/** One receive in the run queue's credit: shares and credits are integers of 1/QUANTUM receive. */
export const QUANTUM = 1024;

/**
 * An agent's CPU share in the run queue: `weight` quanta per visit, times 1.25 per step of `priority`
 * (as nice levels scale CFS weights: +5 is about 3x, -5 about a third). An agent with a share below 1
 * is visited and skipped until its credit adds up to one receive, so every agent with mail still runs.
 * Counted in 1/QUANTUM of a receive, rounded (at least 1): an integer, which V8 keeps inside the
 * Proc, where a fraction (even 1.0 computed as a power) is a separate heap number per agent that
 * every run-queue visit loads, a cache miss of its own with 10,000 agents. The largest share
 * (weight 10,000 at priority +20) times two stays a small integer.
 */
export function shareOf(spec: AgentSpec): number {
  return Math.max(1, Math.round(spec.weight * 1.25 ** spec.priority * QUANTUM)) | 0;
}
