/**
 * Capabilities in DESIGN's format `resource#action1,action2{key=value,...}`, e.g.
 * `file:/data/**#read`, `shell#exec{allow=[ls,cat],timeout=30s}`, `llm:*#invoke{tokens=100000}`.
 * Owns parsing (errors name the offending part), matching a request, and attenuation: `covers(parent,
 * child)` is true only when the child allows nothing the parent does not — a narrower resource glob,
 * a subset of actions, and every parent constraint kept at least as strict.
 */
import { AiosError } from "../core/index.js";
import { globCovers, globToRegExp } from "./glob.js";

export interface Capability {
  readonly source: string;
  readonly resource: string;
  readonly actions: readonly string[];
  readonly constraints: Readonly<Record<string, string>>;
  readonly matcher: RegExp;
}

/** What a check asks for (structurally the kernel's CapabilityRequest). */
export interface CapRequest {
  readonly resource: string;
  readonly action: string;
  readonly amount?: number;
}

const CAP_RE = /^([^#{}\s]+)#([A-Za-z0-9_.*,-]+)(?:\{(.*)\})?$/s;

/**
 * Parsed capabilities by source text. A spec's capability strings are parsed for every agent spawned
 * from it (its spec-grant token), and each parse compiles a glob into a RegExp; the result is frozen
 * (its matcher has no `g` flag, so it keeps no state), so one parse serves every later caller.
 * Bounded: cleared when full, so arbitrary strings cannot grow it without limit.
 */
const parsedCache = new Map<string, Capability>();
const PARSED_CACHE_MAX = 4096;

/** Parses one capability string or throws E_INVALID_ARG naming `field`. */
export function parseCapability(source: string, field = "capability"): Capability {
  const hit = parsedCache.get(source);
  if (hit !== undefined) return hit;
  const cap = parseUncached(source, field);
  if (parsedCache.size >= PARSED_CACHE_MAX) parsedCache.clear();
  parsedCache.set(source, cap);
  return cap;
}

function parseUncached(source: string, field: string): Capability {
  const m = CAP_RE.exec(source.trim());
  if (m === null) throw new AiosError("E_INVALID_ARG", `${field} "${source}": expected resource#action[,action]{key=value,...}`, { details: { path: field } });
  const [, resource = "", actionList = "", body] = m;
  const constraints: Record<string, string> = {};
  if (body !== undefined && body.trim() !== "") {
    for (const part of splitTopLevel(body)) {
      const eq = part.indexOf("=");
      if (eq <= 0) throw new AiosError("E_INVALID_ARG", `${field} "${source}": constraint "${part.trim()}" is not key=value`, { details: { path: field } });
      const key = part.slice(0, eq).trim();
      const value = part.slice(eq + 1).trim();
      const err = validateConstraint(key, value);
      if (err !== undefined) throw new AiosError("E_INVALID_ARG", `${field} "${source}": ${err}`, { details: { path: field } });
      constraints[key] = value;
    }
  }
  const actions = [...new Set(actionList.split(",").filter((a) => a !== ""))].sort();
  if (actions.length === 0) throw new AiosError("E_INVALID_ARG", `${field} "${source}": no actions`, { details: { path: field } });
  return Object.freeze({ source: source.trim(), resource, actions: Object.freeze(actions), constraints: Object.freeze(constraints), matcher: globToRegExp(resource) });
}

export function formatCapability(c: Omit<Capability, "matcher" | "source">): string {
  const keys = Object.keys(c.constraints).sort();
  const body = keys.length === 0 ? "" : `{${keys.map((k) => `${k}=${c.constraints[k] ?? ""}`).join(",")}}`;
  return `${c.resource}#${[...c.actions].sort().join(",")}${body}`;
}

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

export function allows(cap: Capability, req: CapRequest): boolean {
  return (cap.actions.includes("*") || cap.actions.includes(req.action)) && cap.matcher.test(req.resource);
}

// ---- constraint values -------------------------------------------------------------------------

const UNITS: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, hour: 3_600_000, d: 86_400_000, day: 86_400_000 };
const COUNTED = new Set(["max", "tokens"]);

export function parseRate(v: string): { n: number; periodMs: number } | undefined {
  const m = /^(\d+)\/(\d*)(ms|s|sec|m|min|h|hour|d|day)$/.exec(v);
  if (m === null) return undefined;
  const unit = UNITS[m[3] ?? ""] ?? 0;
  return { n: Number(m[1]), periodMs: (m[2] === "" || m[2] === undefined ? 1 : Number(m[2])) * unit };
}

export function parseDuration(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|sec|m|min|h|hour|d|day)?$/.exec(v);
  if (m === null) return undefined;
  return Number(m[1]) * (UNITS[m[2] ?? "ms"] ?? 1);
}

function parseList(v: string): string[] | undefined {
  const m = /^\[(.*)\]$/s.exec(v);
  if (m === null) return undefined;
  return (m[1] ?? "").split(",").map((x) => x.trim()).filter((x) => x !== "");
}

/** Constraints whose list names what is refused: a narrower capability refuses at least as much. */
const DENY_LISTS = new Set(["denyargs"]);

function validateConstraint(key: string, value: string): string | undefined {
  if (DENY_LISTS.has(key) && parseList(value) === undefined) return `constraint ${key}=${value} must be a list like [-exec,-delete]`;
  if (COUNTED.has(key) && !/^\d+$/.test(value)) return `constraint ${key}=${value} must be a non-negative integer`;
  if (key === "rate" && parseRate(value) === undefined) return `constraint rate=${value} must look like 100/min`;
  if (key === "timeout" && parseDuration(value) === undefined) return `constraint timeout=${value} must be a duration like 30s`;
  return undefined;
}

/** True when the child's value for `key` is at least as strict as the parent's. */
function constraintCovers(key: string, parent: string, child: string | undefined): boolean {
  if (child === undefined) return false; // dropping a parent constraint would widen
  if (COUNTED.has(key)) return Number(child) <= Number(parent);
  if (key === "rate") {
    const p = parseRate(parent);
    const c = parseRate(child);
    // Compare as events per millisecond, and the child burst may not exceed the parent's.
    return p !== undefined && c !== undefined && c.n <= p.n && c.n / c.periodMs <= p.n / p.periodMs;
  }
  if (key === "timeout") {
    const p = parseDuration(parent);
    const c = parseDuration(child);
    return p !== undefined && c !== undefined && c <= p;
  }
  if (DENY_LISTS.has(key)) {
    const pl = parseList(parent) ?? [];
    const cl = parseList(child);
    return cl !== undefined && pl.every((x) => cl.includes(x));
  }
  const pl = parseList(parent);
  if (pl !== undefined) {
    const cl = parseList(child);
    return cl !== undefined && cl.every((x) => pl.includes(x));
  }
  return parent === child;
}

/** Attenuation: every request the child allows, the parent allows, under constraints no looser. */
export function covers(parent: Capability, child: Capability): boolean {
  if (!parent.actions.includes("*") && !child.actions.every((a) => parent.actions.includes(a))) return false;
  if (!globCovers(parent.resource, child.resource)) return false;
  for (const [k, v] of Object.entries(parent.constraints)) if (!constraintCovers(k, v, child.constraints[k])) return false;
  return true;
}

/** True when some capability in `parents` covers `child`. */
export function coveredBy(parents: readonly Capability[], child: Capability): boolean {
  return parents.some((p) => covers(p, child));
}
