/**
 * The single door (DESIGN invariant 1). Every syscall an agent makes passes, in this order:
 * schema -> capability -> policy -> quota -> durable replay check -> scheduler slot -> handler ->
 * journal -> audit -> event. A call denied at any stage never reaches its handler. The stages are the
 * kernel's guards (guards.ts); the defaults allow what the agent's spec names and nothing else. A
 * plain send's fast path is derived from them (send-plan.ts); a pure call allowed under a capability
 * is counted in its caller's audit tally (door-tallies.ts). The call object a handler gets, and how
 * it asks for its slot, are door-call.ts's.
 */
import { AiosError, toAiosError, type EventBus, type EventDataMap, type HandleId, type IdGenerator, type Clock } from "../core/index.js";
import {
  grantText, isTerminal, type AuditRecord, type AuditTally, type PolicyDecision, type PolicyEngine,
  type CallUsage, type Caller, type CapabilityRequest, type Grant, type SyscallName,
} from "../abi/index.js";
import { AsyncResults } from "./async-results.js";
import { doorTally } from "./door-tallies.js";
import type { Guards } from "./guards.js";
import { SendPlans, type SendPlan } from "./send-plan.js";
import { asGrant, askSlot, DoorCall, endedCaller, resumeInTurn, stoppedCaller, turnOf, type DispatchCaller } from "./door-call.js";
import type { AnyDef, SyscallRegistry } from "./syscall-registry.js";

/** The budget stage's port (budgets.ts through the kernel): admit a counted call, settle its usage. */
export interface BudgetPort {
  admit(caller: Caller): unknown;
  settle(caller: Caller, holders: unknown, usage: CallUsage | undefined): void;
}

/** What allowed a call, and how it is recorded if it succeeds: an entry, or a hit on `tally` for `target`. */
interface Permit {
  readonly by: Grant;
  readonly approved: boolean;
  readonly tally: AuditTally | undefined;
  readonly target: string;
}

/** A value nothing can change: not an object (a function's JSON is nothing, whenever it is made). */
function unchanging(v: unknown): boolean {
  return v === null || typeof v !== "object";
}

function allowedRecord(caller: Caller, name: SyscallName, p: Permit): AuditRecord {
  return { agent: caller.agent, syscall: name, decision: p.approved ? "approved" : "allowed", by: grantText(p.by) };
}

const NONE_REQUIRED: Grant = { kind: "none-required" };

export class Dispatcher {
  readonly results: AsyncResults;
  /** Admit/settle of spec budgets (the kernel's; absent in unit tests of the door alone). */
  budgets: BudgetPort | undefined;
  /**
   * Restores the caller first when it is an agent still dormant after a restart (recovery.ts): a
   * syscall made on its behalf (the operator's `os.syscall(as)`, the API's) is a first use like a
   * message, so the agent's code, state and bookkeeping are back before anything runs as it.
   * Undefined for an awake caller (the common case: no promise). Absent in unit tests of the door.
   */
  wakeCaller: ((caller: DispatchCaller) => Promise<void> | undefined) | undefined;
  private readonly plans: SendPlans;

  constructor(
    readonly registry: SyscallRegistry,
    readonly guards: Guards,
    private readonly events: EventBus,
    private readonly clock: Clock,
    ids: IdGenerator,
  ) {
    this.results = new AsyncResults(ids, clock);
    this.plans = new SendPlans(registry, guards);
  }

  /** The fast path for a plain send, derived from the installed stages (send-plan.ts). */
  sendPlan(name: SyscallName): SendPlan | undefined {
    return this.plans.get(name);
  }

  /** A refusal decided on a fast path: audited on its own and emitted, like the door's. */
  refuse(caller: Caller, name: string, err: AiosError): AiosError {
    return this.deny(caller, name, err);
  }

  /**
   * Passes one call through the door. Synchronous up to the first stage that must wait (a dormant
   * caller woken, an approval, a budget gate, a slot, the handler): a refusal decided before that is
   * a rejected promise like any other, and a call that waits for nothing but its handler pays one
   * async frame (call()), not one per stage.
   */
  invoke(caller: DispatchCaller, name: string, raw: unknown): Promise<unknown> {
    try {
      const waking = this.wakeCaller?.(caller);
      if (waking !== undefined) return waking.then(() => this.admit(caller, name, raw));
      return this.admit(caller, name, raw);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** Parse, capability and policy (throws a refusal; waits only for an approval). */
  private admit(caller: DispatchCaller, name: string, raw: unknown): Promise<unknown> {
    const def = this.registry.get(name);
    if (def === undefined) throw this.deny(caller, name, new AiosError("E_NO_SYSCALL", `no syscall named ${name}`, { details: { syscall: name } }));
    // An activation that ended (killed, crashed, stopped; a restart is a new one) acts no more, and a
    // paused agent acts once resumed: a callback of its logic that runs meanwhile (a timer, a
    // promise) is refused, whatever it holds.
    if (caller.status !== undefined && caller.status !== "running") {
      const stopped = stoppedCaller(caller, def.name);
      if (stopped !== undefined) throw this.deny(caller, def.name, stopped);
    }
    const t0 = this.guards.observer !== undefined || this.events.wants("syscall.completed") ? this.clock.monotonic() : 0;
    let args: unknown;
    try {
      args = def.parse(raw);
    } catch (e) {
      throw this.deny(caller, def.name, toAiosError(e, "E_INVALID_ARG"));
    }
    const reqs = def.requires(args as never, caller);
    const by = this.checkCapabilities(caller, def.name, reqs);
    // Only an approval is waited for: an allow or a deny is decided here, with no promise.
    const decided = this.guards.policy === undefined ? false : this.checkPolicy(caller, def.name, args, reqs);
    if (typeof decided !== "boolean") {
      const turn = turnOf(caller);
      return decided.then((approved) => resumeInTurn(caller, turn, () => this.charge(caller, def, args, reqs, by, approved, t0)));
    }
    return this.charge(caller, def, args, reqs, by, false, t0);
  }

  /** Quota, then the budget gate of a counted call (which may wait), then the call. */
  private charge(caller: DispatchCaller, def: AnyDef, args: unknown, reqs: readonly CapabilityRequest[], by: Grant, approved: boolean, t0: number): Promise<unknown> {
    if (this.guards.quota !== undefined) {
      try {
        this.guards.quota.charge(caller, def.name, args);
      } catch (e) {
        throw this.deny(caller, def.name, toAiosError(e, "E_QUOTA"));
      }
    }
    // Admit: a counted call waits for, and must fit, the budgets of its agent and its creators.
    if (def.usage !== undefined && this.budgets !== undefined) {
      let h: unknown;
      try {
        h = this.budgets.admit(caller);
      } catch (e) {
        throw this.deny(caller, def.name, toAiosError(e, "E_QUOTA"));
      }
      if (h instanceof Promise) {
        const turn = turnOf(caller);
        return h.then(
          (holders: unknown) => resumeInTurn(caller, turn, () => this.start(caller, def, args, reqs, by, approved, t0, holders)),
          (e: unknown) => {
            throw this.deny(caller, def.name, toAiosError(e, "E_QUOTA"));
          },
        );
      }
      return this.start(caller, def, args, reqs, by, approved, t0, h);
    }
    return this.start(caller, def, args, reqs, by, approved, t0, undefined);
  }

  private start(caller: DispatchCaller, def: AnyDef, args: unknown, reqs: readonly CapabilityRequest[], by: Grant, approved: boolean, t0: number, holders: unknown): Promise<unknown> {
    const effect = typeof def.sideEffect === "function" ? def.sideEffect(args as never) : def.sideEffect;
    // Record, derived like the send's fast path: a pure call (the syscall table's replay-only calls:
    // a model call, a pure tool) allowed under a capability is one count in the interval's signed
    // aggregate (ADR 0019, 0034, 0043), against the resource it was for; an effect, an approval, an
    // operator's call and every failure or refusal stays an entry of its own.
    const tally = effect || approved || def.replay !== true ? undefined : doorTally(caller, def.name, by, this.guards.audit);
    const permit: Permit = { by, approved, tally, target: tally === undefined ? "" : (reqs[reqs.length - 1]?.resource ?? def.name) };
    const key = idempotencyKey(args);
    const call = new DoorCall(caller, caller.abortEpoch ?? 0, key);
    if (def.async === true) {
      const handle = this.results.start(caller.agent, () => this.execute(def, args, effect, call, permit, holders, t0, false));
      this.completed(caller, def.name, args, t0, true, handle);
      return Promise.resolve({ handle });
    }
    return this.execute(def, args, effect, call, permit, holders, t0, true);
  }

  /** Capability stage: every request must be allowed; returns what allowed the first one. */
  private checkCapabilities(caller: DispatchCaller, name: SyscallName, reqs: readonly CapabilityRequest[]): Grant {
    let by: Grant = NONE_REQUIRED;
    // Indexed: a syscall's requirement list is often a shared frozen one, and for-of over a frozen
    // array steps through an iterator object per element.
    for (let i = 0; i < reqs.length; i++) {
      const req = reqs[i] as CapabilityRequest;
      let d;
      try {
        d = this.guards.capabilities.check(caller, req);
      } catch (e) {
        // A token's counted constraint ran out (E_QUOTA / E_RATE_LIMITED): a denial like any other.
        throw this.deny(caller, name, toAiosError(e, "E_CAP_DENIED"));
      }
      if (!d.allowed) {
        throw this.deny(caller, name, new AiosError("E_CAP_DENIED", d.reason, { details: { resource: req.resource, action: req.action } }));
      }
      by = d.by;
    }
    return by;
  }

  /** Policy stage: false when allowed, throws when denied, a promise of true when a person approved. */
  private checkPolicy(caller: DispatchCaller, name: SyscallName, args: unknown, reqs: readonly CapabilityRequest[]): false | Promise<boolean> {
    const policy = this.guards.policy;
    if (policy === undefined) return false;
    const d = policy.evaluate(caller, name, args, reqs);
    if (d.effect === "allow") return false;
    if (d.effect === "deny") {
      throw this.deny(caller, name, new AiosError("E_POLICY", `${d.reason} (rule ${d.rule})`, { details: { rule: d.rule } }));
    }
    return this.approval(policy, caller, name, args, d);
  }

  private async approval(policy: PolicyEngine, caller: DispatchCaller, name: SyscallName, args: unknown, d: PolicyDecision & { effect: "approve" }): Promise<boolean> {
    const ok = policy.requestApproval === undefined ? false : await policy.requestApproval(caller, name, args, d);
    if (!ok) {
      throw this.deny(caller, name, new AiosError("E_APPROVAL_DENIED", `approval for ${name} was denied or timed out (rule ${d.rule})`, { details: { rule: d.rule } }));
    }
    return true;
  }

  /**
   * Durable replay, scheduler slot, handler, journal, record, settle and (`emit`, a synchronous
   * syscall) its syscall.completed event: one async frame per call. For a durable caller, a
   * side-effecting call's intent is on disk before it runs (one group-committed write); its result,
   * and the result of a replay-only call (which journals no intent), are appended without waiting:
   * the journal is ordered, so any later durable write (the next intent, a checkpoint) carries them
   * to disk first.
   */
  private async execute(def: AnyDef, args: unknown, effect: boolean, call: DoorCall, permit: Permit, holders: unknown, t0: number, emit: boolean): Promise<unknown> {
    const caller = call.caller;
    let usage: CallUsage | undefined;
    let result: unknown;
    // A durable agent's call made out of turn has no place in a letter's replay: it runs unjournaled,
    // as an ephemeral agent's does (ADR 0016, "Late effects").
    const journal = caller.durable && caller.outOfTurn !== true && (effect || def.replay === true) ? this.guards.syscallJournal : undefined;
    let seq = 0;
    let replayed = false;
    /**
     * The call took a number that no journaled result answers yet. Whatever fails from here (its
     * intent's write, a refused slot, the handler) is that number's journaled result (written once,
     * in the outer catch), so a replay fails the same way and the agent's retry takes the same next
     * number. Without it a replay read the number as free or in flight and ran the call under it,
     * while this activation had retried under the next one: one effect under two keys (fault soak
     * seed 16141).
     */
    let owed = false;
    try {
      if (journal !== undefined) {
        // An activation that ended — killed, or evicted because its tree's lease moved (it may be
        // adopted again, here or elsewhere, under a new epoch and a new stream) — makes no journaled
        // call: its call sequence is no longer the agent's, so its key would not be the one the next
        // activation replays under (the fault soak's one effect under two keys).
        if (caller.status !== undefined && isTerminal(caller.status)) throw endedCaller(caller, def.name);
        seq = ++caller.callSeq;
        const prior = journal.lookup(caller, seq);
        if (prior.found) {
          if (prior.error !== undefined) throw new AiosError(prior.error.code, prior.error.message, { details: { replayed: true } });
          result = prior.result;
          replayed = true;
        } else {
          // In flight at a crash: re-run only under a key the tool dedupes on (the agent's own, or the
          // derived one when the syscall honours keys); otherwise the agent is told, never re-run silently.
          if (prior.inFlight && effect && call.idempotencyKey === undefined && !honoursKeys(def, args)) {
            this.events.emit("syscall.effect_unknown", { name: def.name, callSeq: seq }, caller.agent, "critical");
            throw new AiosError("E_EFFECT_UNKNOWN", `${def.name} call #${seq} of ${caller.agent} was in flight at a crash and has no idempotency key; it was not retried`, {
              details: { syscall: def.name, callSeq: seq },
            });
          }
          // Only a side effect journals its intent. For a replay-only call (LlmInvoke, a pure tool) an
          // intent without a result would only say "ask again", which a missing result says already;
          // skipping it halves such a call's records, and an LlmInvoke intent carries the whole conversation.
          owed = true;
          if (effect) {
            await journal.intent(caller, seq, def.name, args, call.idempotencyKey ?? derivedKey(caller, seq));
            // Ended while its intent was written: the next activation (if any) runs it from the journal.
            if (caller.status !== undefined && isTerminal(caller.status)) throw endedCaller(caller, def.name);
          }
        }
      }
      if (!replayed) {
        // A durable caller's effect or replayable call hands its handler an idempotency key (issue #17.5):
        // the agent's own, or one derived from (agent, call sequence) — the same when the agent makes the
        // call again after a crash, so a tool that honours keys never runs an effect twice. Only durable
        // callers: their call sequence is journaled and never restarts (a restarted incarnation continues
        // it); a synthetic or in-memory caller's would repeat after a restart and collide.
        if (seq > 0 && call.idempotencyKey === undefined) call.keyed(derivedKey(caller, seq));
        // Only a call that names a pool, under a scheduler, waits for a slot.
        const scheduler = this.guards.scheduler;
        const pool = scheduler === undefined ? undefined : def.pool?.(args as never);
        const slot = pool === undefined || scheduler === undefined ? undefined : asGrant(await askSlot(def, caller, scheduler, pool, call));
        const effects = this.guards.effects;
        try {
          const prepared = effects?.prepare === undefined ? args : effects.prepare(caller, def.name, args);
          const run = slot === undefined ? call : call.holding(slot);
          // Tracing on: a traced syscall's span, opened on the object the handler gets, ended with its outcome.
          const tracer = this.guards.trace;
          const span = tracer?.open(run, def.name, prepared);
          let raw: unknown;
          if (tracer === undefined || span === undefined) raw = await def.handler(prepared as never, run);
          else {
            try {
              raw = await def.handler(prepared as never, run);
            } catch (e) {
              tracer.close(span, def.name, false, e);
              throw e;
            }
            tracer.close(span, def.name, true, raw);
          }
          if (def.usage !== undefined) {
            usage = def.usage(raw);
            if (usage !== undefined) slot?.usage?.(usage.tokens);
          }
          result = effects?.redact === undefined ? raw : effects.redact(raw);
          owed = false;
          // A result nothing can change before its batch is written — a primitive, or one made for this
          // call and handed to logic that leaves it intact — is encoded then, or never if superseded (ADR 0075).
          if (journal !== undefined) journal.result(caller, seq, result, undefined, unchanging(result) || (def.freshResult === true && caller.leavesResultsIntact === true) ? this.journalFailed : undefined).catch(this.journalFailed);
          effects?.observe?.(caller, def.name, args, result);
        } catch (e) {
          // Still owed: the outer catch journals it as this number's result (redacted, as thrown).
          let err = toAiosError(e, "E_TOOL");
          if (effects?.redact !== undefined) err = effects.redact(err) as AiosError;
          effects?.observeError?.(caller, def.name, args, err.details);
          throw err;
        } finally {
          slot?.release();
        }
      }
      if (permit.tally !== undefined) permit.tally.hit(permit.target);
      else this.guards.audit?.record(allowedRecord(caller, def.name, permit));
    } catch (e) {
      // Record: one entry per call. A refusal decided after the door (a scheduler slot refused,
      // spawn attenuation, CapGrant/CapRevoke, a tool's re-check) is that call's entry, as denied;
      // any other failure is the allowed call's entry, with its error.
      const err = toAiosError(e, "E_TOOL");
      if (owed && journal !== undefined && !(caller.status !== undefined && isTerminal(caller.status))) {
        journal.result(caller, seq, undefined, err.toJSON()).catch(this.journalFailed);
      }
      if (REFUSALS.has(err.code)) this.deny(caller, def.name, err);
      else this.guards.audit?.record({ ...allowedRecord(caller, def.name, permit), error: err.toJSON() });
      this.settle(def, caller, holders, usage);
      if (emit) this.completed(caller, def.name, args, t0, false, undefined, err);
      throw err;
    }
    this.settle(def, caller, holders, usage);
    if (emit) this.completed(caller, def.name, args, t0, true);
    return result;
  }

  /**
   * Settle: the real usage of a counted call goes to the budgets (kernel), the quotas (sched) and,
   * through the slot before it is released, the scheduler's fair share. A failed call settles nothing
   * but still opens the budget gate.
   */
  private settle(def: AnyDef, caller: Caller, holders: unknown, usage: CallUsage | undefined): void {
    if (def.usage === undefined) return;
    this.budgets?.settle(caller, holders, usage);
    if (usage !== undefined) this.guards.quota?.settle?.(caller, def.name, usage);
  }

  /** A journal write that failed after the call went ahead: reported, never silent. */
  onJournalError: ((e: unknown) => void) | undefined;
  /** One function for every call's journal write (an arrow in execute would make each call allocate a context for `this`). */
  private readonly journalFailed = (e: unknown): void => {
    this.onJournalError?.(e);
  };

  private deny(caller: Caller, name: string, err: AiosError): AiosError {
    this.guards.audit?.record({ agent: caller.agent, syscall: name, decision: "denied", reason: err.message, error: err.toJSON() });
    this.guards.observer?.denied(caller, name, err.code);
    if (this.events.wants("syscall.denied")) {
      this.events.emit("syscall.denied", { name, reason: err.message, code: err.code }, caller.agent, "warn");
    }
    return err;
  }

  /** Record stage, last step: the observer is told, then the event (when anyone wants it) is emitted. */
  private completed(caller: Caller, name: SyscallName, args: unknown, t0: number, ok: boolean, handle?: HandleId, err?: AiosError): void {
    const observer = this.guards.observer;
    const wanted = this.events.wants("syscall.completed");
    if (observer === undefined && !wanted) return;
    const durationUs = Math.round((this.clock.monotonic() - t0) * 1000);
    observer?.completed(caller, name, ok, durationUs, args);
    if (!wanted) return;
    const data: EventDataMap["syscall.completed"] = { name, ok, durationUs };
    if (handle !== undefined) data.handle = handle;
    if (err !== undefined) data.error = err.toJSON();
    this.events.emit("syscall.completed", data, caller.agent, ok ? "debug" : "warn");
  }
}

/** Error codes that mean "not allowed" rather than "failed". */
const REFUSALS: ReadonlySet<string> = new Set(["E_CAP_DENIED", "E_POLICY", "E_QUOTA", "E_RATE_LIMITED", "E_APPROVAL_DENIED"]);

function idempotencyKey(args: unknown): string | undefined {
  if (typeof args === "object" && args !== null) {
    const k = (args as { idempotencyKey?: unknown }).idempotencyKey;
    if (typeof k === "string") return k;
  }
  return undefined;
}

/** The idempotency key of call #`seq` of `caller` when the agent gave none: stable across a restart. */
function derivedKey(caller: Caller, seq: number): string {
  return `${caller.agent}:${seq}`;
}

function honoursKeys(def: AnyDef, args: unknown): boolean {
  const h = def.honoursKeys;
  return typeof h === "function" ? h(args as never) : h === true;
}
