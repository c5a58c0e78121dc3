/**
 * The kernel core: the process table, spawning (with startup.ts), message delivery (durable
 * recipients through durable-delivery.ts), and exits. Lifecycle operations (operations.ts),
 * supervision (supervision.ts), status views (views.ts) and the syscall door (dispatcher.ts) build on
 * it. Agents are in-process actors: one receive is one quantum, the run queue (run-loop.ts) is a
 * weighted round robin, and the loop yields to the event loop every `sliceMs`, so no agent can
 * starve the others or the kernel's I/O.
 */
import {
  AiosError, EventBus, RealClock, CounterIds, silentLogger, toAiosError,
  type AgentId, type Clock, type IdGenerator, type Logger, type MessageId,
} from "../core/index.js";
import { isTerminal } from "../abi/index.js";
import { checkPayloadSize, DEFAULT_LIMITS, type KernelLimits } from "./limits.js";
import { isLetter, type Letter, type Mailbox } from "./mailbox.js";
import { Proc } from "./proc.js";
import { parseSpec, type AgentSpec, type AgentSpecInput } from "../abi/index.js";
import type { AgentLogic, Caller, SendOptions } from "../abi/index.js";
import { AgentCtx } from "./context.js";
import { Dispatcher, SyscallRegistry, type Guards } from "./dispatcher.js";
import { SpecCapabilityChecker } from "./spec-checker.js";
import { Hooks } from "./hooks.js";
import type { ExitKind } from "./supervisor-state.js";
import { Operations } from "./operations.js";
import { Supervision } from "./supervision.js";
import { builtinSyscalls } from "./builtin-syscalls.js";
import { RunLoop } from "./run-loop.js";
import { Lifecycle } from "./lifecycle.js";
import { endProcess } from "./exits.js";
import { OrphanMail } from "./orphan-mail.js";
import type { ExitInfo, KernelPort } from "./kernel-port.js";
import { requestReply } from "./request.js";
import { LogicResolver, type LogicFactory } from "./logic-resolver.js";
import { startProc } from "./startup.js";
import { Recovery } from "./recovery.js";
import { EndedAgents } from "./ended.js";
import { ProcessTable } from "./process-table.js";
import { DurableDelivery } from "./durable-delivery.js";
import { asCreator, checkCreate, creatorOf, originOf } from "./spawn-rule.js";
import { withImplied } from "./implied-caps.js";
import { ModuleRoots, namesModule } from "./module-roots.js";
import { stampIsolated } from "./isolation.js";
import { IsolatePool } from "./isolate-pool.js";
import { DEFAULT_ISOLATE_LIMITS, type IsolateLimits } from "./isolate-protocol.js";
import { admitBudget, settleBudget } from "./budgets.js";

const NO_HOLDERS: readonly Proc[] = [];

/** The journaled letter a durable agent is handling, if any (its sends are then replayable). */
function letterId(p: Proc): MessageId | undefined {
  const cur = p.current;
  return isLetter(cur) && cur.id !== undefined ? (cur.id as MessageId) : undefined;
}

export type { LogicFactory };
export { storedSpec } from "./stored-spec.js";

export interface KernelOptions {
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  readonly logger?: Logger;
  readonly events?: EventBus;
  /** Journal non-ephemeral agents unless their spec says otherwise (needs a KernelJournal). */
  readonly durable?: boolean;
  /** Receives slower than this are reported as `agent.hog` (default 50 ms; 0 disables). */
  readonly hogThresholdMs?: number;
  /** The run loop yields to the event loop after this long (default 5 ms). */
  readonly sliceMs?: number;
  /** Message size, parked senders and children limits (limits.ts; defaults DEFAULT_LIMITS). */
  readonly limits?: Partial<KernelLimits>;
  /**
   * Directories a spec's `module` may name code in (module-roots.ts, docs/adr/0022). Unset: the
   * operator's spawns may load from the working directory, agents' from nowhere.
   */
  readonly moduleRoots?: readonly string[];
  /** Limits of isolated agents (isolate-protocol.ts; defaults DEFAULT_ISOLATE_LIMITS). */
  readonly isolation?: Partial<IsolateLimits>;
}


export type { ExitInfo };

/**
 * Brands specs parse() produced (module-private: nothing else can mint it). Own and frozen: an
 * object inheriting from a parsed spec has no own brand, and a Proxy can only report a brand on a
 * frozen object when its target really is such a spec, whose frozen values it must then report.
 */
const PARSED_SPEC = Symbol("aios.parsedSpec");
function isParsedSpec(v: unknown): v is AgentSpec {
  return typeof v === "object" && v !== null && Object.hasOwn(v, PARSED_SPEC) && Object.isFrozen(v);
}

export class Kernel implements KernelPort {
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly logger: Logger;
  readonly events: EventBus;
  readonly syscalls = new SyscallRegistry();
  readonly hooks = new Hooks();
  readonly guards: Guards = {
    capabilities: new SpecCapabilityChecker(),
    policy: undefined, quota: undefined, scheduler: undefined, audit: undefined, syscallJournal: undefined, journal: undefined, effects: undefined, trace: undefined,
  };
  readonly dispatcher: Dispatcher;
  readonly durableDefault: boolean;
  readonly limits: KernelLimits;
  /** @internal restores a dormant agent (and its tree) before its first use (recovery.ts). */
  wake(p: Proc): Promise<void> {
    return p.dormant === null ? Promise.resolve() : this.recovery.wake(p);
  }

  /** The process table: the only creator and remover of processes (process-table.ts). */
  readonly procs: ProcessTable;
  /** The process table, read-only. */
  get table(): ReadonlyMap<AgentId, Proc> {
    return this.procs.view;
  }
  readonly moduleRoots: ModuleRoots;
  /** Ended agents kept visible, and the subsystems told when one leaves the table (ended.ts). */
  readonly endedAgents: EndedAgents;
  private readonly logics: LogicResolver;
  /** Threads of isolated agents, made on the first one. */
  private isolates: IsolatePool | undefined;
  /** The last input parse() saw and its spec: a program spawning one spec object over and over. */
  private lastSpecInput: unknown;
  private lastSpec: AgentSpec | undefined;
  /** @internal who waits for which agent to end (wait()). */
  readonly exitWaiters = new Map<AgentId, ((e: ExitInfo) => void)[]>();
  private readonly shutdownFns: (() => void | Promise<void>)[] = [];
  /** @internal mail of supervised agents that exited and may be restarted. */
  readonly orphanMail = new OrphanMail();
  /** Resolves when the kernel's helpers (the hog-detection clock) are up. */
  get ready(): Promise<void> {
    return this.loop.ready;
  }
  private readonly loop: RunLoop;
  private letterSeq = 0;
  /** Bumped when grants change, so per-agent cached send decisions are recomputed. */
  capGeneration = 0;
  closing = false;
  /** The only writer of a status (lifecycle.ts). */
  readonly lifecycle: Lifecycle;
  /** Called after an agent exits (supervision.ts hooks in here). */
  onExit: ((p: Proc, kind: ExitKind) => void) | undefined;
  /** Starts a supervisor's children (supervision.ts). */
  onSupervisorStart: ((p: Proc) => Promise<void>) | undefined;
  readonly ops: Operations;
  readonly supervision: Supervision;
  private readonly durableDelivery = new DurableDelivery(this);
  /** Durable agents brought back after a restart, on first use (recovery.ts). */
  readonly recovery: Recovery = new Recovery(this);

  constructor(options: KernelOptions = {}) {
    this.clock = options.clock ?? new RealClock();
    this.ids = options.ids ?? new CounterIds();
    this.logger = options.logger ?? silentLogger;
    this.events = options.events ?? new EventBus(() => this.clock.now());
    this.durableDefault = options.durable ?? false;
    this.limits = { ...DEFAULT_LIMITS, ...(options.limits ?? {}) };
    this.moduleRoots = new ModuleRoots(options.moduleRoots);
    this.procs = new ProcessTable({
      clock: this.clock, ids: this.ids, parse: (i) => this.parse(i), capabilities: () => this.guards.capabilities,
      journaled: () => this.guards.journal !== undefined, durableDefault: this.durableDefault, kernelError: (e, where) => this.kernelError(e, where),
    });
    this.endedAgents = new EndedAgents(this.procs, this.limits.keepEnded);
    const isolateLimits = { ...DEFAULT_ISOLATE_LIMITS, ...(options.isolation ?? {}) };
    this.logics = new LogicResolver(this.moduleRoots, () => (this.isolates ??= new IsolatePool(isolateLimits)));
    this.lifecycle = new Lifecycle(this.events, () => this.guards.journal, (e, where) => this.kernelError(e, where));
    this.loop = new RunLoop(this, options.hogThresholdMs ?? 50, options.sliceMs ?? 5);
    this.dispatcher = new Dispatcher(this.syscalls, this.guards, this.events, this.clock, this.ids);
    this.dispatcher.onJournalError = (e) => this.kernelError(e, "syscall journal");
    this.dispatcher.wakeCaller = (c) => (c instanceof Proc && c.dormant !== null ? this.recovery.wake(c) : undefined);
    this.dispatcher.budgets = {
      admit: (c) => (c instanceof Proc ? admitBudget(c) : NO_HOLDERS),
      settle: (c, holders, usage) => {
        if (c instanceof Proc) settleBudget(c, holders as Proc[], usage);
      },
    };
    this.ops = new Operations(this);
    this.supervision = new Supervision(this);
    for (const def of builtinSyscalls(this)) this.syscalls.register(def);
  }

  // ---- registration -------------------------------------------------------------------------

  registerLogic(name: string, logic: AgentLogic): void {
    this.logics.register(name, logic);
  }
  registerKind(kind: string, factory: LogicFactory): void {
    this.logics.registerKind(kind, factory);
  }
  onShutdown(fn: () => void | Promise<void>): void {
    this.shutdownFns.push(fn);
  }
  /** Forget cached capability decisions (after a grant or revocation). */
  invalidateCapabilities(): void {
    this.capGeneration++;
  }

  // ---- spawning -----------------------------------------------------------------------------

  /**
   * Parses a spec (frozen after parsing). A spec this kernel parsed carries a private, non-enumerable
   * brand and is returned as it is (a spread copy is not branded, so a changed copy is parsed); the
   * last input object is remembered, so one spec object spawned over and over is parsed once, as it
   * was with a WeakMap per input — whose two entries per spawned spec cost more, in the GC's
   * ephemeron work, than the parse of a distinct spec (abi/spec-check.ts) now does.
   */
  parse(input: unknown, source?: string): AgentSpec {
    if (input === this.lastSpecInput && this.lastSpec !== undefined) return this.lastSpec;
    if (isParsedSpec(input)) return input;
    const spec = parseSpec(input, source);
    Object.defineProperty(spec, PARSED_SPEC, { value: true });
    Object.freeze(spec);
    this.lastSpecInput = input;
    this.lastSpec = spec;
    return spec;
  }

  /**
   * Creates and starts an agent. Under a `parent`, the whole spec tree is checked up front against
   * the parent's creator (spawn-rule.ts) and each node again as it is created, so nothing is
   * half-created and no route widens authority.
   */
  async spawn(input: AgentSpecInput | AgentSpec, options: { parent?: string; id?: AgentId; state?: unknown } = {}): Promise<AgentId> {
    if (this.closing) throw new AiosError("E_SHUTDOWN", "the kernel is shutting down; no new agents");
    let spec = this.parse(input);
    const parent = options.parent === undefined ? null : this.get(options.parent);
    if (parent !== null && parent.dormant !== null) await this.recovery.wake(parent);
    // Code an agent names runs isolated; the spec says so from here on (journal, clones, restarts).
    if (parent !== null && (spec.module !== undefined || spec.children !== undefined) && originOf(parent) === "agent") {
      const stamped = stampIsolated(spec);
      if (stamped !== undefined) spec = this.parse(stamped);
    }
    if (parent !== null && isTerminal(parent.status)) {
      throw new AiosError("E_NO_AGENT", `cannot spawn under ${parent.id}: it is ${parent.status}`, { details: { agent: parent.id } });
    }
    spec = this.withImplied(spec, parent);
    checkCreate(parent, spec, this.guards.capabilities, true);
    const origin = originOf(parent);
    // Only the operator names code: every module in the tree, checked before anything is created.
    if (spec.children !== undefined && namesModule(spec)) this.moduleRoots.checkTree(spec, origin);
    if (this.hooks.has("spawn")) await this.hooks.runPre({ op: "spawn", agents: [], details: { spec } });
    const resolved = this.logics.resolve(spec, origin);
    const logic = resolved instanceof Promise ? await resolved : resolved;
    const p = this.createProc(spec, logic, parent, options.id);
    if (options.state !== undefined) p.state = options.state;
    try {
      const started = this.start(p, options.state !== undefined);
      if (started !== undefined) await started;
    } catch (e) {
      this.abandonStart(p, e);
      throw e;
    }
    if (this.hooks.has("spawn")) await this.hooks.runPost({ op: "spawn", agents: [p.id], details: { spec } }, p.id);
    return p.id;
  }

  /**
   * A start that failed (init threw, the spawn record was refused, a supervisor's child could not
   * start) leaves nothing behind: the agent ends `failed` if it has not (its children with it), and
   * the process table takes it and what it started out, as if it had never entered.
   */
  private abandonStart(p: Proc, e: unknown): void {
    if (!isTerminal(p.status)) this.exit(p, "failed", `start failed: ${toAiosError(e).message}`, "abnormal");
    this.procs.discard(p, true);
  }

  /** The spec with what its model and tools imply, as far as its creator can give it (implied-caps.ts). */
  private withImplied(spec: AgentSpec, parent: Proc | null): AgentSpec {
    if (spec.kind === "code" && spec.tools.length === 0) return spec;
    const creator = creatorOf(parent);
    return withImplied(spec, creator === null ? null : asCreator(creator, this.guards.capabilities), (s) => this.parse(s));
  }

  /** Spawns `spec` as a child of the calling agent (AgentSpawn, agent.spawn). */
  spawnAs(creator: Caller, spec: AgentSpecInput | AgentSpec): Promise<AgentId> {
    const alive = this.procs.find(creator.agent)?.children?.filter((c) => !isTerminal(c.status)).length ?? 0;
    if (alive >= this.limits.maxChildren) {
      return Promise.reject(new AiosError("E_QUOTA", `agent ${creator.agent} already has ${alive} children alive (limit ${this.limits.maxChildren})`, { details: { limit: this.limits.maxChildren } }));
    }
    return this.spawn(spec, { parent: creator.agent });
  }

  /**
   * @internal builds a process under `parent` and enters it in the table (process-table.ts; `slot`:
   * in that child's place, for a restarted child), announcing it.
   */
  createProc(spec: AgentSpec, logic: AgentLogic, parent: Proc | null, id?: AgentId, incarnation = 0, options: { slot?: Proc } = {}): Proc {
    const p = this.procs.build(spec, logic, parent, id, incarnation);
    this.procs.commit(p, options.slot);
    this.announce(p);
    return p;
  }

  /** @internal the events of a process entering the table: spawned, and its `pending` status. */
  announce(p: Proc): void {
    this.lifecycle.created(p);
  }

  /** @internal runs init and moves the agent to running (startup.ts). */
  start(p: Proc, restored = false): void | Promise<void> {
    return startProc(this, p, restored);
  }

  /**
   * @internal the logic a spec names for an agent under `parent` (recovery re-resolves journaled
   * specs, upgrade a new one): a module is checked against the roots of whoever that agent's creator
   * is; "agent" when the creator is not known (a journaled parent that did not come back).
   */
  resolveLogicFor(spec: AgentSpec, parent: Proc | null | "agent"): AgentLogic | Promise<AgentLogic> {
    const origin = parent === "agent" ? "agent" : originOf(parent);
    if (namesModule(spec)) this.moduleRoots.checkTree(spec, origin);
    return this.logics.resolve(spec, origin);
  }

  /**
   * @internal what resolveLogicFor would refuse, found without loading or running anything: every
   * module of the tree against the roots of the agent's creator, the logic name or kind known.
   */
  checkLogicFor(spec: AgentSpec, parent: Proc | null | "agent"): void {
    const origin = parent === "agent" ? "agent" : originOf(parent);
    if (namesModule(spec)) this.moduleRoots.checkTree(spec, origin);
    this.logics.check(spec, origin);
  }

  /** @internal puts a recovered (already journaled) message back in a mailbox. */
  adoptLetter(p: Proc, m: { payload: unknown; from: AgentId | undefined; id: string; trace?: string | undefined }): void {
    const seq = ++this.letterSeq;
    p.mailbox.force(m.trace === undefined ? { payload: m.payload, from: m.from, seq, reply: undefined, id: m.id } : { payload: m.payload, from: m.from, seq, reply: undefined, id: m.id, trace: m.trace });
  }

  /** @internal a recovered agent resumes: running (and paused again if it was paused). */
  resumeRestored(p: Proc, paused: boolean): void {
    this.lifecycle.recovered(p, paused);
    if (!paused && p.mailbox.length > 0) this.schedule(p);
  }

  // ---- lookup -------------------------------------------------------------------------------

  get(id: string): Proc {
    return this.procs.get(id);
  }
  find(id: string): Proc | undefined {
    return this.procs.find(id);
  }
  /** @internal the agent's context object, created on first use. */
  ctxOf(p: Proc): AgentCtx {
    return (p.ctx ??= new AgentCtx(this, p)) as AgentCtx;
  }

  // ---- messaging ----------------------------------------------------------------------------

  /**
   * Delivers a message. Returns synchronously when the mailbox had room; a promise when the sender
   * must wait for room or for the journal (durable recipient). `key` (ipc/'s message id) is
   * journaled with a durable recipient's copy, so its de-duplication window survives a restart.
   */
  deliver(from: Proc | undefined, to: string, payload: unknown, onFull: SendOptions["onFull"], reply: Letter["reply"], key?: string): void | Promise<void> {
    const p = this.procs.find(to);
    // A dormant recipient is restored first (recovery.ts): a failed restore refuses the message.
    if (p !== undefined && p.dormant !== null) return this.recovery.wake(p).then(() => this.deliver(from, to, payload, onFull, reply, key));
    // A durable agent's plain send while it handles a journaled letter is replayable (ADR 0016): it
    // is numbered before anything can refuse it, so a second handling after a crash numbers alike.
    const cause = from !== undefined && from.durable && from.handling && key === undefined && reply === undefined ? letterId(from) : undefined;
    const nth = cause === undefined ? 0 : ++(from as Proc).sends;
    if (p === undefined || isTerminal(p.status)) {
      throw new AiosError("E_NO_AGENT", p === undefined ? `no agent ${to}` : `agent ${to} is ${p.status}`, { details: { agent: to } });
    }
    checkPayloadSize(payload, this.limits.maxMessageBytes);
    if (from !== undefined && (from.taint.size > 0 || from.tenant !== p.tenant)) this.guards.effects?.message?.(from, p);
    // Tracing on: the letter carries the sending call's trace context (off: one property read).
    const trace = this.guards.trace?.context(from);
    const j = this.guards.journal;
    if (p.durable && j !== undefined) {
      const letter: Letter = trace === undefined ? { payload, from: from?.id, seq: ++this.letterSeq, reply, id: undefined } : { payload, from: from?.id, seq: ++this.letterSeq, reply, id: undefined, trace };
      if (cause !== undefined) {
        // Journaled before a crash: the recipient has (or already handled) that copy.
        if (j.sent?.(from?.id as AgentId, cause, nth) === true) return;
        return this.durableDelivery.deliver(p, letter, onFull, key, { cause, nth });
      }
      return this.durableDelivery.deliver(p, letter, onFull, key);
    }
    if (trace !== undefined) return this.enqueue(p, { payload, from: from?.id, seq: ++this.letterSeq, reply, id: undefined, trace }, onFull);
    if (reply !== undefined) return this.enqueue(p, { payload, from: from?.id, seq: ++this.letterSeq, reply, id: undefined }, onFull);
    // A plain send: the payload and the sender's id go into the mailbox as they are, nothing allocated.
    const mb = p.mailbox;
    if (mb.offer(payload, from?.id)) {
      if (!p.queued) this.loop.schedule(p);
      return;
    }
    return this.refuseOrPark(p, { payload, from: from?.id, seq: ++this.letterSeq, reply: undefined, id: undefined }, onFull);
  }

  /**
   * A deterministic message id for an envelope a durable agent sends while it handles a journaled
   * letter (ADR 0016): the letter's id and the send's place in that handling, numbered with its
   * plain sends. Handled again after a crash, the agent sends the same id and the recipient's
   * de-duplication window drops the copy. Undefined for any other sender.
   */
  replayableSendId(agent: string): string | undefined {
    const p = this.procs.find(agent);
    if (p === undefined || !p.durable || !p.handling) return undefined;
    const cause = letterId(p);
    return cause === undefined ? undefined : `${cause}.${++p.sends}`;
  }

  /** @internal puts a letter in the mailbox, or parks/refuses it when full. */
  enqueue(p: Proc, letter: Letter, onFull: SendOptions["onFull"]): void | Promise<void> {
    const mb = p.mailbox;
    if (mb.offer(letter.payload, letter)) {
      if (!p.queued) this.loop.schedule(p);
      return;
    }
    return this.refuseOrPark(p, letter, onFull);
  }

  /** @internal a full mailbox: refuses the letter (E_MAILBOX_FULL) or parks its sender until there is room. */
  refuseOrPark(p: Proc, letter: Letter, onFull: SendOptions["onFull"]): Promise<void> {
    const mb: Mailbox = p;
    if ((onFull ?? mb.onFull) === "fail") {
      if (this.events.wants("mailbox.full")) this.events.emit("mailbox.full", { to: p.id, capacity: mb.capacity }, letter.from, "warn");
      throw new AiosError("E_MAILBOX_FULL", `the mailbox of ${p.spec.name} (${p.id}) is full (${mb.capacity} messages)`, { details: { agent: p.id, capacity: mb.capacity } });
    }
    if (mb.waiting >= this.limits.maxParkedSenders) {
      throw new AiosError("E_MAILBOX_FULL", `the mailbox of ${p.spec.name} (${p.id}) is full and ${mb.waiting} senders already wait for room`, {
        details: { agent: p.id, capacity: mb.capacity, waiting: mb.waiting },
      });
    }
    return mb.park(letter);
  }

  /** Sends a request and resolves with the agent's reply (ctx.reply, or the result it stops with). */
  request(from: Proc | undefined, to: string, payload: unknown, timeoutMs = 30_000): Promise<unknown> {
    return requestReply(this, from, to, payload, timeoutMs);
  }

  /** @internal puts a running agent with mail on the run queue. */
  schedule(p: Proc): void {
    this.loop.schedule(p);
  }

  // ---- transitions and exits ----------------------------------------------------------------

  /** @internal ends an agent: transition, terminate hook, refuse its mail, end its children, tell its supervisor. */
  exit(p: Proc, to: "completed" | "failed" | "killed", reason: string, kind: ExitKind, result?: unknown): void {
    endProcess(this, p, to, reason, kind, result);
  }

  /** @internal runs `fn` with its transitions not journaled (restart.ts: a durable agent's stop is not its end). */
  withoutJournal(fn: () => void): void {
    this.lifecycle.duringShutdown(fn);
  }

  /** @internal hands an exited agent's kept mail to its new incarnation. */
  adoptMail(p: Proc): void {
    this.orphanMail.adopt(p);
  }

  /** @internal refuses the kept mail of an agent that will not come back. */
  refuseMail(id: AgentId, reason: string): void {
    this.orphanMail.refuse(id, reason);
  }

  /** Resolves when the agent reaches a terminal state. */
  wait(id: AgentId): Promise<ExitInfo> {
    const p = this.get(id);
    if (isTerminal(p.status)) return Promise.resolve({ id, status: p.status, reason: p.exitReason, result: p.result });
    return new Promise((resolve) => {
      this.exitWaiters.set(id, [...(this.exitWaiters.get(id) ?? []), resolve]);
    });
  }

  /** @internal resolves when no receive is running for the agent. */
  whenIdle(p: Proc): Promise<void> {
    if (!p.busy) return Promise.resolve();
    return new Promise((r) => (p.idleWaiters ??= []).push(r));
  }
  /** @internal wakes whoever waits for the agent's in-flight receive to finish. */
  releaseIdle(p: Proc): void {
    const w = p.idleWaiters;
    if (w === null) return;
    p.idleWaiters = null;
    for (const r of w) r();
  }

  kernelError(e: unknown, where: string): void {
    const err = toAiosError(e);
    this.logger.error({ err: err.toJSON(), where }, "kernel error");
    if (this.events.wants("kernel.error")) this.events.emit("kernel.error", { error: err.toJSON(), where }, undefined, "error");
  }

  /** Stops admitting work, ends every agent (children before parents), runs shutdown hooks. */
  async shutdown(reason = "shutdown"): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    // Drain: running steps finish (their checkpoints are journaled) before anything is stopped.
    for (const p of [...this.procs.values()]) if (p.busy) await this.whenIdle(p);
    for (const p of [...this.procs.values()].filter((x) => x.parent === null)) {
      await this.whenIdle(p);
      // A kernel shutdown stops durable agents without ending them: they resume at the next boot.
      this.lifecycle.duringShutdown(() => this.stopTree(p, reason));
    }
    for (const fn of [...this.shutdownFns].reverse()) {
      try {
        await fn();
      } catch (e) {
        this.kernelError(e, "shutdown hook");
      }
    }
    if (this.events.wants("kernel.shutdown")) this.events.emit("kernel.shutdown", { reason });
    await this.isolates?.close();
    await this.loop.close();
  }

  private stopDormant(p: Proc, reason: string): void {
    for (const c of p.children ?? []) this.stopTree(c, reason);
    const waiters = this.exitWaiters.get(p.id);
    if (waiters === undefined) return;
    this.exitWaiters.delete(p.id);
    for (const w of waiters) w({ id: p.id, status: "killed", reason, result: undefined });
  }

  private stopTree(p: Proc, reason: string): void {
    // A dormant agent never started in this process: nothing of it runs or ends; it stays as the
    // journal holds it (its tree is dormant with it). Only whoever waits for it hears of the stop.
    if (p.dormant !== null) return this.stopDormant(p, reason);
    if (p.sup !== null) p.sup.stopping = true;
    for (const c of [...(p.children ?? [])].reverse()) this.stopTree(c, reason);
    if (!isTerminal(p.status)) this.exit(p, "killed", reason, "shutdown");
  }
}
