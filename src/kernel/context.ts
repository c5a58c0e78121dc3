/**
 * The AgentContext an agent's logic receives: its only way out (DESIGN invariant 1). `sys` exposes
 * every registered syscall by name; send, request, spawn and reply are shorthands over the same door.
 * ctx.send takes the fast path the dispatcher derives from the installed stages (sendPlan): the
 * argument check, the capability check (a lease on `agent:*#send` reused until the checker clears
 * it), the policy compiled for sends, and an audit tally; refusals are audited one by one.
 * Per message the lease is not loaded: its decision is copied onto the Proc, and the checker's
 * lease epoch (bumped on every clearing) says whether it may have changed. With 10,000 agents
 * sending to random peers each sender's lease was a cold cache line per message (issue #18). When a
 * stage could decide a send differently (a quota on it, a rule reading its payload, an approval),
 * the send takes the full door.
 */
import { AiosError, toAiosError, type AgentId, type IdGenerator, type MessageId } from "../core/index.js";
import { countTarget, grantText, type AgentContext, type CapLease, type LeaseEpoch, type SendOptions } from "../abi/index.js";
import type { Dispatcher } from "./dispatcher.js";
import { stoppedCaller } from "./door-call.js";
import type { Guards } from "./guards.js";
import type { SendPlan } from "./send-plan.js";
import type { AgentSpec, AgentSpecInput } from "../abi/index.js";
import { isLetter, senderOf } from "./mailbox.js";
import type { SyscallApi } from "../abi/index.js";
import type { KernelFlags } from "./kernel-port.js";
import type { Letter } from "./mailbox.js";
import type { Proc } from "./proc.js";

const discard = (): void => undefined;
/** Agent ids are at most this long (SemanticSend's schema). */
const MAX_ID = 256;
/** No reusable decision: every send is checked (and a counted constraint charged). */
const PER_SEND: CapLease = { decision: { allowed: false, reason: "checked per send" }, valid: false };
const ignore = (): void => undefined;

/**
 * The door's promise is the kernel's (DESIGN "The door"): a rejection the agent never awaits must not
 * become the process's unhandled rejection. The refusal or failure itself is already data — the door
 * audited it and emitted `syscall.denied` / `syscall.completed` — so the kernel's own handler only
 * marks the promise observed; an agent that awaits it still gets the error.
 */
function own<T>(r: Promise<T>): Promise<T> {
  r.catch(ignore);
  return r;
}

/** A send refused or failed before it left: the kernel's rejected promise, never a throw (AgentCtx.send). */
function refused(e: unknown): Promise<never> {
  return own(Promise.reject(e instanceof Error ? e : new Error(String(e))));
}

/** What an agent's context uses: the door, the ids, the door's stages, the kernel's flags and delivery (mail.ts). */
export interface CtxDeps {
  readonly ids: IdGenerator;
  readonly dispatcher: Dispatcher;
  readonly guards: Guards;
  readonly flags: KernelFlags;
  /** Delivery (mail.ts): a method call on the hot path of ctx.send. */
  readonly mail: { deliver(from: Proc, to: string, payload: unknown, onFull: SendOptions["onFull"], reply: Letter["reply"]): void | Promise<void> };
}

export class AgentCtx implements AgentContext {
  private sysApi: SyscallApi | undefined;

  constructor(
    private readonly k: CtxDeps,
    private readonly p: Proc,
  ) {}

  get self(): AgentId {
    return this.p.id;
  }
  get spec(): AgentSpec {
    return this.p.spec;
  }
  get sender(): AgentId | undefined {
    return senderOf(this.p.current);
  }
  get enveloped(): boolean {
    const p = this.p;
    const cur = p.current;
    return p.handling && isLetter(cur) && cur.enveloped === true;
  }
  get messageId(): MessageId | undefined {
    const p = this.p;
    if (!p.handling) return undefined;
    let cur = p.current;
    // A plain send carries no letter; one is made the first time its id is asked for, so it is stable.
    if (!isLetter(cur)) p.current = cur = { payload: undefined, from: cur, seq: 0, reply: undefined, id: undefined };
    return this.idOf(cur);
  }

  /** True while the agent's receive of `letter` runs (a callback of it made now is in turn). */
  handles(letter: Letter): boolean {
    return this.p.current === letter;
  }

  /** True while the run loop is inside this agent's receive call, before it returns or first awaits. */
  receivingNow(): boolean {
    return this.k.flags.receiving === this.p;
  }

  /**
   * Runs `f` — an effect a durable agent made out of turn, from a callback of a receive that has
   * returned — marked so on the agent while it enters the kernel: numbered in no letter's handling
   * and journaled as no replayable call (ADR 0016, "Late effects"). Marked for the synchronous part
   * only, which is where a send takes its number and a syscall its journal slot; a call the door
   * makes wait (an approval, a budget) is placed again when it goes on (door-call.ts resumeInTurn).
   */
  outOfTurn<T>(f: () => T): T {
    const p = this.p;
    if (!p.durable || p.outOfTurn) return f();
    p.outOfTurn = true;
    try {
      return f();
    } finally {
      p.outOfTurn = false;
    }
  }

  /** A letter's id, made the first time it is asked for. */
  idOf(letter: Letter): MessageId {
    return (letter.id ??= this.k.ids.message()) as MessageId;
  }
  /** Aborted when the agent is killed or paused (long model and tool calls stop early). */
  get signal(): AbortSignal {
    return this.p.signal;
  }

  get sys(): SyscallApi {
    if (this.sysApi === undefined) {
      const d = this.k.dispatcher;
      const p = this.p;
      this.sysApi = syscallApi((name, args) => own(d.invoke(p, name, args)));
    }
    return this.sysApi;
  }

  /** The syscalls of a receive that has returned: each made out of turn. */
  lateSys(): SyscallApi {
    const d = this.k.dispatcher;
    const p = this.p;
    return syscallApi((name, args) => this.outOfTurn(() => own(d.invoke(p, name, args))));
  }

  /**
   * A send: synchronous when the mailbox has room; a refusal or a failure (no such agent, a payload
   * too large) is a rejected promise the kernel owns, never a throw — a callback of the agent's (a
   * timer) that fires and forgets a refused send must not end the process with an uncaught
   * exception (issue #10, defect 4). An agent that awaits the send gets the error.
   */
  send(to: AgentId, payload: unknown, options?: SendOptions): void | Promise<void> {
    const k = this.k;
    const p = this.p;
    if (typeof to !== "string") return refused(new AiosError("E_INVALID_ARG", "send: `to` must be an agent id string", { details: { path: "to" } }));
    // The door derives whether a send may skip to its capability check (dispatcher.sendPlan);
    // otherwise the send is a full SemanticSend.
    const plan = k.dispatcher.sendPlan("SemanticSend");
    if (plan === undefined) {
      return own(this.sys.SemanticSend({ to, payload, ...(options?.onFull === undefined ? {} : { onFull: options.onFull }) }).then(discard));
    }
    // The door's rule on its fast path: an ended activation sends no more, a paused agent not until
    // resumed (the lease below was decided while it ran).
    if (p.status !== "running") {
      const stopped = stoppedCaller(p, "SemanticSend");
      if (stopped !== undefined) return this.refuse(stopped);
    }
    if (to.length === 0 || to.length > MAX_ID) return this.refuse(new AiosError("E_INVALID_ARG", "SemanticSend: to: expected an agent id of 1..256 characters", { details: { path: "to" } }));
    // Capability: `agent:*#send` decided once and reused while the checker's lease holds: known
    // without reading the lease while neither the kernel's generation nor the lease epoch moved.
    const epoch = k.guards.capabilities.leaseEpoch;
    let ok = p.sendOk;
    if (p.sendGen !== k.flags.capGeneration || p.sendEpoch !== (epoch === undefined ? 0 : epoch.n)) {
      try {
        ok = this.renewSend(plan, epoch);
      } catch (e) {
        return this.refuse(toAiosError(e, "E_CAP_DENIED"));
      }
    }
    let tally = p.sendTally;
    if (!ok) {
      // No lease for every recipient: this recipient is checked (and a counted constraint charged).
      const resource = `agent:${to}`;
      let d;
      try {
        d = k.guards.capabilities.check(p, { resource, action: "send" });
      } catch (e) {
        return this.refuse(toAiosError(e, "E_CAP_DENIED"));
      }
      if (!d.allowed) return this.refuse(new AiosError("E_CAP_DENIED", d.reason, { details: { resource, action: "send" } }));
      tally = plan.audit?.tally?.(p.id, "SemanticSend", grantText(d.by));
      if (tally === undefined) plan.audit?.record({ agent: p.id, syscall: "SemanticSend", decision: "allowed", by: grantText(d.by) });
    }
    const policy = plan.policy;
    if (policy !== undefined) {
      const d = policy.constant ?? policy.evaluate(p, [{ resource: `agent:${to}`, action: "send" }]);
      // compile() never yields "approve" (that waits for a person: the full door's).
      if (d.effect !== "allow") return this.refuse(new AiosError("E_POLICY", `${d.reason} (rule ${d.rule})`, { details: { rule: d.rule } }));
    }
    // Allowed under an already-verified grant: counted in the audit's signed per-interval aggregate.
    if (tally !== undefined) {
      // The lease's tally counts in the Proc (already in cache): a per-target tally (no lease) is hit directly.
      const enlist = plan.audit?.enlist;
      if (ok && enlist !== undefined) {
        if (countTarget(p, to)) enlist(tally, p);
      } else tally.hit(to);
    } else if (ok) {
      const d = (p.sendLease as CapLease).decision;
      if (d.allowed) plan.audit?.record({ agent: p.id, syscall: "SemanticSend", decision: "allowed", by: grantText(d.by) });
    }
    let r;
    try {
      r = k.mail.deliver(p, to, payload, options?.onFull, undefined);
    } catch (e) {
      return refused(e); // no such agent, a payload too large
    }
    return r === undefined ? r : own(r);
  }

  /** A send refused on the fast path: audited and emitted as the door's refusals are, then the kernel's rejected promise. */
  private refuse(e: AiosError): Promise<never> {
    return refused(this.k.dispatcher.refuse(this.p, "SemanticSend", e));
  }

  /**
   * The epoch or the generation moved: the lease still valid keeps its decision (seen at this
   * epoch now), else a new one is taken. A lease not valid when taken (a counted constraint: every
   * send checked) leaves the epoch at -1, so the next send asks again, as the checker wants.
   */
  private renewSend(plan: SendPlan, epoch: LeaseEpoch | undefined): boolean {
    const p = this.p;
    const lease = p.sendLease;
    if (lease === null || !lease.valid || p.sendGen !== this.k.flags.capGeneration) this.leaseSend(plan);
    // Read after leaseSend: taking a lease may clear an older one (and move the epoch).
    p.sendEpoch = (p.sendLease as CapLease).valid ? (epoch === undefined ? 0 : epoch.n) : -1;
    return p.sendOk;
  }

  /** Takes the checker's lease on `agent:*#send` and the audit counter for sends under it. */
  private leaseSend(plan: SendPlan): CapLease {
    const k = this.k;
    const p = this.p;
    const checker = k.guards.capabilities;
    const req = { resource: "agent:*", action: "send" };
    // A checker that hands out no leases decides once per kernel generation; a counted constraint
    // (no lease from a leasing checker) is checked, and charged, on every send.
    const lease = checker.lease === undefined ? { decision: checker.check(p, req), valid: true } : (checker.lease(p, req) ?? PER_SEND);
    p.sendLease = lease;
    p.sendOk = lease.decision.allowed;
    p.sendGen = k.flags.capGeneration;
    const before = p.sendTally;
    p.sendTally = lease.decision.allowed ? plan.audit?.tally?.(p.id, "SemanticSend", grantText(lease.decision.by)) : undefined;
    // Counted under the old tally this interval: those calls stay its own.
    if (before !== undefined && before !== p.sendTally && p.tallyCount > 0) plan.audit?.release?.(before, p);
    return lease;
  }

  /** A request passes the whole door (AgentRequest): capability, policy, quota, audit, event. */
  request(to: AgentId, payload: unknown, options: { timeoutMs?: number } = {}): Promise<unknown> {
    return this.sys.AgentRequest({ to, payload, ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }) });
  }

  /** Answers the request being handled (a request's receive gets a LetterCtx, bound to its letter). */
  reply(value: unknown): void {
    const cur = this.p.current;
    if (isLetter(cur)) replyTo(cur, value);
  }

  spawn(spec: AgentSpecInput): Promise<AgentId> {
    return own(this.sys.AgentSpawn({ spec }).then((r) => r.id));
  }
}

/** Settles `letter`'s request with `value`, once: a second reply, or one after a crash answered it, is dropped. */
function replyTo(letter: Letter, value: unknown): void {
  const r = letter.reply;
  if (r === undefined) return;
  letter.reply = undefined;
  r(null, value);
}

/**
 * A context that is the agent's own while `inTurn()` holds, and whose effects are out of turn after
 * (AgentCtx.outOfTurn: numbered in no letter, journaled as no replayable call; ADR 0016, "Late
 * effects"): a receive's (LetterCtx) and a durable agent's init's (init-ctx.ts). Each says what its
 * turn is, and what its sender, id, envelope mark and reply are.
 */
export abstract class TurnCtx implements AgentContext {
  private late: SyscallApi | undefined;

  constructor(protected readonly ctx: AgentCtx) {}

  /** True while an effect made through this context is the agent's turn's own. */
  protected abstract inTurn(): boolean;
  abstract get sender(): AgentId | undefined;
  abstract get messageId(): MessageId | undefined;
  abstract get enveloped(): boolean;
  abstract reply(value: unknown): void;

  get self(): AgentId {
    return this.ctx.self;
  }
  get spec(): AgentSpec {
    return this.ctx.spec;
  }
  get signal(): AbortSignal {
    return this.ctx.signal;
  }
  get sys(): SyscallApi {
    const c = this.ctx;
    return this.inTurn() ? c.sys : (this.late ??= c.lateSys());
  }
  send(to: AgentId, payload: unknown, options?: SendOptions): void | Promise<void> {
    const c = this.ctx;
    return this.inTurn() ? c.send(to, payload, options) : c.outOfTurn(() => c.send(to, payload, options));
  }
  request(to: AgentId, payload: unknown, options?: { timeoutMs?: number }): Promise<unknown> {
    const c = this.ctx;
    return this.inTurn() ? c.request(to, payload, options) : c.outOfTurn(() => c.request(to, payload, options));
  }
  spawn(spec: AgentSpecInput): Promise<AgentId> {
    const c = this.ctx;
    return this.inTurn() ? c.spawn(spec) : c.outOfTurn(() => c.spawn(spec));
  }
}

/**
 * The context a request's receive gets, and every receive of a durable agent: the agent's own, with
 * what belongs to the letter — its reply, its sender, its id, its turn — bound to the letter instead
 * of read from whatever the agent handles when it is called. A reply made later by a callback of
 * that receive (a timer, a promise settled after the receive returned) answers this request; read
 * from the agent, it answered the request the agent was handling by then, and the first requester
 * waited out its timeout. A durable agent's send or syscall made by such a callback is out of turn
 * (AgentCtx.outOfTurn): taken for the next letter's, its number made that letter's own send or call
 * of the same number look done when a crash made the letter be handled again (ADR 0016).
 */
export class LetterCtx extends TurnCtx {
  constructor(
    ctx: AgentCtx,
    private readonly letter: Letter,
  ) {
    super(ctx);
  }

  protected inTurn(): boolean {
    return this.ctx.handles(this.letter);
  }
  get sender(): AgentId | undefined {
    return this.letter.from;
  }
  get enveloped(): boolean {
    return this.letter.enveloped === true;
  }
  get messageId(): MessageId | undefined {
    return this.ctx.idOf(this.letter);
  }
  reply(value: unknown): void {
    replyTo(this.letter, value);
  }
  /** The agent's context bound to no letter: every effect through it is out of turn, a reply answers nothing. */
  detached(): LetterCtx {
    return new LetterCtx(this.ctx, { payload: undefined, from: undefined, seq: 0, reply: undefined, id: undefined });
  }
  /** A request not answered yet (a durable agent's plain letter has no reply to wait for). */
  awaitsReply(): boolean {
    return this.letter.reply !== undefined;
  }
}

/** Every registered syscall by name, each made through `invoke` (one function per name, made on first use). */
function syscallApi(invoke: (name: string, args: unknown) => Promise<unknown>): SyscallApi {
  const cache: Record<string, (args: unknown) => Promise<unknown>> = {};
  return new Proxy(cache, {
    get: (t, name) => (typeof name === "string" ? (t[name] ??= (args: unknown) => invoke(name, args)) : undefined),
  }) as unknown as SyscallApi;
}
