/**
 * Whether a spec input can still change. A cache keyed by a spec object (the kernel's last parsed
 * spec, a run's spec per goal) is valid only for an input that cannot: a spec object mutated between
 * two spawns must be parsed again, or the second spawn would silently run the first one's spec.
 */

/**
 * True when `input` and every object it holds are frozen — all but what a parsed spec keeps by
 * reference instead of copying (its `logic` and its `args`, at any level of a spec tree), which a
 * cached parse sees change as a fresh one would.
 */
export function settledSpec(input: unknown): boolean {
  return settled(input, 0);
}

/** Deeper than any spec the schema accepts: such an input is simply not cached. */
const MAX_DEPTH = 32;

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
