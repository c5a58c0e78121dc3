/**
 * Building the ToolContext a tool runs with. `check` asks the kernel's current capability checker
 * (read at call time: the security plugin may replace it after us), so a tool's execution-time
 * re-checks (canonical paths, resolved addresses, redirect hops) obey exactly the same grants as the
 * dispatcher's up-front check. Constraints are read from the caller's capability strings.
 */
import { AiosError, type Clock, type EventBus, type AgentId } from "../core/index.js";
import {
  allows,
  callAborted,
  parseCapability,
  type AgentSpecInput,
  type Caller,
  type CapabilityChecker,
  type CapabilityRequest,
  type Grant,
  type Capability,
  type CallSignal,
  type TraceSpan,
} from "./kernel-seam.js";
import type { SecretSource } from "./secret-slots.js";
import type { ToolContext } from "./tool.js";

/**
 * What a ToolContext is made of. Read once when the context is made, except `spawn` and `request`,
 * read when the tool first asks for them (the door's parts make those functions only then).
 */
export interface ContextParts {
  readonly caller: Caller;
  readonly checker: () => CapabilityChecker;
  readonly clock: Clock;
  readonly signal?: AbortSignal;
  /** The call the context is made for: its signal is read from it when the tool first asks (ADR 0077). */
  readonly call?: CallSignal;
  readonly events?: EventBus | undefined;
  readonly idempotencyKey?: string | undefined;
  readonly trace?: TraceSpan | undefined;
  readonly spawn?: ((spec: AgentSpecInput) => Promise<AgentId>) | undefined;
  readonly request?: ((to: string, payload: unknown, timeoutMs?: number) => Promise<unknown>) | undefined;
  /** Where secret slots get their values (security/'s store); absent: no secret can be used. */
  readonly secrets?: SecretSource | undefined;
}

export function makeToolContext(p: ContextParts): ToolContext {
  return new PartsContext(p);
}

/** Whether `ctx`'s call is cancelled, without making the call's signal when the door built ctx. */
export function cancelled(ctx: ToolContext): boolean {
  return ctx instanceof PartsContext ? ctx.aborted : ctx.signal.aborted;
}

/**
 * A class, not an object literal: every ToolCall builds one, and a literal assembled from optional
 * spreads (one per optional field) is built slowly, property by property, into a large object; the
 * methods live on the prototype. The caller's capability list is parsed on the first constraints().
 */
class PartsContext implements ToolContext {
  readonly caller: Caller;
  readonly clock: Clock;
  readonly events: EventBus | undefined;
  // `declare`: an absent part stays absent (no own property set to undefined).
  declare readonly idempotencyKey?: string;
  declare readonly trace?: TraceSpan;
  private readonly caps: readonly string[];
  private sig: AbortSignal | undefined = undefined;

  constructor(private readonly p: ContextParts) {
    this.caller = p.caller;
    this.clock = p.clock;
    this.events = p.events;
    const self = this as { -readonly [K in "idempotencyKey" | "trace"]: PartsContext[K] };
    const key = p.idempotencyKey;
    if (key !== undefined) self.idempotencyKey = key;
    const trace = p.trace;
    if (trace !== undefined) self.trace = trace;
    this.caps = this.caller.capabilities;
  }

  get spawn(): ((spec: AgentSpecInput) => Promise<AgentId>) | undefined {
    return this.p.spawn;
  }
  get request(): ((to: string, payload: unknown, timeoutMs?: number) => Promise<unknown>) | undefined {
    return this.p.request;
  }

  get signal(): AbortSignal {
    return (this.sig ??= this.p.call?.signal ?? this.p.signal ?? new AbortController().signal);
  }

  /** Whether `signal` is aborted, answered without making the call's (cancelled()). */
  get aborted(): boolean {
    const call = this.p.call;
    if (this.sig !== undefined || call === undefined) return this.signal.aborted;
    return callAborted(call);
  }

  check(req: CapabilityRequest): void {
    const d = this.p.checker().check(this.caller, req);
    if (!d.allowed) {
      throw new AiosError("E_CAP_DENIED", `${req.resource}#${req.action} denied: ${d.reason}`, {
        details: { resource: req.resource, action: req.action },
      });
    }
  }

  revealSecret(name: string): string {
    // Checked at the slot, at execution time: a grant revoked since the door's check stops it here.
    this.check({ resource: `secret:${name}`, action: "use" });
    const secrets = this.p.secrets;
    const v = secrets?.reveal(name);
    if (v === undefined) {
      throw new AiosError("E_NOT_FOUND", secrets === undefined ? `secret ${name}: this kernel has no secret store` : `secret ${name} does not exist`, { details: { secret: name } });
    }
    return v;
  }

  constraints(req: CapabilityRequest): ReadonlyArray<Readonly<Record<string, string>>> {
    const out = parsedCapabilities(this.caps).filter((c) => allows(c, req)).map((c) => c.constraints);
    const d = this.p.checker().check(this.caller, { ...req, amount: 0 });
    // The capability that allowed it (a spec's, or a token's), unless it is one of the caller's own
    // already listed above: a token minted from the spec names the same capability.
    if (d.allowed && !((d.by.kind === "spec" || d.by.kind === "token") && this.caps.includes(d.by.capability))) {
      const named = capabilityNamedBy(d.by);
      if (named !== undefined) out.push(named.constraints);
    }
    return out;
  }
}

/** The capability that allowed a decision (spec or token), parsed; undefined for operator/none. */
function capabilityNamedBy(by: Grant): Capability | undefined {
  if (by.kind !== "spec" && by.kind !== "token") return undefined;
  try {
    return parseCapability(by.capability);
  } catch {
    return undefined;
  }
}

const cache = new WeakMap<readonly string[], readonly Capability[]>();

/** Parsed once per capability list (the kernel hands the same array for the agent's lifetime). */
export function parsedCapabilities(caps: readonly string[]): readonly Capability[] {
  let p = cache.get(caps);
  if (p === undefined) {
    p = caps.flatMap((c) => {
      try {
        return [parseCapability(c)];
      } catch {
        return [];
      }
    });
    cache.set(caps, p);
  }
  return p;
}
