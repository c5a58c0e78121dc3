/**
 * Spec objects that cannot change. A cache keyed by a spec object (the kernel's last parsed spec, a
 * run's spec per goal) is valid only for an input that cannot: a spec object mutated between two
 * spawns must be parsed again, or the second spawn would silently run the first one's spec. And a
 * parsed spec, which an agent can read, must not change at all: it is what the agent is granted.
 */
import { MAX_TREE_DEPTH } from "./spec-check.js";

/**
 * True when `input` and every object it holds are frozen — all but what a parsed spec keeps by
 * reference instead of copying (its `logic` and its `args`, at any level of a spec tree), which a
 * cached parse sees change as a fresh one would.
 */
export function settledSpec(input: unknown): boolean {
  return settled(input, 0);
}

/**
 * Deeper than any spec the schema accepts (a spec of the tree's last level sits at 2 x 15 = 30, its
 * deepest field, an A2A skill's tags, four below): such an input is simply not cached.
 */
const MAX_DEPTH = 2 * MAX_TREE_DEPTH + 8;

function settled(v: unknown, depth: number): boolean {
  if (typeof v !== "object" || v === null) return true;
  if (depth > MAX_DEPTH || !Object.isFrozen(v)) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (!settled(v[i], depth + 1)) return false;
    return true;
  }
  const o = v as Record<string, unknown>;
  for (const k in o) {
    if (k === "logic" || k === "args") continue;
    if (!settled(o[k], depth + 1)) return false;
  }
  return true;
}

/**
 * Freezes a parsed spec through and through: every list and object its parse made, so nothing that
 * holds the spec — an agent reading `ctx.spec` — can change what it grants (a capability pushed into
 * its list once widened the agent's authority at its next check). Left as they are: the values a
 * parsed spec keeps by reference to its author's objects (its `logic`, its `args`, the JSON Schema
 * values under `output`), which freezing would freeze in the author's hands.
 */
export function freezeSpec<T extends object>(spec: T): T {
  freezeTree(spec as Record<string, unknown>, 0);
  return spec;
}

function freezeTree(o: Record<string, unknown> | unknown[], depth: number): void {
  if (Object.isFrozen(o)) return;
  if (depth <= MAX_DEPTH) {
    if (Array.isArray(o)) {
      for (let i = 0; i < o.length; i++) {
        const v = o[i];
        if (typeof v === "object" && v !== null) freezeTree(v as Record<string, unknown>, depth + 1);
      }
    } else {
      for (const k in o) {
        if (k === "logic" || k === "args" || k === "output") continue;
        const v = o[k];
        if (typeof v === "object" && v !== null) freezeTree(v as Record<string, unknown>, depth + 1);
      }
    }
  }
  Object.freeze(o);
}
