/**
 * The default capability checker: an agent may do exactly what its spec's `capabilities` list names,
 * nothing else. Capability strings use DESIGN's format `resource#action1,action2{constraints}`, e.g.
 * `file:/data/**#read` or `agent:*#send`; `*` in a resource matches within one path segment, `**`
 * matches across segments, and action `*` matches every action. Decisions are cached per agent and
 * request, so the hot path is two map look-ups.
 */
import type { Caller, CapabilityRequest } from "./syscalls.js";
import type { CapabilityChecker, CapDecision } from "./guards.js";

export interface ParsedCapability {
  readonly source: string;
  readonly resource: string;
  readonly actions: readonly string[];
  readonly constraints: Readonly<Record<string, string>>;
  readonly matcher: RegExp;
}

const CAP_RE = /^([^#{}]+)#([A-Za-z0-9_.*,-]+)(?:\{(.*)\})?$/;

/** Parses one capability string; returns an error message instead of throwing. */
export function parseCapability(source: string): ParsedCapability | string {
  const m = CAP_RE.exec(source.trim());
  if (m === null) return `capability "${source}": expected resource#action[,action]{key=value,...}`;
  const [, resource = "", actionList = "", body] = m;
  const constraints: Record<string, string> = {};
  if (body !== undefined && body.trim() !== "") {
    for (const part of splitTopLevel(body)) {
      const eq = part.indexOf("=");
      if (eq <= 0) return `capability "${source}": constraint "${part}" is not key=value`;
      constraints[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
    }
  }
  return { source, resource, actions: actionList.split(",").filter((a) => a !== ""), constraints, matcher: globToRegExp(resource) };
}

/** Splits on commas that are not inside [...] lists. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = "";
  for (const ch of s) {
    if (ch === "[") depth++;
    if (ch === "]") depth--;
    if (ch === "," && depth === 0) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  if (cur.trim() !== "") out.push(cur);
  return out;
}

export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === "*") {
      if (glob[i + 1] === "*") {
        re += ".*";
        i++;
      } else re += "[^/]*";
    } else if (ch === "?") re += "[^/]";
    else re += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

export function capabilityAllows(cap: ParsedCapability, req: CapabilityRequest): boolean {
  return (cap.actions.includes("*") || cap.actions.includes(req.action)) && cap.matcher.test(req.resource);
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
      const cap = g.caps.find((c) => capabilityAllows(c, req));
      d = cap === undefined
        ? { allowed: false, reason: `no capability of ${caller.name} allows ${req.resource}#${req.action}` }
        : { allowed: true, by: `spec:${cap.source}` };
      if (g.cache.size < 4096) g.cache.set(key, d);
    }
    return d;
  }
}
