/**
 * The kernel: a composition of components that each own their state (docs/adr/0029), built here once
 * with their collaborators by constructor:
 *
 * - process table (process-table.ts): the only place a process is built, entered or removed;
 * - lifecycle (lifecycle.ts): the only writer of a status; emits and journals every transition,
 *   spawn records and upgrades included;
 * - spawner (spawner.ts): parse, the one spawn rule, start — and a failed start leaves nothing;
 * - mail (mail.ts): mailboxes and delivery, durable delivery, orphaned mail, requests;
 * - run queue (run-loop.ts): the weighted round robin that runs receives and checkpoints;
 * - exits (exits.ts): how an agent ends, and who waits for it;
 * - supervision (supervision.ts), recovery (recovery.ts), operations (operations.ts);
 * - the door (dispatcher.ts) with the kernel's own syscalls (builtin-syscalls.ts).
 *
 * This class holds no agent state of its own besides the kernel-wide flags (closing, the grant
 * generation); its methods are the kernel's public surface, each a call into the component that
 * owns the work. Agents are in-process actors: one receive is one quantum, and the run loop yields
 * to the event loop every `sliceMs`, so no agent can starve the others or the kernel's I/O.
 */
import { EventBus, RealClock, CounterIds, silentLogger, toAiosError, type AgentId, type Clock, type IdGenerator, type Logger } from "../core/index.js";
import { isTerminal, type AgentContext, type AgentLogic, type AgentSpec, type AgentSpecInput, type Caller, type RemoteDown, type SendOptions, type StoredMessage, type TraceSpan } from "../abi/index.js";
import { DEFAULT_LIMITS, type KernelLimits } from "./limits.js";
import type { Letter } from "./mailbox.js";
import { Proc } from "./proc.js";
import { AgentCtx, type CtxDeps } from "./context.js";
import { InitCtx } from "./init-ctx.js";
import { Dispatcher } from "./dispatcher.js";
import type { Guards } from "./guards.js";
import { SyscallRegistry } from "./syscall-registry.js";
import { SpecCapabilityChecker } from "./spec-checker.js";
import { Hooks } from "./hooks.js";
import { Operations } from "./operations.js";
import { Supervision, supervisorLogic } from "./supervision.js";
import { builtinSyscalls } from "./builtin-syscalls.js";
import { RunLoop } from "./run-loop.js";
import { Lifecycle } from "./lifecycle.js";
import { Exits } from "./exits.js";
import type { ExitInfo, KernelFlags } from "./kernel-port.js";
import { LogicResolver, type LogicFactory } from "./logic-resolver.js";
import { startProc } from "./startup.js";
import { Recovery } from "./recovery.js";
import { EndedAgents } from "./ended.js";
import { ProcessTable } from "./process-table.js";
import { Mail } from "./mail.js";
import { OrphanMail } from "./orphan-mail.js";
import { Spawner, type SpawnOptions } from "./spawner.js";
import { ModuleRoots } from "./module-roots.js";
import { IsolatePool } from "./isolate-pool.js";
import { DEFAULT_ISOLATE_LIMITS, type IsolateLimits } from "./isolate-protocol.js";
import { admitBudget, settleBudget } from "./budgets.js";
import type { BootPhase } from "./boot-phases.js";

const NO_HOLDERS: readonly Proc[] = [];
const NO_OPTIONS: SpawnOptions = Object.freeze({});

export type { LogicFactory, ExitInfo };
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

export class Kernel {
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly logger: Logger;
  readonly events: EventBus;
  readonly syscalls = new SyscallRegistry();
  readonly hooks = new Hooks();
  readonly guards: Guards = {
    capabilities: new SpecCapabilityChecker(),
    policy: undefined, quota: undefined, scheduler: undefined, audit: undefined, syscallJournal: undefined, journal: undefined, effects: undefined, trace: undefined, observer: undefined, remoteMail: undefined, plainMail: undefined,
  };
  readonly dispatcher: Dispatcher;
  readonly durableDefault: boolean;
  readonly limits: KernelLimits;
  readonly flags: KernelFlags = { closing: false, capGeneration: 0, receiving: null };
  readonly procs: ProcessTable;
  readonly lifecycle: Lifecycle;
  readonly spawner: Spawner;
  readonly mail: Mail;
  readonly exits: Exits;
  readonly ops: Operations;
  readonly supervision: Supervision;
  /** Durable agents brought back after a restart, on first use (recovery.ts). */
  readonly recovery: Recovery;
  /** Ended agents kept visible (ended.ts). */
  readonly endedAgents: EndedAgents;
  private readonly loop: RunLoop;
  private readonly logics: LogicResolver;
  private readonly ctxDeps: CtxDeps;
  /** Threads of isolated agents, made on the first one. */
  private isolates: IsolatePool | undefined;
  private readonly shutdownFns: (() => void | Promise<void>)[] = [];
  private readonly stoppingFns: (() => void)[] = [];
  /** Agents whose tree left for another cluster node (evict): a letter journaled meanwhile went with it. */
  private readonly evicted = new WeakSet<Proc>();
  /** Boot's steps with their wall and CPU time, filled by createKernel (boot-phases.ts). */
  readonly bootPhases: BootPhase[] = [];

  constructor(options: KernelOptions = {}) {
    const clock = (this.clock = options.clock ?? new RealClock());
    const ids = (this.ids = options.ids ?? new CounterIds());
    const logger = (this.logger = options.logger ?? silentLogger);
    const events = (this.events = options.events ?? new EventBus(() => clock.now()));
    this.durableDefault = options.durable ?? false;
    const limits = (this.limits = { ...DEFAULT_LIMITS, ...(options.limits ?? {}) });
    const { guards, flags, hooks } = this;
    const kernelError = (e: unknown, where: string): void => this.kernelError(e, where);
    const moduleRoots = new ModuleRoots(options.moduleRoots);
    const isolateLimits = { ...DEFAULT_ISOLATE_LIMITS, ...(options.isolation ?? {}) };
    this.logics = new LogicResolver(moduleRoots, () => (this.isolates ??= new IsolatePool(isolateLimits)));
    const parse = (input: unknown, source?: string): AgentSpec => this.spawner.parse(input, source);
    const procs = (this.procs = new ProcessTable({ clock, ids, parse, capabilities: () => guards.capabilities, journaled: () => guards.journal !== undefined, durableDefault: this.durableDefault, kernelError }));
    this.endedAgents = new EndedAgents(procs, limits.keepEnded);
    const lifecycle = (this.lifecycle = new Lifecycle(events, () => guards.journal, kernelError));
    const schedule = (p: Proc): void => this.loop.schedule(p);
    const wake = (p: Proc): Promise<void> => (p.dormant === null ? Promise.resolve() : this.recovery.wake(p));
    const orphans = new OrphanMail();
    const exits = (this.exits = new Exits({
      lifecycle, procs, ended: this.endedAgents, orphans, guards, flags, kernelError, exited: (p, kind) => this.supervision.childExited(p, kind),
    }));
    const exit = exits.exit.bind(exits);
    const releaseIdle = exits.releaseIdle.bind(exits);
    const whenIdle = exits.whenIdle.bind(exits);
    this.dispatcher = new Dispatcher(this.syscalls, guards, events, clock, ids);
    this.dispatcher.onJournalError = (e) => this.kernelError(e, "syscall journal");
    this.dispatcher.wakeCaller = (c) => (c instanceof Proc && c.dormant !== null ? this.recovery.wake(c) : undefined);
    // A caller that is not the process object but names an agent (a subsystem acting as that agent:
    // the planner's model calls for the agent's plan) is charged to that agent's budgets all the same.
    const budgeted = (c: { readonly agent: string }): Proc | undefined => (c instanceof Proc ? c : procs.find(c.agent));
    this.dispatcher.budgets = {
      admit: (c) => {
        const p = budgeted(c);
        return p === undefined ? NO_HOLDERS : admitBudget(p);
      },
      settle: (c, holders, usage) => {
        const p = budgeted(c);
        if (p !== undefined) settleBudget(p, holders as Proc[], usage);
      },
    };
    const ctxOf = (p: Proc): AgentCtx => this.ctxOf(p);
    const loop = (this.loop = new RunLoop({ clock, logger, events, guards, flags, kernelError, ctxOf, exit, releaseIdle }, options.hogThresholdMs ?? 50, options.sliceMs ?? 5));
    // A record of an agent that went on before it committed (its spawn, a letter it was given), and
    // the journal refused it: the agent must not go on from a state the journal does not have (ADR
    // 0052); reported, and the agent ends.
    const lost = (p: Proc, e: unknown): void => {
      kernelError(e, `journal refused a record of ${p.id}`);
      if (!isTerminal(p.status)) exit(p, "failed", `the journal refused a record it went on from: ${toAiosError(e).message}`, "abnormal");
    };
    const evicted = (p: Proc): boolean => this.evicted.has(p);
    const mail = (this.mail = new Mail({ clock, ids, events, guards, limits, flags, procs, wake, runQueue: loop, orphans, lost, evicted }));
    const deliver = mail.deliver.bind(mail);
    this.ctxDeps = { ids, dispatcher: this.dispatcher, guards, flags, mail };
    const outputCommit = (): boolean => guards.journal?.durable !== undefined;
    // An init (at a start or a restore) gets a context of its own, not kept: an agent that never
    // receives holds none; its first receive makes the one that is kept (ctxOf).
    // A durable agent's init gets one whose effects after init are out of turn (init-ctx.ts).
    const initCtx = (p: Proc): AgentContext => {
      const own = (p.ctx as AgentCtx | null) ?? new AgentCtx(this.ctxDeps, p);
      return p.durable ? new InitCtx(own) : own;
    };
    const startDeps = { lifecycle, initCtx, exit, releaseIdle, schedule, startChildren: (p: Proc) => this.supervision.startChildren(p), outputCommit, lost };
    const start = (p: Proc, restored = false, acknowledged = true): void | Promise<void> => startProc(startDeps, p, restored, acknowledged);
    const spawner = (this.spawner = new Spawner({ procs, lifecycle, logics: this.logics, moduleRoots, hooks, guards, limits, flags, wake, start, exit }));
    const spawn = spawner.spawn.bind(spawner);
    const enter = spawner.enter.bind(spawner);
    const resolveLogicFor = spawner.resolveLogicFor.bind(spawner);
    this.recovery = new Recovery({
      procs, lifecycle, parse, checkLogicFor: spawner.checkLogicFor.bind(spawner), resolveLogicFor, initCtx, adoptLetter: mail.adoptLetter.bind(mail), schedule, kernelError,
    });
    this.supervision = new Supervision({
      clock, ids, events, find: (id) => procs.find(id), get: (id) => procs.get(id), spawn, enter, start, exit,
      adoptMail: (p) => orphans.adopt(p), refuseMail: (id, reason) => orphans.refuse(id, reason), kernelError,
      separateTrees: () => guards.journal?.placeRoot !== undefined,
      spawnTree: (spec, link) => spawn(spec, { link }),
    });
    this.logics.registerKind("supervisor", () => supervisorLogic);
    this.ops = new Operations({
      clock, events, guards, hooks, lifecycle, orphans, get: (id) => procs.get(id), wake, parse, spawn, enter, start, resolveLogicFor, exit, whenIdle, schedule,
      enqueue: (p, l, onFull) => mail.enqueue(p, l, onFull), kernelError,
    });
    const builtins = builtinSyscalls({
      parse, spawnAs: (c, s) => spawner.spawnAs(c, s), kill: (id, reason) => this.ops.kill(id, reason), find: (id) => procs.find(id), deliver,
      request: (from, to, payload, timeoutMs, span) => mail.request(from, to, payload, timeoutMs, span), results: this.dispatcher.results,
    });
    for (const def of builtins) this.syscalls.register(def);
  }

  /** The process table, read-only. */
  get table(): ReadonlyMap<AgentId, Proc> {
    return this.procs.view;
  }
  /** No agent waits on the run queue (the journal commits on this thread then: ADR 0072). */
  get idle(): boolean {
    return this.loop.idle;
  }

  get closing(): boolean {
    return this.flags.closing;
  }

  // ---- registration -------------------------------------------------------------------------

  registerLogic(name: string, logic: AgentLogic): void {
    this.logics.register(name, logic);
  }
  registerKind(kind: string, factory: LogicFactory): void {
    this.logics.registerKind(kind, factory);
  }
  /** Runs `fn` when shutdown begins, before any agent is stopped (Provision.stopping). */
  onStopping(fn: () => void): void {
    this.stoppingFns.push(fn);
  }

  onShutdown(fn: () => void | Promise<void>): void {
    this.shutdownFns.push(fn);
  }
  /** Forget cached capability decisions (after a grant or revocation). */
  invalidateCapabilities(): void {
    this.flags.capGeneration++;
  }

  // ---- agents -------------------------------------------------------------------------------

  /** Parses a spec, once per input object (spawner.ts). */
  parse(input: unknown, source?: string): AgentSpec {
    return this.spawner.parse(input, source);
  }
  /** Creates and starts an agent (spawner.ts); a failed start leaves nothing behind. */
  spawn(input: AgentSpecInput | AgentSpec, options: SpawnOptions = NO_OPTIONS): Promise<AgentId> {
    return this.spawner.spawn(input, options);
  }
  /** Spawns `spec` as a child of the calling agent (AgentSpawn, agent.spawn). */
  spawnAs(creator: Caller, spec: AgentSpecInput | AgentSpec): Promise<AgentId> {
    return this.spawner.spawnAs(creator, spec);
  }
  get(id: string): Proc {
    return this.procs.get(id);
  }
  find(id: string): Proc | undefined {
    return this.procs.find(id);
  }
  /** @internal the agent's context object, created on first use. */
  ctxOf(p: Proc): AgentCtx {
    return (p.ctx ??= new AgentCtx(this.ctxDeps, p)) as AgentCtx;
  }
  /** Resolves when the agent reaches a terminal state. */
  wait(id: AgentId): Promise<ExitInfo> {
    return this.exits.wait(this.procs.get(id));
  }

  /**
   * Stops the trees holding `ids` here, journaling nothing, and takes them out of the table: their
   * journal now belongs to another node (a cluster lease moved, docs/adr/0033), where they go on from
   * what the journal holds. Their queued letters stay journaled; a request waiting on one is answered
   * by the next owner when the journal keeps its callback (keepReply, docs/adr/0050), else refused.
   */
  evict(ids: readonly AgentId[], reason: string): void {
    for (const id of ids) {
      let root = this.procs.find(id);
      if (root === undefined) continue;
      while (root.parent !== null) root = root.parent;
      const tree: Proc[] = [];
      const walk = (p: Proc): void => {
        tree.push(p);
        for (const c of p.children ?? []) walk(c);
      };
      walk(root);
      const top = root;
      this.exits.leaving(() => this.lifecycle.unjournaled(() => this.exits.stopTree(top, reason)));
      for (const p of tree) {
        this.evicted.add(p);
        this.recovery.forget(p);
      }
      if (this.procs.find(top.id) === top) this.procs.discard(top, true);
    }
  }

  /**
   * A supervisor's child tree ended or lost its node (docs/adr/0048, told by the cluster): the
   * supervisor, woken when dormant, applies its restart rules. "absent": it is not in this table.
   */
  async remoteDown(d: RemoteDown): Promise<"applied" | "absent"> {
    const sup = this.procs.find(d.supervisor);
    if (sup === undefined) return "absent";
    if (sup.dormant !== null) await this.recovery.wake(sup);
    if (this.procs.find(d.supervisor) !== sup) return "absent";
    this.supervision.remoteDown(sup, d);
    return "applied";
  }

  /** Ends an agent held here as an operator's kill does (journaled; its supervisor does not restart it). */
  async stopAgent(id: AgentId, reason: string): Promise<boolean> {
    const p = this.procs.find(id);
    if (p === undefined || isTerminal(p.status)) return false;
    return this.ops.kill(id, reason);
  }

  /** Puts already-journaled letters in an agent's mailbox (cluster mail moved into its journal). */
  async adoptMail(to: AgentId, letters: readonly StoredMessage[]): Promise<boolean> {
    const p = this.procs.find(to);
    if (p === undefined || isTerminal(p.status)) return false;
    const d = p.dormant;
    if (d !== null) {
      // They join the mail its restore puts back, behind what the journal held before them: a letter
      // that waited for the wake instead was overtaken by letters moved after it (the restore had
      // already run for them), so the mailbox left journal order and a takeover's replay of call
      // numbers no longer matched (fault soak, seed 16141).
      d.mail.push(...letters);
      await this.recovery.wake(p);
      return this.procs.find(to) === p;
    }
    for (const m of letters) this.mail.adoptLetter(p, m);
    if (p.status === "running" && !p.queued && p.mailbox.length > 0) this.loop.schedule(p);
    return true;
  }

  // ---- mail ---------------------------------------------------------------------------------

  /** Delivers a message (mail.ts): synchronously when the mailbox had room, else a promise. */
  deliver(from: Proc | undefined, to: string, payload: unknown, onFull: SendOptions["onFull"], reply: Letter["reply"], key?: string): void | Promise<void> {
    return this.mail.deliver(from, to, payload, onFull, reply, key);
  }
  /** A durable agent's replayable message id for an envelope it sends now (mail.ts, ADR 0016). */
  replayableSendId(agent: string): string | undefined {
    return this.mail.replayableSendId(agent);
  }
  /** Sends a request and resolves with the agent's reply (ctx.reply, or the result it stops with). */
  request(from: Proc | undefined, to: string, payload: unknown, timeoutMs = 30_000, span?: TraceSpan): Promise<unknown> {
    return this.mail.request(from, to, payload, timeoutMs, span);
  }

  // ---- errors and shutdown ------------------------------------------------------------------

  kernelError(e: unknown, where: string): void {
    const err = toAiosError(e);
    this.logger.error({ err: err.toJSON(), where }, "kernel error");
    if (this.events.wants("kernel.error")) this.events.emit("kernel.error", { error: err.toJSON(), where }, undefined, "error");
  }

  /** Stops admitting work, ends every agent (children before parents), runs shutdown hooks. */
  async shutdown(reason = "shutdown"): Promise<void> {
    if (this.flags.closing) return;
    this.flags.closing = true;
    for (const fn of this.stoppingFns) {
      try {
        fn();
      } catch (e) {
        this.kernelError(e, "shutdown: a subsystem's stopping step");
      }
    }
    const exits = this.exits;
    // Drain: running steps finish (their checkpoints are journaled) before anything is stopped.
    for (const p of [...this.procs.values()]) if (p.busy) await exits.whenIdle(p);
    for (const p of [...this.procs.values()].filter((x) => x.parent === null)) {
      await exits.whenIdle(p);
      // A kernel shutdown stops durable agents without ending them: they resume at the next boot.
      this.lifecycle.unjournaled(() => exits.stopTree(p, reason));
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
}
