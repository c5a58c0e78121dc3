/**
 * What the kernel asks of a durable store (DESIGN invariant 2). The kernel calls these at the points
 * where state changes; the store issue implements them over the journal. With no KernelJournal
 * installed the kernel runs in memory only. Ephemeral agents are never journaled.
 *
 * Ordering contract: a send to a durable agent is acknowledged to its sender only after
 * `enqueue` resolved; a message is `handled` (acked + checkpoint, atomically) after receive returned.
 */
import type { AgentId, MessageId, AgentStatus } from "../core/index.js";
import type { AgentSpec } from "./agent.js";

/** The serialisable part of an agent's spec (no in-process logic object). */
export type StoredSpec = Omit<AgentSpec, "logic" | "children"> & { readonly logic?: string; readonly children?: readonly StoredSpec[] };

/**
 * A supervisor's child that is the root of a tree of its own on a cluster (docs/adr/0048): which
 * supervisor watches it and which of the supervisor's child specs (its index) it was started from.
 */
export interface SupervisorLink {
  readonly supervisor: AgentId;
  readonly slot: number;
}

export interface StoredAgent {
  readonly id: AgentId;
  readonly spec: StoredSpec;
  readonly parent?: AgentId;
  /** Set on the spawn of a supervisor's child tree (never journaled in the record: the cluster's directory keeps it). */
  readonly supervisor?: SupervisorLink;
  readonly status: AgentStatus;
  /** The last checkpoint (the logic's snapshot), if any. */
  readonly checkpoint?: unknown;
  /** Count of syscalls issued so far (so replayed calls line up with their journaled results). */
  readonly callSeq: number;
  /** De-duplication keys of the last handled keyed messages, oldest first (ipc/ restores its window). */
  readonly seen?: readonly string[];
}

export interface StoredMessage {
  readonly id: MessageId;
  readonly to: AgentId;
  readonly from?: AgentId;
  readonly payload: unknown;
  /** ipc/'s message id when the sender de-duplicates: journaled in the same record as the message. */
  readonly key?: string;
  /** A replayable send (ADR 0016): the letter the durable sender was handling, and the send's place in it. */
  readonly cause?: MessageId;
  readonly nth?: number;
  /** The W3C traceparent the message carried (tracing on): its handling after a restart stays in the sender's trace. */
  readonly trace?: string;
  /**
   * A request from another cluster node (docs/adr/0040): the node waiting for its reply, which goes
   * back under this message's id. Journaled with the letter, so the reply survives a takeover.
   */
  readonly route?: string;
}

/**
 * An agent as recovery reads it back: its spec exactly as journaled, not yet validated — the kernel
 * parses it (kernel/recovery.ts) once, with today's schema, so a spec this build no longer accepts is
 * reported there, and nothing parses it twice.
 */
export type RecoveredAgent = Omit<StoredAgent, "spec"> & { readonly spec: unknown };

export interface RecoveredState {
  readonly agents: readonly RecoveredAgent[];
  /** Messages enqueued and not yet handled, in enqueue order. */
  readonly mailboxes: ReadonlyMap<AgentId, readonly StoredMessage[]>;
  /** Human-readable report of what recovery found (corruption, truncation). */
  readonly report: readonly string[];
}

/** How a topic's copies reach a subscriber: its mailbox (push) or its SemanticRecv inbox (pull). */
export type SubscriptionMode = "push" | "pull";

/** A topic subscription as the cluster's directory keeps it. */
export interface TopicSubscription {
  readonly pattern: string;
  readonly mode: SubscriptionMode;
}

/**
 * A cluster node's directory of topic subscriptions (docs/adr/0041, 0068): where a topic's copies go
 * on other nodes. ipc/ records an agent's subscription after its door allowed it, and asks for the
 * subscribers of a topic when one is published; the receiving node checks its own subscriptions again.
 */
export interface TopicDirectory {
  /** Records (on) `agent`'s subscription to `pattern` in `mode`, or removes (off) every mode of it. */
  subscribe(agent: AgentId, pattern: string, on: boolean, mode?: SubscriptionMode): Promise<void>;
  /** Live agents of the cluster subscribed (push or pull) to a pattern matching `topic`, wherever they run, each once. */
  subscribers(topic: string): Promise<AgentId[]>;
}

/** A skill an agent registered for intent routing, as the cluster's directory keeps it (docs/adr/0055). */
export interface SkillEntry {
  readonly name: string;
  readonly description: string;
  readonly input?: string;
  readonly output?: string;
}

/**
 * On a cluster node: the skills agents registered for intent routing, wherever they run (docs/adr/
 * 0055). ipc/ records an agent's skills after its door allowed the registration; an intent routed on
 * any node weighs the skills of the cluster's live agents.
 */
export interface SkillDirectory {
  record(agent: AgentId, skills: readonly SkillEntry[]): Promise<void>;
  /** Live agents of the cluster with skills, each with its skills; only rows whose seal verifies. */
  live(): Promise<readonly { readonly agent: AgentId; readonly skills: readonly SkillEntry[] }[]>;
}

/** How a record is appended: `wait: false` starts no commit of its own (see KernelJournal.spawned). */
export interface AppendOptions {
  readonly wait?: false;
}

export interface KernelJournal {
  /**
   * The kernel's probe, handed over once at assembly: true while no agent waits on the run queue.
   * While it holds, the journal may commit a batch on the kernel's thread instead of handing it to
   * a writer thread (ADR 0072): nothing else would run meanwhile, and the hand-off's wake-ups go.
   */
  commitHereWhen?(idle: () => boolean): void;
  /** A cluster node's journal only: the cluster's push subscriptions (docs/adr/0041). */
  readonly topics?: TopicDirectory;
  /** A cluster node's journal only: the cluster's intent skills (docs/adr/0055). */
  readonly skills?: SkillDirectory;
  /**
   * A cluster node's journal only (docs/adr/0036): stores a message for an agent this process does
   * not hold — it runs on another node — and resolves once PostgreSQL committed it (the owner moves
   * it into the agent's journal and delivers it); E_NO_AGENT when no node has such an agent. A copy
   * with the same de-duplication key (`key`, or the replayable send's cause/nth) is stored once.
   * When that agent's mailbox is full, `onFull: "fail"` rejects E_MAILBOX_FULL; otherwise the letter
   * waits on this node for room and resolves once stored (docs/adr/0069).
   */
  enqueueRemote?(msg: StoredMessage, onFull?: "wait" | "fail"): Promise<void>;
  /**
   * A request for an agent on another cluster node (docs/adr/0040): stored like `enqueueRemote` with
   * this node as its reply route; `reply` is called once with the agent's reply or error when it comes
   * back (or never, when `timeoutMs` passes first: the caller's own timer answers then).
   */
  requestRemote?(msg: StoredMessage, reply: (err: Error | null, value?: unknown) => void, timeoutMs: number, onFull?: "wait" | "fail"): Promise<void>;
  /**
   * The reply callback of letter `id` to `to` that came from another node with a reply route
   * (`StoredMessage.route`). A reply made while this node no longer holds `to` is dropped (the next
   * owner handles the letter again and answers).
   */
  remoteReply?(route: string, id: MessageId, to: AgentId): (err: Error | null, value?: unknown) => void;
  /**
   * A cluster node's journal only (docs/adr/0050): this node's name as the reply route of a request
   * journaled for an agent held here, so the agent's next owner (a migration, a takeover, a restart
   * from the journal) answers it through `remoteReply` once the kernel kept its callback (`keepReply`).
   */
  readonly replyRoute?: string;
  /**
   * A cluster node's journal only (docs/adr/0050): an agent leaves this node (its lease moved) with a
   * request journaled under `id` that it had not answered: keep `reply` for the answer its next owner
   * sends back (by `replyRoute`). False: not kept (the kernel refuses the request as before).
   */
  keepReply?(id: MessageId, reply: (err: Error | null, value?: unknown) => void): boolean;
  /**
   * A cluster node's journal only (docs/adr/0050): where a new root agent runs. Resolves with the name
   * of another node when placement puts it there (its spawn record is then journaled under a lease
   * of this node and the tree handed to that node, which starts it); undefined: it runs here.
   */
  placeRoot?(agent: StoredAgent): Promise<string | undefined>;
  /**
   * `wait: false`: the caller does not wait for this record (it rides the next commit someone waits
   * for: the output commit of ADR 0052); a journal may ignore it and commit at once.
   */
  spawned(agent: StoredAgent, options?: AppendOptions): Promise<void>;
  transitioned(id: AgentId, to: AgentStatus, op: string, reason?: string): Promise<void>;
  /** A letter; one whose payload the journal cannot encode throws E_INVALID_ARG in the caller's turn. */
  enqueue(msg: StoredMessage, options?: AppendOptions): Promise<void>;
  /**
   * Message handled: ack it and store the new checkpoint in one atomic record. A checkpoint the
   * journal cannot encode (a BigInt, a cycle) throws E_INVALID_ARG in the caller's turn, naming the
   * path to the value; a store that fails later rejects the promise.
   */
  handled(id: AgentId, msgId: MessageId | undefined, checkpoint: unknown, callSeq: number): Promise<void>;
  /**
   * True when `from`'s send #`nth` while handling letter `cause` is already journaled (a replayable
   * send made before a crash); synchronous, valid after `recover()`. A store without it re-sends.
   */
  sent?(from: AgentId, cause: MessageId, nth: number): boolean;
  recover(): Promise<RecoveredState>;
  /**
   * The output commit (docs/adr/0052): resolves once every record appended before the call is
   * durable, starting a commit if records wait; rejects when a batch failed meanwhile. A journal
   * without it is one whose appends are awaited before the agent goes on (the kernel then waits for
   * each spawn record and letter before the agent starts on it, as before).
   */
  durable?(): Promise<void>;
  /**
   * With `durable()` (ADR 0053): false while the journal keeps up, so a durable agent's plain send to
   * a durable agent goes on while its letter commits; true when more records wait for a commit than
   * the journal's bound, so such a sender waits for its letter's commit (backpressure). A journal
   * without it makes every sender wait for its letter's commit.
   */
  backlogged?(): boolean;
  flush(): Promise<void>;
  close(): Promise<void>;
}
