/**
 * Rebalancing (docs/adr/0050): which trees a node moves away now, as a pure function of the live
 * nodes' loads, so it is tested on its own and every node reasons alike. Each node moves only trees it
 * holds (the only ones it can hand over), by migration (docs/adr/0035):
 *
 * - a node is hot when its load ratio (held / capacity) is above the cluster's mean ratio by
 *   `threshold` (a fraction of the mean) and by one whole tree at least; a node below that moves
 *   nothing (hysteresis: a node just under the line does not churn);
 * - a hot node moves trees down to the mean, no further, at most `maxMoves` per interval;
 * - each tree goes to the least loaded other node that can take it (its tags, capacity), and only
 *   when that node is no hotter than this one after the move (a move never swaps who is hotter);
 * - a tree whose spec prefers this node stays.
 */
import { place, type Candidate } from "./placement.js";
import type { PlacementHints } from "./leases.js";

export interface Movable {
  /** The tree's root (its lease). */
  readonly tree: string;
  /** Its root spec's placement hints. */
  readonly hints: PlacementHints;
}

export interface Move {
  readonly tree: string;
  readonly to: string;
}

export interface RebalanceOptions {
  /** How far above the mean ratio (a fraction of it) a node must be to move anything. */
  readonly threshold: number;
  /** Trees moved per interval at most. */
  readonly maxMoves: number;
}

/** The moves node `self` makes now, in order (`trees`: those it holds, in the order to consider them). */
export function plan(self: string, candidates: readonly Candidate[], trees: readonly Movable[], o: RebalanceOptions): Move[] {
  const nodes = candidates.map((c) => ({ ...c }));
  const me = nodes.find((c) => c.node === self);
  if (me === undefined || nodes.length < 2) return [];
  let held = 0;
  let capacity = 0;
  for (const c of nodes) {
    held += c.held;
    capacity += c.capacity;
  }
  // Loads compared without dividing (me.held / me.capacity against held / capacity): a node exactly at
  // the mean must read as at the mean, not a rounding error above it.
  const excess = (): number => me.held * capacity - held * me.capacity;
  if (excess() <= held * me.capacity * o.threshold || excess() < capacity) return [];
  const others = nodes.filter((c) => c.node !== self);
  const moves: Move[] = [];
  for (const t of trees) {
    if (moves.length >= o.maxMoves || excess() <= 0) break;
    if (t.hints.node === self) continue;
    const to = place(others, t.hints.tags === undefined ? {} : { tags: t.hints.tags });
    const dst = others.find((c) => c.node === to);
    if (to === undefined || dst === undefined) continue;
    // Moved only if (dst.held + 1) / dst.capacity <= (me.held - 1) / me.capacity (without division).
    if ((dst.held + 1) * me.capacity > (me.held - 1) * dst.capacity) continue;
    moves.push({ tree: t.tree, to });
    dst.held++;
    me.held--;
  }
  return moves;
}
