/**
 * How a subsystem joins the kernel, declared (DESIGN "Layers", docs/adr/0021). A subsystem is a
 * factory: `build(host, needs)` receives the kernel's narrow `SubsystemHost` (never the Kernel class)
 * and the services it declared in `needs` (and, when present, in `uses`), and returns a `Provision`:
 * the service it provides under its `name`, the door stages it implements, its syscalls, logics,
 * agent kinds, an `instrument` step run once every syscall is registered, and `stop`.
 *
 * The composition root (sdk/ boot) checks the declarations before it builds anything — every need
 * provided by a subsystem before it, no `uses` provided after it, no name or stage provided twice —
 * and throws E_CONFIG naming the missing provider; then it builds each in order, and assembles the
 * door once from the stages. A service exists when its factory returns, so nothing is "not installed
 * yet"; the stages are read by the door at call time, after assembly and before any agent runs.
 */
import type { AgentId, AgentStatus, Clock, EventBus, IdGenerator, Logger } from "../core/index.js";
import type { AgentLogic, AgentSpec, AgentSpecInput } from "./agent.js";
import type { KernelJournal, RecoveredState, SkillDirectory, StoredMessage, TopicDirectory } from "./journal.js";
import type { AuditSink, CallUsage, CapabilityChecker, PlainMailGate, PolicyEngine, QuotaManager, RemoteMailGate, ResourceScheduler, SyscallEffects, SyscallJournal, SyscallObserver, Tracer } from "./stages.js";
import type { Caller, SyscallDef, SyscallName, TraceSpan } from "./syscalls.js";

/** The door's stages a subsystem may implement; each is provided at most once (the kernel's defaults otherwise). */
export interface DoorStages {
  readonly capabilities?: CapabilityChecker;
  readonly policy?: PolicyEngine;
  readonly quota?: QuotaManager;
  readonly scheduler?: ResourceScheduler;
  readonly audit?: AuditSink;
  readonly syscallJournal?: SyscallJournal;
  readonly journal?: KernelJournal;
  readonly effects?: SyscallEffects;
  /** Trace context on messages and the spans of traced calls (observe/, while tracing is on). */
  readonly trace?: Tracer;
  /** Each call's outcome, told by the record stage (observe/'s metrics and anomaly feed). */
  readonly observer?: SyscallObserver;
  /** Receive-side checks of mail from other cluster nodes (ipc/, docs/adr/0038). */
  readonly remoteMail?: RemoteMailGate;
  /** Agents that take no plain letter, only envelopes (ipc/'s required signatures, docs/adr/0083). */
  readonly plainMail?: PlainMailGate;
}

export type StageName = keyof DoorStages;

/** A live agent as a subsystem sees it (the kernel's process entry, read-only). */
export interface AgentView extends Caller {
  readonly id: AgentId;
  readonly status: AgentStatus;
  readonly durable: boolean;
  readonly spec: AgentSpec;
  readonly mailbox: { readonly length: number } | null;
  /** The process it was created under (a supervisor acts for whoever created it); null: the operator's. */
  readonly parent: AgentView | null;
}

/** The reply callback a request's letter carries. */
export type LetterReply = (err: Error | null, value?: unknown) => void;

/** Any syscall definition, whatever its name (a Provision lists several). */
export type AnySyscallDef = { [N in SyscallName]: SyscallDef<N> }[SyscallName];

/** What the syscall table lets `instrument` do: look handlers up and wrap them. */
export interface SyscallTable {
  names(): string[];
  get(name: string): SyscallDef<SyscallName> | undefined;
  replace<N extends SyscallName>(def: SyscallDef<N>): void;
}

/** A caller of the door that may be no agent (the operator, a plan): it passes every stage like one. */
export interface DoorCaller extends Caller {
  callSeq: number;
  readonly durable: boolean;
  readonly signal?: AbortSignal;
}

/** A supervisor's child tree that ended or whose node died (docs/adr/0048). */
export interface RemoteDown {
  readonly supervisor: AgentId;
  readonly child: AgentId;
  /** The index of the supervisor's child spec it was started from. */
  readonly slot: number;
  /** node_down: its node's lease lapsed and another node took it over (it goes on there); ended: it ended. */
  readonly reason: "node_down" | "ended";
  /** ended: its terminal status. */
  readonly status?: "completed" | "failed" | "killed";
  /** node_down: the node that died and the epoch it held. */
  readonly node?: string;
  readonly epoch?: number;
}

/** The kernel as every subsystem factory is handed it: injected services and the live agents. */
export interface SubsystemHost {
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly logger: Logger;
  readonly events: EventBus;
  /** Senders one full mailbox may park before the next is refused E_MAILBOX_FULL (the kernel's limit). */
  readonly maxParkedSenders: number;
  /** The door as assembled at boot (read at call time: complete before any agent runs). */
  readonly guards: { readonly capabilities: CapabilityChecker; readonly audit: AuditSink | undefined; readonly remoteMail: RemoteMailGate | undefined };
  agent(id: string): AgentView | undefined;
  agents(): Iterable<AgentView>;
  /** Replaces the taint set an agent's calls carry (security/ hands the tracker's live view). */
  setTaint(id: string, labels: ReadonlySet<string>): void;
  /** Puts a payload in an agent's mailbox (the kernel's delivery: size limit, taint, durable journal). */
  deliver(from: string | undefined, to: string, payload: unknown, onFull: "wait" | "fail" | undefined, reply: LetterReply | undefined, key?: string): void | Promise<void>;
  /**
   * A deterministic message id for an envelope a durable agent sends while it handles a journaled
   * letter (the kernel's replayable sends); undefined for any other sender.
   */
  replayableSendId(agent: string): string | undefined;
  /** Invokes a syscall through the whole door as `caller`. */
  invoke(caller: DoorCaller, name: string, args: unknown): Promise<unknown>;
  /**
   * Sends a request from outside any agent, or as agent `from` (a tool acting for its caller, the
   * door having checked `agent:<to>#send` on the tool call); resolves with the agent's reply. `trace`:
   * the span of the call it is sent from (the letter carries it; the recipient's handling is its child).
   */
  request(to: string, payload: unknown, timeoutMs?: number, from?: string, trace?: TraceSpan): Promise<unknown>;
  /** Spawns `spec` as a child of `creator`, checked against the creator (the one spawn rule). */
  spawnAs(creator: Caller, spec: AgentSpecInput): Promise<AgentId>;
  /** Resolves when the agent ends. */
  wait(id: AgentId): Promise<{ readonly status: AgentStatus }>;
  /** Whether a syscall of that name is registered. */
  hasSyscall(name: string): boolean;
  /** Reports an error that has no caller to return to (a `kernel.error` event). */
  kernelError(e: unknown, where: string): void;
  /**
   * Enters durable agents whose journal this process just took over (a cluster node acquired their
   * lease, docs/adr/0033): dormant, as at a restart, and woken at once when they have mail.
   */
  adoptAgents(state: RecoveredState): Promise<{ readonly known: number; readonly failed: readonly { readonly id: AgentId; readonly reason: string }[] }>;
  /**
   * Stops the trees of these agents here and takes them out of the table, journaling nothing: their
   * lease moved to another node (taken over, fenced out, migrated), where they go on.
   */
  evictAgents(ids: readonly AgentId[], reason: string): void;
  /**
   * Hands already-journaled letters to an agent held here (mail from another cluster node, moved
   * into its journal): a dormant agent is woken; false when the agent is not in the table.
   */
  adoptMail(to: AgentId, letters: readonly StoredMessage[]): Promise<boolean>;
  /**
   * A supervisor's child tree went down (docs/adr/0048): the supervisor, held here, applies its
   * restart rules. "applied" once it did (or there was nothing to apply: the supervisor ended, the
   * child is not one of its current children); "absent" when the supervisor is not in this table.
   */
  remoteDown(down: RemoteDown): Promise<"applied" | "absent">;
  /** Ends an agent held here (journaled, as an operator's kill): a child tree whose supervisor let it go. */
  stopAgent(id: AgentId, reason: string): Promise<boolean>;
  /** True when the journal can take mail for agents held by other cluster nodes (KernelJournal.enqueueRemote). */
  remoteMail(): boolean;
  /** The cluster's push subscriptions, on a cluster node (KernelJournal.topics, docs/adr/0041). */
  remoteTopics(): TopicDirectory | undefined;
  /** The cluster's intent skills, on a cluster node (KernelJournal.skills, docs/adr/0055). */
  remoteSkills(): SkillDirectory | undefined;
}

/** What a factory returns. Everything but `service` is optional. */
export interface Provision<S> {
  /** Reachable by later subsystems (their `needs`) and by the SDK facade, under the subsystem's name. */
  readonly service: S;
  readonly stages?: DoorStages;
  readonly syscalls?: readonly AnySyscallDef[];
  /** Syscalls that take over a kernel default of the same name (ipc/'s SemanticSend). */
  readonly replaces?: readonly AnySyscallDef[];
  /** Logics specs can name with `logic: "<name>"`. */
  readonly logics?: Readonly<Record<string, AgentLogic>>;
  /** Agent kinds (`kind: llm`) and the factory that makes each agent's logic. */
  readonly kinds?: Readonly<Record<string, (spec: AgentSpec) => AgentLogic>>;
  /** Runs once every subsystem's syscalls are registered, before any agent runs (observe/ wraps handlers). */
  readonly instrument?: (table: SyscallTable) => void;
  /** The door's settle stage, extended: told the real usage of every counted call after the budgets are charged. */
  readonly settle?: (caller: Caller, usage: CallUsage) => void;
  /** Runs once the kernel has recovered its durable agents, before boot returns (resume work the journal holds open). */
  readonly start?: () => void;
  /**
   * An agent left the process table for good (ended, not to be restarted, out of the kernel's
   * window of ended agents): drop whatever is kept for it. Called synchronously by the kernel, never
   * through the event bus (which may drop events), so per-agent tables stay bounded.
   */
  readonly gone?: (agent: AgentId) => void;
  /**
   * Runs when the kernel begins to shut down, before any agent is stopped: stop starting work that
   * agents would do, so nothing is recorded as failed because the shutdown stopped them (the planner
   * interrupts its runs: their plans resume at the next boot).
   */
  readonly stopping?: () => void;
  /** Runs at shutdown, in the reverse order of building. */
  readonly stop?: () => void | Promise<void>;
}

/**
 * A subsystem: `Name` is the service it provides, `S` the service, `Needs` the services of other
 * subsystems it requires (`needs`, checked present) or can use when present (`uses`, checked not
 * provided after it). `Needs`' keys are the names in those lists.
 */
export interface Subsystem<Name extends string = string, S = unknown, Needs extends object = object> {
  readonly name: Name;
  readonly needs: readonly (keyof Needs & string)[];
  readonly uses?: readonly (keyof Needs & string)[];
  build(host: SubsystemHost, needs: Needs): Provision<S> | Promise<Provision<S>>;
}

/**
 * Any subsystem, whatever it provides and needs (the list boot takes). `build` is a method, so its
 * parameter is compared bivariantly and every Subsystem<Name, S, Needs> fits; boot hands each the
 * services its declarations name, checked before anything is built.
 */
export interface AnySubsystem {
  readonly name: string;
  readonly needs: readonly string[];
  readonly uses?: readonly string[];
  build(host: SubsystemHost, needs: never): Provision<unknown> | Promise<Provision<unknown>>;
}
