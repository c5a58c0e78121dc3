/**
 * Placement (docs/adr/0028): a pure choice of node for an agent, so every node computes the same
 * answer from the same rows. Candidates are live nodes below capacity carrying every tag the agent
 * asks for (tags are requirements); the agent's preferred node wins when it is a candidate (a
 * preference, not a pin: a dead preferred node does not strand the agent); otherwise the lowest load
 * ratio (held / capacity), then fewest held, then name.
 */
import type { PlacementHints } from "./leases.js";

export interface Candidate {
  readonly node: string;
  /** Leases held now. */
  readonly held: number;
  readonly capacity: number;
  readonly tags: readonly string[];
}

export function eligible(c: Candidate, hints: PlacementHints): boolean {
  return c.held < c.capacity && (hints.tags ?? []).every((t) => c.tags.includes(t));
}

/** The node an agent with `hints` goes to, or undefined when no live node can take it. */
export function place(candidates: readonly Candidate[], hints: PlacementHints): string | undefined {
  const ok = candidates.filter((c) => eligible(c, hints));
  if (hints.node !== undefined && ok.some((c) => c.node === hints.node)) return hints.node;
  let best: Candidate | undefined;
  for (const c of ok) {
    if (best === undefined) {
      best = c;
      continue;
    }
    const d = c.held * best.capacity - best.held * c.capacity; // compare ratios without division
    if (d < 0 || (d === 0 && (c.held < best.held || (c.held === best.held && c.node < best.node)))) best = c;
  }
  return best?.node;
}
