/**
 * The kernel core: the process table, spawning, the run queue and message delivery, and exits.
 * Lifecycle operations (operations.ts), supervision (supervision.ts), status views (views.ts) and the
 * syscall door (dispatcher.ts) build on it. Agents are in-process actors: one receive is one quantum,
 * the run queue is round robin, and the loop yields to the event loop every `sliceMs`, so no agent
 * can starve the others or the kernel's I/O.
 */
import {
  AiosError, CoarseClock, EventBus, RealClock, CounterIds, silentLogger, toAiosError,
  type AgentId, type Clock, type IdGenerator, type Logger, type AgentStatus, type MessageId,
} from "../core/index.js";
import { checkTransition, isTerminal } from "./lifecycle.js";
import { Mailbox, type Letter } from "./mailbox.js";
import { Proc } from "./proc.js";
import { parseSpec, type AgentSpec, type AgentSpecInput } from "./spec.js";
import { isStop, type AgentLogic, type SendOptions } from "./logic.js";
import { AgentCtx } from "./context.js";
import { Dispatcher, SyscallRegistry, type Guards } from "./dispatcher.js";
import { SpecCapabilityChecker } from "./spec-capabilities.js";
import { Hooks } from "./hooks.js";
import { Ring } from "../core/index.js";
import type { ExitKind } from "./supervisor-state.js";
import { Operations } from "./operations.js";
import { Supervision } from "./supervision.js";
import { builtinSyscalls } from "./builtin-syscalls.js";
import type { StoredSpec } from "./durability.js";

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
}

export type LogicFactory = (spec: AgentSpec, kernel: Kernel) => AgentLogic;

export interface ExitInfo {
  readonly id: AgentId;
  readonly status: AgentStatus;
  readonly reason: string | undefined;
  readonly result: unknown;
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
    policy: undefined, quota: undefined, scheduler: undefined, audit: undefined, syscallJournal: undefined, journal: undefined, effects: undefined,
  };
  readonly dispatcher: Dispatcher;
  readonly durableDefault: boolean;
  /** @internal the process table */
  readonly table = new Map<AgentId, Proc>();
  private readonly logics = new Map<string, AgentLogic>();
  private readonly kinds = new Map<string, LogicFactory>();
  private readonly moduleCache = new Map<string, AgentLogic>();
  private readonly specCache = new WeakMap<object, AgentSpec>();
  private readonly exitWaiters = new Map<AgentId, ((e: ExitInfo) => void)[]>();
  private readonly shutdownFns: (() => void | Promise<void>)[] = [];
  private readonly runq = new Ring<Proc>(1024);
  /** Mail of supervised agents that exited and may be restarted, keyed by agent id. */
  private readonly orphanMail = new Map<AgentId, Letter[]>();
  private readonly coarse = new CoarseClock();
  /** Resolves when the kernel's helpers (the hog-detection clock) are up. */
  get ready(): Promise<void> {
    return this.coarse.ready;
  }
  private readonly hogMs: number;
  /** The smallest hog threshold any spec may set, so the common case never reads the spec. */
  private readonly minHogMs = 0;
  private readonly sliceMs: number;
  private tickPending = false;
  private draining = false;
  private letterSeq = 0;
  /** Bumped when grants change, so per-agent cached send decisions are recomputed. */
  capGeneration = 0;
  closing = false;
  /** Set while shutdown stops the agents: those exits are not journaled (durable agents come back). */
  private stoppingForShutdown = false;
  /** Called after an agent exits (supervision.ts hooks in here). */
  onExit: ((p: Proc, kind: ExitKind) => void) | undefined;
  /** Starts a supervisor's children (supervision.ts). */
  onSupervisorStart: ((p: Proc) => Promise<void>) | undefined;
  readonly ops: Operations;
  readonly supervision: Supervision;

  constructor(options: KernelOptions = {}) {
    this.clock = options.clock ?? new RealClock();
    this.ids = options.ids ?? new CounterIds();
    this.logger = options.logger ?? silentLogger;
    this.events = options.events ?? new EventBus(() => this.clock.now());
    this.durableDefault = options.durable ?? false;
    this.hogMs = options.hogThresholdMs ?? 50;
    this.sliceMs = options.sliceMs ?? 5;
    this.dispatcher = new Dispatcher(this.syscalls, this.guards, this.events, this.clock, this.ids);
    this.dispatcher.onJournalError = (e) => this.kernelError(e, "syscall journal");
    this.ops = new Operations(this);
    this.supervision = new Supervision(this);
    for (const def of builtinSyscalls(this)) this.syscalls.register(def);
  }

  // ---- registration -------------------------------------------------------------------------

  registerLogic(name: string, logic: AgentLogic): void {
    this.logics.set(name, logic);
  }
  registerKind(kind: string, factory: LogicFactory): void {
    this.kinds.set(kind, factory);
  }
  onShutdown(fn: () => void | Promise<void>): void {
    this.shutdownFns.push(fn);
  }
  /** Forget cached capability decisions (after a grant or revocation). */
  invalidateCapabilities(): void {
    this.capGeneration++;
  }

  // ---- spawning -----------------------------------------------------------------------------

  /** Parses a spec once per input object (specs are frozen after parsing). */
  parse(input: AgentSpecInput | AgentSpec, source?: string): AgentSpec {
    const cached = this.specCache.get(input);
    if (cached !== undefined) return cached;
    const spec = Object.freeze(parseSpec(input, source));
    this.specCache.set(input, spec);
    this.specCache.set(spec, spec);
    return spec;
  }

  async spawn(input: AgentSpecInput | AgentSpec, options: { parent?: string; id?: AgentId; state?: unknown } = {}): Promise<AgentId> {
    if (this.closing) throw new AiosError("E_SHUTDOWN", "the kernel is shutting down; no new agents");
    const spec = this.parse(input);
    const parent = options.parent === undefined ? null : this.get(options.parent);
    if (parent !== null && isTerminal(parent.status)) {
      throw new AiosError("E_NO_AGENT", `cannot spawn under ${parent.id}: it is ${parent.status}`, { details: { agent: parent.id } });
    }
    if (this.hooks.has("spawn")) await this.hooks.runPre({ op: "spawn", agents: [], details: { spec } });
    const resolved = this.resolveLogic(spec);
    const logic = resolved instanceof Promise ? await resolved : resolved;
    const p = this.createProc(spec, logic, parent, options.id);
    if (options.state !== undefined) p.state = options.state;
    const started = this.start(p, options.state !== undefined);
    if (started !== undefined) await started;
    if (this.hooks.has("spawn")) await this.hooks.runPost({ op: "spawn", agents: [p.id], details: { spec } }, p.id);
    return p.id;
  }

  /** @internal creates and registers a Proc in `pending`. */
  createProc(spec: AgentSpec, logic: AgentLogic, parent: Proc | null, id?: AgentId, incarnation = 0): Proc {
    const durable = !spec.ephemeral && (spec.durable ?? this.durableDefault) && this.guards.journal !== undefined;
    const s = durable === (spec.durable === true) ? spec : this.parse({ ...spec, durable });
    const p = new Proc(id ?? this.ids.agent(), s, logic, parent, this.clock.now());
    p.incarnation = incarnation;
    this.table.set(p.id, p);
    if (parent !== null) (parent.children ??= []).push(p);
    if (this.events.wants("agent.spawned")) {
      this.events.emit("agent.spawned", {
        name: s.name, kind: s.kind, ephemeral: s.ephemeral, version: s.version, ...(parent === null ? {} : { parent: parent.id }),
      }, p.id);
    }
    this.emitTransition(p, "spawn", "none", "pending");
    return p;
  }

  /**
   * @internal runs init and moves the agent to running. Synchronous for the common case (no journal,
   * synchronous init, not a supervisor), so spawning a micro agent costs no promise turns.
   */
  start(p: Proc, restored = false): void | Promise<void> {
    if (p.durable || p.spec.kind === "supervisor") return this.startAsync(p, restored);
    if (restored || p.logic.init === undefined) return this.running(p);
    let s: unknown;
    try {
      s = p.logic.init(this.ctxOf(p), p.spec.args);
    } catch (e) {
      this.initFailed(p, e);
    }
    if (s instanceof Promise) return this.finishAsyncInit(p, s);
    p.state = s;
    return this.running(p);
  }

  private async startAsync(p: Proc, restored: boolean): Promise<void> {
    if (p.durable) await this.guards.journal?.spawned({ id: p.id, spec: storedSpec(p.spec), status: "pending", callSeq: p.callSeq, ...(p.parent ? { parent: p.parent.id } : {}) });
    if (!restored && p.logic.init !== undefined) {
      let s: unknown;
      try {
        s = p.logic.init(this.ctxOf(p), p.spec.args);
      } catch (e) {
        this.initFailed(p, e);
      }
      if (s instanceof Promise) return this.finishAsyncInit(p, s);
      p.state = s;
    }
    this.running(p);
    if (p.spec.kind === "supervisor" && p.status === "running") await this.onSupervisorStart?.(p);
  }

  private async finishAsyncInit(p: Proc, s: Promise<unknown>): Promise<void> {
    p.busy = true;
    try {
      p.state = await s;
    } catch (e) {
      p.busy = false;
      this.initFailed(p, e);
    }
    p.busy = false;
    this.running(p);
    if (p.spec.kind === "supervisor" && p.status === "running") await this.onSupervisorStart?.(p);
  }

  private initFailed(p: Proc, e: unknown): never {
    const msg = toAiosError(e).message;
    this.exit(p, "failed", `init failed: ${msg}`, "abnormal");
    throw new AiosError("E_AGENT_CRASHED", `agent ${p.spec.name} (${p.id}) failed in init: ${msg}`, { cause: e });
  }

  private running(p: Proc): void {
    if (isTerminal(p.status)) return; // killed during an async init
    this.transition(p, "running", "start");
    this.releaseIdle(p);
    if (p.mailbox !== null && p.mailbox.length > 0) this.schedule(p);
  }

  /** @internal the logic a spec names (recovery re-resolves journaled specs). */
  resolveLogicFor(spec: AgentSpec): AgentLogic | Promise<AgentLogic> {
    return this.resolveLogic(spec);
  }

  /** @internal puts a recovered (already journaled) message back in a mailbox. */
  adoptLetter(p: Proc, m: { payload: unknown; from: AgentId | undefined; id: string }): void {
    const mb = (p.mailbox ??= new Mailbox(p.spec.mailbox?.capacity ?? 1024, p.spec.mailbox?.onFull ?? "wait"));
    mb.force({ payload: m.payload, from: m.from, seq: ++this.letterSeq, reply: undefined, id: m.id });
  }

  /** @internal a recovered agent resumes: running (and paused again if it was paused). */
  resumeRestored(p: Proc, paused: boolean): void {
    this.transition(p, "running", "recover");
    if (paused) this.transition(p, "paused", "recover");
    else if (p.mailbox !== null && p.mailbox.length > 0) this.schedule(p);
  }

  private resolveLogic(spec: AgentSpec): AgentLogic | Promise<AgentLogic> {
    if (spec.kind === "code") {
      if (typeof spec.logic === "object") return spec.logic;
      if (typeof spec.logic === "string") {
        const l = this.logics.get(spec.logic);
        if (l === undefined) throw new AiosError("E_INVALID_SPEC", `logic "${spec.logic}" is not registered (known: ${[...this.logics.keys()].join(", ") || "none"})`, { details: { path: "logic" } });
        return l;
      }
      return this.loadModule(spec.module as string, spec.export ?? "default");
    }
    const factory = this.kinds.get(spec.kind);
    if (factory === undefined) throw new AiosError("E_CONFIG", `no runtime is installed for agents of kind "${spec.kind}"`, { details: { kind: spec.kind } });
    return factory(spec, this);
  }

  private async loadModule(path: string, name: string): Promise<AgentLogic> {
    const key = `${path}#${name}`;
    const hit = this.moduleCache.get(key);
    if (hit !== undefined) return hit;
    let mod: Record<string, unknown>;
    try {
      mod = (await import(path)) as Record<string, unknown>;
    } catch (e) {
      throw new AiosError("E_INVALID_SPEC", `cannot load agent module ${path}: ${toAiosError(e).message}`, { cause: e, details: { path: "module" } });
    }
    const logic = mod[name];
    if (typeof logic !== "object" || logic === null || typeof (logic as { receive?: unknown }).receive !== "function") {
      throw new AiosError("E_INVALID_SPEC", `module ${path} has no export "${name}" with a receive() function`, { details: { path: "export" } });
    }
    this.moduleCache.set(key, logic as AgentLogic);
    return logic as AgentLogic;
  }

  // ---- lookup -------------------------------------------------------------------------------

  get(id: string): Proc {
    const p = this.table.get(id as AgentId);
    if (p === undefined) throw new AiosError("E_NO_AGENT", `no agent ${id}`, { details: { agent: id } });
    return p;
  }
  find(id: string): Proc | undefined {
    return this.table.get(id as AgentId);
  }
  /** @internal the agent's context object, created on first use. */
  ctxOf(p: Proc): AgentCtx {
    return (p.ctx ??= new AgentCtx(this, p)) as AgentCtx;
  }

  // ---- messaging ----------------------------------------------------------------------------

  /**
   * Delivers a message. Returns synchronously when the mailbox had room; a promise when the sender
   * must wait for room or for the journal (durable recipient).
   */
  deliver(from: Proc | undefined, to: string, payload: unknown, onFull: SendOptions["onFull"], reply: Letter["reply"]): void | Promise<void> {
    const p = this.table.get(to as AgentId);
    if (p === undefined || isTerminal(p.status)) {
      throw new AiosError("E_NO_AGENT", p === undefined ? `no agent ${to}` : `agent ${to} is ${p.status}`, { details: { agent: to } });
    }
    const letter: Letter = { payload, from: from?.id, seq: ++this.letterSeq, reply, id: undefined };
    if (p.durable && this.guards.journal !== undefined) return this.deliverDurable(p, letter, onFull);
    return this.enqueue(p, letter, onFull);
  }

  private async deliverDurable(p: Proc, letter: Letter, onFull: SendOptions["onFull"]): Promise<void> {
    const id = this.ids.message();
    letter.id = id;
    await this.guards.journal?.enqueue({ id, to: p.id, payload: letter.payload, ...(letter.from ? { from: letter.from } : {}) });
    await this.enqueue(p, letter, onFull);
  }

  /** @internal puts a letter in the mailbox, or parks/refuses it when full. */
  enqueue(p: Proc, letter: Letter, onFull: SendOptions["onFull"]): void | Promise<void> {
    const mb = (p.mailbox ??= new Mailbox(p.spec.mailbox?.capacity ?? 1024, p.spec.mailbox?.onFull ?? "wait"));
    if (mb.offer(letter)) {
      if (!p.queued) this.schedule(p);
      return;
    }
    if ((onFull ?? mb.onFull) === "fail") {
      if (this.events.wants("mailbox.full")) this.events.emit("mailbox.full", { to: p.id, capacity: mb.capacity }, letter.from, "warn");
      throw new AiosError("E_MAILBOX_FULL", `the mailbox of ${p.spec.name} (${p.id}) is full (${mb.capacity} messages)`, { details: { agent: p.id, capacity: mb.capacity } });
    }
    return mb.park(letter);
  }

  /** Sends a request and resolves with the agent's reply (ctx.reply, or the result it stops with). */
  request(from: Proc | undefined, to: string, payload: unknown, timeoutMs = 30_000): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      let done = false;
      const timer = this.clock.setTimeout(() => {
        if (done) return;
        done = true;
        reject(new AiosError("E_TIMEOUT", `request to ${to} got no reply within ${timeoutMs} ms`, { details: { agent: to, timeoutMs } }));
      }, timeoutMs);
      const reply = (err: Error | null, value?: unknown): void => {
        if (done) return;
        done = true;
        this.clock.clearTimeout(timer);
        if (err !== null) reject(err);
        else resolve(value);
      };
      try {
        const r = this.deliver(from, to, payload, undefined, reply);
        if (r instanceof Promise) r.catch((e: unknown) => reply(toAiosError(e)));
      } catch (e) {
        reply(toAiosError(e));
      }
    });
  }

  // ---- the run loop -------------------------------------------------------------------------

  /** @internal puts a running agent with mail on the run queue. */
  schedule(p: Proc): void {
    if (p.queued || p.busy || p.status !== "running") return;
    p.queued = true;
    this.runq.push(p);
    if (!this.tickPending && !this.draining) {
      this.tickPending = true;
      setImmediate(this.drain);
    }
  }

  private readonly drain = (): void => {
    this.tickPending = false;
    this.draining = true;
    const coarse = this.coarse;
    const sliceEnd = coarse.now() + this.sliceMs;
    const hogMs = this.hogMs;
    const q = this.runq;
    try {
      for (;;) {
        const p = q.shift();
        if (p === undefined) break;
        p.queued = false;
        if (p.status !== "running" || p.busy || p.mailbox === null) continue;
        const letter = p.mailbox.take();
        if (letter === undefined) continue;
        if (hogMs > 0) {
          const t0 = coarse.now();
          this.handle(p, letter);
          const dt = coarse.now() - t0;
          if (dt > this.minHogMs && dt > (p.spec.hogThresholdMs ?? hogMs)) this.reportHog(p, dt);
        } else this.handle(p, letter);
        if (!p.queued && !p.busy && p.mailbox.length > 0 && p.status === "running") {
          p.queued = true;
          q.push(p);
        }
        if (coarse.now() > sliceEnd) break;
      }
    } finally {
      this.draining = false;
    }
    if (q.length > 0 && !this.tickPending) {
      this.tickPending = true;
      setImmediate(this.drain);
    }
  };

  /** One quantum: the agent's receive for one letter. */
  private handle(p: Proc, letter: Letter): void {
    p.current = letter;
    let r: unknown;
    try {
      r = p.logic.receive(p.state, letter.payload, p.ctx === null ? this.ctxOf(p) : (p.ctx as AgentCtx));
    } catch (e) {
      this.crash(p, letter, e);
      return;
    }
    if (r instanceof Promise) {
      p.busy = true;
      r.then(
        (v: unknown) => {
          p.busy = false;
          this.handled(p, letter, v);
          this.releaseIdle(p);
          if (p.mailbox !== null && p.mailbox.length > 0) this.schedule(p);
        },
        (e: unknown) => {
          p.busy = false;
          this.crash(p, letter, e);
          this.releaseIdle(p);
        },
      );
      return;
    }
    this.handled(p, letter, r);
  }

  private handled(p: Proc, letter: Letter, r: unknown): void {
    p.current = undefined;
    if (isTerminal(p.status)) return; // killed while an async receive ran
    if (isStop(r)) {
      if (letter.reply !== undefined) letter.reply(null, r.result);
      this.checkpoint(p, letter);
      this.exit(p, r.outcome, r.reason ?? "stopped", r.outcome === "completed" ? "normal" : "abnormal", r.result);
      return;
    }
    p.state = r;
    if (p.durable) this.checkpoint(p, letter);
  }

  private checkpoint(p: Proc, letter: Letter): void {
    const j = this.guards.journal;
    if (j === undefined || !p.durable) return;
    let snap: unknown;
    try {
      snap = p.logic.snapshot !== undefined ? p.logic.snapshot(p.state) : p.state;
    } catch (e) {
      this.kernelError(e, `snapshot of ${p.id}`);
      return;
    }
    j.handled(p.id, letter.id as MessageId | undefined, snap, p.callSeq).catch((e: unknown) => this.kernelError(e, `checkpoint of ${p.id}`));
  }

  private crash(p: Proc, letter: Letter, e: unknown): void {
    p.current = undefined;
    const err = toAiosError(e, "E_AGENT_CRASHED");
    if (letter.reply !== undefined) {
      // The requester learns why: a typed failure (E_QUOTA, E_MODEL, ...) keeps its code.
      letter.reply(new AiosError(err.code, `${p.spec.name} (${p.id}) crashed handling the request: ${err.message}`, { cause: e, retryable: err.retryable, details: err.details }));
    }
    if (this.events.wants("agent.crashed")) this.events.emit("agent.crashed", { error: err.toJSON() }, p.id, "error");
    if (isTerminal(p.status)) return;
    this.exit(p, "failed", `crashed: ${err.message}`, "abnormal");
  }

  private reportHog(p: Proc, elapsedMs: number): void {
    if (this.events.wants("agent.hog")) {
      this.events.emit("agent.hog", { elapsedMs, thresholdMs: p.spec.hogThresholdMs ?? this.hogMs }, p.id, "warn");
    }
  }

  // ---- transitions and exits ----------------------------------------------------------------

  /** @internal the one place a status changes. */
  transition(p: Proc, to: AgentStatus, op: string, reason?: string): void {
    const from = p.status;
    p.status = checkTransition(from, to, op, p.id);
    this.emitTransition(p, op, from, to, reason);
    // A kernel shutdown stops durable agents without ending them: they resume at the next boot.
    if (p.durable && !this.stoppingForShutdown) this.guards.journal?.transitioned(p.id, to, op, reason).catch((e: unknown) => this.kernelError(e, `journal transition of ${p.id}`));
  }

  private emitTransition(p: Proc, op: string, from: AgentStatus | "none", to: AgentStatus, reason?: string): void {
    if (this.events.wants("agent.transition")) {
      this.events.emit("agent.transition", { op, from, to, ...(reason === undefined ? {} : { reason }) }, p.id, to === "failed" ? "error" : "info");
    }
  }

  /** @internal ends an agent: transition, terminate hook, refuse its mail, end its children, tell its supervisor. */
  exit(p: Proc, to: "completed" | "failed" | "killed", reason: string, kind: ExitKind, result?: unknown): void {
    if (isTerminal(p.status)) return;
    this.transition(p, to, to === "killed" ? "kill" : to === "completed" ? "stop" : "crash", reason);
    p.exitReason = reason;
    p.result = result;
    try {
      p.logic.terminate?.(p.state, reason);
    } catch (e) {
      this.kernelError(e, `terminate of ${p.id}`);
    }
    p.abort?.abort(new AiosError("E_CANCELLED", `agent ${p.id} ended: ${reason}`));
    // Built only when someone is waiting: ending a million idle micro agents must not build a million errors.
    const refusal = (): AiosError => new AiosError("E_AGENT_STOPPED", `agent ${p.spec.name} (${p.id}) ended (${to}: ${reason}) before handling the message`);
    if (p.current?.reply !== undefined) p.current.reply(refusal());
    const mb = p.mailbox;
    if (mb !== null && mb.length + mb.waiting > 0) {
      const restartable = kind !== "shutdown" && p.parent?.sup != null && p.spec.restart !== "temporary";
      if (restartable) {
        // A supervised agent that may come back keeps its queued mail for its next incarnation.
        this.orphanMail.set(p.id, mb.moveAll());
      } else {
        const err = refusal();
        for (const l of mb.drainAll(err)) l.reply?.(err);
      }
    }
    if (p.sup !== null) p.sup.stopping = true;
    for (const c of [...(p.children ?? [])].reverse()) if (!isTerminal(c.status)) this.exit(c, "killed", `parent ${p.id} ended`, "shutdown");
    if (p.spec.ephemeral) {
      // Ephemeral agents leave no trace: out of the table and out of their parent's child list.
      this.table.delete(p.id);
      const siblings = p.parent?.children;
      if (siblings != null && p.parent?.sup === null) {
        const i = siblings.lastIndexOf(p);
        if (i >= 0) {
          siblings[i] = siblings[siblings.length - 1] as Proc;
          siblings.pop();
        }
      }
    }
    this.guards.capabilities.forget?.(p);
    this.releaseIdle(p);
    const waiters = this.exitWaiters.get(p.id);
    if (waiters !== undefined) {
      this.exitWaiters.delete(p.id);
      for (const w of waiters) w({ id: p.id, status: p.status, reason, result });
    }
    this.onExit?.(p, kind);
  }

  /** @internal hands an exited agent's kept mail to its new incarnation. */
  adoptMail(p: Proc): void {
    const mail = this.orphanMail.get(p.id);
    if (mail === undefined) return;
    this.orphanMail.delete(p.id);
    const mb = (p.mailbox ??= new Mailbox(p.spec.mailbox?.capacity ?? 1024, p.spec.mailbox?.onFull ?? "wait"));
    for (const l of mail) mb.force(l);
  }

  /** @internal refuses the kept mail of an agent that will not come back. */
  refuseMail(id: AgentId, reason: string): void {
    const mail = this.orphanMail.get(id);
    if (mail === undefined) return;
    this.orphanMail.delete(id);
    const err = new AiosError("E_AGENT_STOPPED", `agent ${id} will not be restarted: ${reason}`);
    for (const l of mail) l.reply?.(err);
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
  private releaseIdle(p: Proc): void {
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
    for (const p of [...this.table.values()].filter((x) => x.parent === null)) {
      await this.whenIdle(p);
      this.stoppingForShutdown = true;
      try {
        this.stopTree(p, reason);
      } finally {
        this.stoppingForShutdown = false;
      }
    }
    for (const fn of [...this.shutdownFns].reverse()) {
      try {
        await fn();
      } catch (e) {
        this.kernelError(e, "shutdown hook");
      }
    }
    if (this.events.wants("kernel.shutdown")) this.events.emit("kernel.shutdown", { reason });
    await this.coarse.close();
  }

  private stopTree(p: Proc, reason: string): void {
    if (p.sup !== null) p.sup.stopping = true;
    for (const c of [...(p.children ?? [])].reverse()) this.stopTree(c, reason);
    if (!isTerminal(p.status)) this.exit(p, "killed", reason, "shutdown");
  }
}

/** The serialisable part of a spec, for the journal. */
export function storedSpec(spec: AgentSpec): StoredSpec {
  const { logic, children, ...rest } = spec;
  return {
    ...rest,
    ...(typeof logic === "string" ? { logic } : {}),
    ...(children === undefined ? {} : { children: children.map(storedSpec) }),
  };
}
