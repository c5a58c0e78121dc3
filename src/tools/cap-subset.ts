/**
 * Capability attenuation for agent.spawn: is a child's capability string covered by one of its
 * parent's? Covered means: every action of the child is an action of the parent (or the parent has
 * `*`), the child's resource glob matches a subset of what the parent's glob matches, and the child
 * keeps every constraint of the parent at least as tight (list values a subset, numbers no larger,
 * anything else equal). Glob inclusion is decided on the patterns themselves, not by testing the
 * child's pattern as a literal string — `file:/data/**` is NOT inside `file:/data/*`, although the
 * literal text "file:/data/**" matches the parent's regex. The check is conservative: it may refuse
 * an exotic child glob that is in fact a subset, never the reverse.
 */
import { parseCapability, type ParsedCapability } from "./kernel-seam.js";

type Tok = { readonly k: "lit"; readonly c: string } | { readonly k: "star" } | { readonly k: "globstar" } | { readonly k: "any1" };

function tokens(glob: string): Tok[] {
  const out: Tok[] = [];
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === "*" && glob[i + 1] === "*") {
      out.push({ k: "globstar" });
      i++;
    } else if (c === "*") out.push({ k: "star" });
    else if (c === "?") out.push({ k: "any1" });
    else out.push({ k: "lit", c });
  }
  return out;
}

/** True when every string the child glob matches is matched by the parent glob. */
export function globSubset(child: string, parent: string): boolean {
  const c = tokens(child);
  const p = tokens(parent);
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (p.length + 1) + j;
    const m = memo.get(key);
    if (m !== undefined) return m;
    let r: boolean;
    const ct = c[i];
    const pt = p[j];
    if (pt === undefined) r = ct === undefined;
    else if (pt.k === "globstar") r = go(i, j + 1) || (ct !== undefined && go(i + 1, j));
    else if (pt.k === "star") r = go(i, j + 1) || (ct !== undefined && ct.k !== "globstar" && !(ct.k === "lit" && ct.c === "/") && go(i + 1, j));
    else if (ct === undefined) r = false;
    else if (pt.k === "any1") r = (ct.k === "any1" || (ct.k === "lit" && ct.c !== "/")) && go(i + 1, j + 1);
    else r = ct.k === "lit" && ct.c === pt.c && go(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

function listOf(v: string): string[] | undefined {
  const t = v.trim();
  if (!t.startsWith("[") || !t.endsWith("]")) return undefined;
  return t.slice(1, -1).split(",").map((x) => x.trim()).filter((x) => x !== "");
}

/** `100`, `30s`, `100/min`: a number and the unit text after it. */
function quantity(v: string): { n: number; unit: string } | undefined {
  const m = /^(\d+(?:\.\d+)?)(.*)$/.exec(v.trim());
  return m === null ? undefined : { n: Number(m[1]), unit: (m[2] ?? "").trim() };
}

function constraintTighter(child: string | undefined, parent: string): boolean {
  if (child === undefined) return false; // dropping a constraint widens the grant
  const pl = listOf(parent);
  if (pl !== undefined) {
    const cl = listOf(child);
    return cl !== undefined && cl.every((x) => pl.includes(x));
  }
  const pq = quantity(parent);
  const cq = quantity(child);
  if (pq !== undefined && cq !== undefined && pq.unit === cq.unit) return cq.n <= pq.n;
  return child.trim() === parent.trim();
}

export function capabilityCovers(parent: ParsedCapability, child: ParsedCapability): boolean {
  const actionsOk = parent.actions.includes("*") || (!child.actions.includes("*") && child.actions.every((a) => parent.actions.includes(a)));
  if (!actionsOk || !globSubset(child.resource, parent.resource)) return false;
  return Object.entries(parent.constraints).every(([k, v]) => constraintTighter(child.constraints[k], v));
}

/** The first child capability no parent capability covers (or that does not parse), else undefined. */
export function firstUncovered(parentCaps: readonly string[], childCaps: readonly string[]): string | undefined {
  const parents = parentCaps.map(parseCapability).filter((p): p is ParsedCapability => typeof p !== "string");
  for (const c of childCaps) {
    const child = parseCapability(c);
    if (typeof child === "string") return c;
    if (!parents.some((p) => capabilityCovers(p, child))) return c;
  }
  return undefined;
}
