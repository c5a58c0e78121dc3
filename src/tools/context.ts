/**
 * Building the ToolContext a tool runs with. `check` asks the kernel's current capability checker
 * (read at call time: the security plugin may replace it after us), so a tool's execution-time
 * re-checks (canonical paths, resolved addresses, redirect hops) obey exactly the same grants as the
 * dispatcher's up-front check. Constraints are read from the caller's capability strings.
 */
import { AiosError, type Clock, type EventBus, type AgentId } from "../core/index.js";
import {
  allows,
  parseCapability,
  type AgentSpecInput,
  type Caller,
  type CapabilityChecker,
  type CapabilityRequest,
  type Grant,
  type Capability,
  type TraceSpan,
} from "./kernel-seam.js";
import type { SecretSource } from "./secret-slots.js";
import type { ToolContext } from "./tool.js";

export interface ContextParts {
  readonly caller: Caller;
  readonly checker: () => CapabilityChecker;
  readonly clock: Clock;
  readonly signal?: AbortSignal;
  readonly events?: EventBus;
  readonly idempotencyKey?: string;
  readonly trace?: TraceSpan;
  readonly spawn?: (spec: AgentSpecInput) => Promise<AgentId>;
  readonly request?: (to: string, payload: unknown, timeoutMs?: number) => Promise<unknown>;
  /** Where secret slots get their values (security/'s store); absent: no secret can be used. */
  readonly secrets?: SecretSource;
}

export function makeToolContext(p: ContextParts): ToolContext {
  const parsed = parsedCapabilities(p.caller.capabilities);
  const check = (req: CapabilityRequest): void => {
    const d = p.checker().check(p.caller, req);
    if (!d.allowed) {
      throw new AiosError("E_CAP_DENIED", `${req.resource}#${req.action} denied: ${d.reason}`, {
        details: { resource: req.resource, action: req.action },
      });
    }
  };
  return {
    caller: p.caller,
    signal: p.signal ?? new AbortController().signal,
    clock: p.clock,
    events: p.events,
    ...(p.idempotencyKey === undefined ? {} : { idempotencyKey: p.idempotencyKey }),
    ...(p.trace === undefined ? {} : { trace: p.trace }),
    ...(p.spawn === undefined ? {} : { spawn: p.spawn }),
    ...(p.request === undefined ? {} : { request: p.request }),
    check,
    revealSecret(name) {
      // Checked at the slot, at execution time: a grant revoked since the door's check stops it here.
      check({ resource: `secret:${name}`, action: "use" });
      const v = p.secrets?.reveal(name);
      if (v === undefined) {
        throw new AiosError("E_NOT_FOUND", p.secrets === undefined ? `secret ${name}: this kernel has no secret store` : `secret ${name} does not exist`, { details: { secret: name } });
      }
      return v;
    },
    constraints(req: CapabilityRequest) {
      const out = parsed.filter((c) => allows(c, req)).map((c) => c.constraints);
      const d = p.checker().check(p.caller, { ...req, amount: 0 });
      if (d.allowed) {
        const named = capabilityNamedBy(d.by);
        if (named !== undefined) out.push(named.constraints);
      }
      return out;
    },
  };
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
