/**
 * The default capability checker: an agent may do exactly what its spec's `capabilities` list names,
 * nothing else. Capability strings use DESIGN's format `resource#action1,action2{constraints}`, parsed
 * and matched by security's capability module (`*` within one path segment, `**` across segments,
 * action `*` for every action). Decisions are cached per agent and request, so the hot path is two
 * map look-ups. The security subsystem replaces this checker with signed tokens.
 */
import { toAiosError } from "../core/index.js";
import { allows, globToRegExp, parseCapability as parseStrict, type Capability } from "../security/index.js";
import type { Caller, CapabilityRequest } from "./syscalls.js";
import type { CapabilityChecker, CapDecision } from "./guards.js";

export type ParsedCapability = Capability;
export { globToRegExp };

/** Parses one capability string; returns the error message instead of throwing. */
export function parseCapability(source: string): ParsedCapability | string {
  try {
    return parseStrict(source);
  } catch (e) {
    return toAiosError(e).message;
  }
}

export function capabilityAllows(cap: ParsedCapability, req: CapabilityRequest): boolean {
  return allows(cap, req);
}

interface CallerGrants {
  readonly caps: readonly ParsedCapability[];
  readonly cache: Map<string, CapDecision>;
}

export class SpecCapabilityChecker implements CapabilityChecker {
  private readonly grants = new WeakMap<readonly string[], CallerGrants>();

  check(caller: Caller, req: CapabilityRequest): CapDecision {
    let g = this.grants.get(caller.capabilities);
    if (g === undefined) {
      const caps = caller.capabilities.map(parseCapability).filter((c): c is ParsedCapability => typeof c !== "string");
      g = { caps, cache: new Map() };
      this.grants.set(caller.capabilities, g);
    }
    const key = req.action + "\u0000" + req.resource;
    let d = g.cache.get(key);
    if (d === undefined) {
      const cap = g.caps.find((c) => allows(c, req));
      d = cap === undefined
        ? { allowed: false, reason: `no capability of ${caller.name} allows ${req.resource}#${req.action}` }
        : { allowed: true, by: `spec:${cap.source}` };
      if (g.cache.size < 4096) g.cache.set(key, d);
    }
    return d;
  }
}
