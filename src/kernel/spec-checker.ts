/**
 * The default capability checker: an agent may do exactly what its spec's `capabilities` list names,
 * nothing else (the grammar is capability/'s). Decisions are cached per agent and request, so the hot
 * path is two map look-ups; the cache per agent is bounded. The security subsystem replaces this
 * checker with signed tokens.
 */
import { allows, parseCapability, type Capability } from "../capability/index.js";
import type { Caller, CapabilityChecker, CapabilityRequest, CapDecision, CapLease } from "../abi/index.js";

interface CallerGrants {
  readonly caps: readonly Capability[];
  readonly cache: Map<string, CapDecision>;
}

const CACHE_PER_AGENT = 4096;

function parsed(source: string): Capability[] {
  try {
    return [parseCapability(source)];
  } catch {
    return [];
  }
}

export class SpecCapabilityChecker implements CapabilityChecker {
  private readonly grants = new WeakMap<readonly string[], CallerGrants>();

  check(caller: Caller, req: CapabilityRequest): CapDecision {
    let g = this.grants.get(caller.capabilities);
    if (g === undefined) {
      g = { caps: caller.capabilities.flatMap(parsed), cache: new Map() };
      this.grants.set(caller.capabilities, g);
    }
    const key = req.action + "\u0000" + req.resource;
    let d = g.cache.get(key);
    if (d === undefined) {
      const cap = g.caps.find((c) => allows(c, req));
      d = cap === undefined
        ? { allowed: false, reason: `no capability of ${caller.name} allows ${req.resource}#${req.action}` }
        : { allowed: true, by: { kind: "spec", capability: cap.source } };
      if (g.cache.size < CACHE_PER_AGENT) g.cache.set(key, d);
    }
    return d;
  }

  /** A spec never changes under a running agent: its decision holds (the kernel's generation aside). */
  lease(caller: Caller, req: CapabilityRequest): CapLease {
    return { decision: this.check(caller, req), valid: true };
  }
}
