/**
 * The call the door hands a handler: the caller as the door needs it, the call object whose signal
 * is read when first asked for (ADR 0077), and how a call asks the scheduler for its slot (ADR 0076).
 */
import { AiosError } from "../core/index.js";
import type { AgentStatus, Caller, ResourceScheduler, SlotGrant, SyscallCall, TraceSpan } from "../abi/index.js";
import type { TallyKeeper } from "./door-tallies.js";
import type { AnyDef } from "./syscall-registry.js";

/**
 * A caller as the dispatcher needs it: the Caller facts plus a call counter, an abort signal and the
 * audit tallies of its aggregated calls (TallyKeeper: an agent's Proc keeps them; without, each call
 * is an entry).
 */
export interface DispatchCaller extends Caller, TallyKeeper {
  callSeq: number;
  readonly durable: boolean;
  /** An agent's lifecycle status (its Proc); absent for a caller that is no agent's process. */
  readonly status?: AgentStatus;
  readonly signal?: AbortSignal;
  /**
   * An agent's (a Proc's): how many times its signal was aborted and replaced, remembered by each
   * call; the call's signal is then read, when first asked for, from signalSince (ADR 0077).
   */
  readonly abortEpoch?: number;
  signalSince?(epoch: number): AbortSignal;
  abortedSince?(epoch: number): boolean;
  /**
   * A durable agent's call made out of turn (Proc.outOfTurn): journaled as no replayable call. Set
   * by the door too, for the rest of a call that waited past its letter (resumeInTurn).
   */
  outOfTurn?: boolean;
  /** An agent's: whether it is in a receive, and the letter (Meta) it handles. */
  readonly handling?: boolean;
  readonly current?: unknown;
  /** Its logic never changes a syscall's result (AgentLogic.leavesResultsIntact). */
  readonly leavesResultsIntact?: boolean;
}

const OUT_OF_TURN = { outOfTurn: true } as const;

/**
 * Where a durable agent's call stands when it enters the door (ADR 0016, "Late effects"): the letter
 * it is made in, OUT_OF_TURN when made out of turn, undefined outside any receive (and for any
 * other caller).
 */
export function turnOf(caller: DispatchCaller): unknown {
  if (!caller.durable) return undefined;
  if (caller.outOfTurn === true) return OUT_OF_TURN;
  return caller.handling === true ? caller.current : undefined;
}

/**
 * Runs `f`, the rest of a call that waited (for a person's approval, for its budget), out of turn
 * when its durable caller is no longer where the call entered (`turn`): a fire-and-forget call of
 * one letter that lands while the agent handles the next must take none of that letter's send or
 * call numbers, or a replay of that letter after a crash skips its own send as already made, or
 * answers its own call with this one's result.
 */
export function resumeInTurn<T>(caller: DispatchCaller, turn: unknown, f: () => T): T {
  if (!caller.durable || caller.outOfTurn === true || turnOf(caller) === turn) return f();
  caller.outOfTurn = true;
  try {
    return f();
  } finally {
    caller.outOfTurn = false;
  }
}

/** The refusal of a call made by an agent activation that has ended. */
export function endedCaller(caller: DispatchCaller, name: string): AiosError {
  return new AiosError("E_CANCELLED", `${name} of ${caller.agent} was not made: this activation of the agent has ended (${caller.status ?? "?"})`, {
    details: { agent: caller.agent, syscall: name, status: caller.status },
  });
}

/**
 * Why a call of `caller` is not made now, or undefined when it may act: an activation that ended acts
 * no more, and a paused agent — whose receives stopped, the one in progress finished — acts only
 * once resumed, so what still runs of its code (a timer, a promise settled later) is refused too.
 */
export function stoppedCaller(caller: DispatchCaller, name: string): AiosError | undefined {
  const status = caller.status;
  if (status === undefined || status === "running" || status === "pending") return undefined;
  if (status !== "paused") return endedCaller(caller, name);
  return new AiosError("E_CANCELLED", `${name} of ${caller.agent} was not made: the agent is paused (it acts again once resumed)`, {
    details: { agent: caller.agent, syscall: name, status },
  });
}

const NEVER = new AbortController().signal;
const PREEMPTIBLE = { preemptible: true } as const;
const NOT_PREEMPTIBLE = { preemptible: false } as const;
/** An agent's calls: the kernel cancels their waits itself when it aborts the agent's signal (exits.ts, operations.ts). */
const PREEMPTIBLE_OWNED = { preemptible: true, ownerCancels: true } as const;
const NOT_PREEMPTIBLE_OWNED = { preemptible: false, ownerCancels: true } as const;
export const asGrant = (g: SlotGrant | (() => void)): SlotGrant => (typeof g === "function" ? { release: g } : g);

type SlotOptions = { readonly preemptible: boolean; readonly ownerCancels?: boolean };

/**
 * How a call asks for its slot: preemptible as its syscall says; an agent's call (a caller with a
 * lifecycle status: a Proc, whose signal only the kernel aborts) lets the kernel cancel its wait
 * (ResourceScheduler.cancelWaiting), so the scheduler puts no listener on every agent's signal.
 */
function slotOptions(def: AnyDef, caller: DispatchCaller, scheduler: ResourceScheduler): SlotOptions {
  const owned = caller.status !== undefined && scheduler.cancelWaiting !== undefined;
  if (def.preemptible === true) return owned ? PREEMPTIBLE_OWNED : PREEMPTIBLE;
  return owned ? NOT_PREEMPTIBLE_OWNED : NOT_PREEMPTIBLE;
}

/**
 * Asks for a call's slot in `pool`. An agent's call, whose wait the kernel cancels itself, hands its
 * signal only when already aborted (the pool then refuses it as cancelled): reading it would make
 * the agent's abort controller (ADR 0077).
 */
export function askSlot(def: AnyDef, caller: DispatchCaller, scheduler: ResourceScheduler, pool: string, call: DoorCall): Promise<SlotGrant | (() => void)> {
  const options = slotOptions(def, caller, scheduler);
  return scheduler.acquire(caller, pool, options.ownerCancels === true && !call.aborted ? undefined : call.signal, options);
}

/**
 * One call as its handler gets it. Its signal is the caller's, read when first asked for (ADR 0077):
 * an agent's abort controller is an EventTarget made per agent and aborted at its end, and most
 * calls never look at it (an in-process model, a pure tool). A class with its optional fields set
 * one by one: a literal spread of them took V8's generic slow path, about a microsecond a call.
 * The door sets the derived key and the slot on the call itself, as the tracer sets its span
 * (observe/tracing.ts): the object is made for this call alone, and a copy per stage was garbage.
 */
export class DoorCall implements SyscallCall {
  // `declare`: an absent field stays absent (no own property set to undefined).
  declare readonly idempotencyKey?: string;
  declare readonly slot?: SlotGrant;
  declare readonly trace?: TraceSpan;

  constructor(
    readonly caller: DispatchCaller,
    /** The caller's abort epoch when the call began: paused since, the call is cancelled. */
    private readonly epoch: number,
    idempotencyKey: string | undefined,
  ) {
    if (idempotencyKey !== undefined) (this as { idempotencyKey?: string }).idempotencyKey = idempotencyKey;
  }

  get signal(): AbortSignal {
    const c = this.caller;
    return c.signalSince === undefined ? (c.signal ?? NEVER) : c.signalSince(this.epoch);
  }

  get aborted(): boolean {
    const c = this.caller;
    return c.abortedSince === undefined ? (c.signal?.aborted ?? false) : c.abortedSince(this.epoch);
  }

  /** @internal the key derived from (agent, call sequence), for a call without its own. */
  keyed(idempotencyKey: string): this {
    (this as { idempotencyKey?: string }).idempotencyKey = idempotencyKey;
    return this;
  }
  /** @internal the slot the call was granted, once granted. */
  holding(slot: SlotGrant): this {
    (this as { slot?: SlotGrant }).slot = slot;
    return this;
  }
}
