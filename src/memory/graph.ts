/**
 * The graph of typed edges between records, held in RAM as adjacency arrays indexed by catalog
 * rowid (out and in lists of interleaved [neighbour, typeId] pairs) and persisted as rows by the
 * fabric. Traversals are breadth-first with a depth bound, an edge-type filter and a node
 * predicate; a node the predicate rejects is neither returned nor walked through, so a traversal
 * never reveals what lies behind a record the caller may not read.
 */

export type Direction = "out" | "in" | "both";

export interface TraverseOptions {
  readonly maxDepth: number;
  readonly types?: readonly string[];
  readonly direction?: Direction;
  readonly accept?: (node: number) => boolean;
  /** Stop after this many nodes are reached (default unbounded). */
  readonly limit?: number;
}

export interface Reached {
  readonly node: number;
  readonly depth: number;
  /** The node it was reached from (-1 for the start), and the edge type used. */
  readonly from: number;
  readonly type: string;
}

export class EdgeGraph {
  private readonly out: (number[] | undefined)[] = [];
  private readonly inn: (number[] | undefined)[] = [];
  private readonly typeIds = new Map<string, number>();
  private readonly typeNames: string[] = [];
  private edges = 0;

  get edgeCount(): number {
    return this.edges;
  }

  private typeId(t: string): number {
    let id = this.typeIds.get(t);
    if (id === undefined) {
      id = this.typeNames.length;
      this.typeIds.set(t, id);
      this.typeNames.push(t);
    }
    return id;
  }

  /** Adds an edge; false when it already existed. */
  add(from: number, to: number, type: string): boolean {
    const t = this.typeId(type);
    const o = (this.out[from] ??= []);
    for (let i = 0; i < o.length; i += 2) if (o[i] === to && o[i + 1] === t) return false;
    o.push(to, t);
    (this.inn[to] ??= []).push(from, t);
    this.edges++;
    return true;
  }

  remove(from: number, to: number, type: string): boolean {
    const t = this.typeIds.get(type);
    if (t === undefined) return false;
    const cut = (list: number[] | undefined, other: number): boolean => {
      if (list === undefined) return false;
      for (let i = 0; i < list.length; i += 2) {
        if (list[i] === other && list[i + 1] === t) {
          list.splice(i, 2);
          return true;
        }
      }
      return false;
    };
    const removed = cut(this.out[from], to);
    if (removed) {
      cut(this.inn[to], from);
      this.edges--;
    }
    return removed;
  }

  /** Every edge touching `node`, each once. */
  incident(node: number): { from: number; to: number; type: string }[] {
    const all: { from: number; to: number; type: string }[] = [];
    for (const [to, t] of pairs(this.out[node])) all.push({ from: node, to, type: this.typeNames[t] as string });
    for (const [from, t] of pairs(this.inn[node])) if (from !== node) all.push({ from, to: node, type: this.typeNames[t] as string });
    return all;
  }

  /** Drops every edge touching `node` (the record is gone). Returns the removed edges. */
  detach(node: number): { from: number; to: number; type: string }[] {
    const gone = this.incident(node);
    for (const e of gone) this.remove(e.from, e.to, e.type);
    return gone;
  }

  /** Breadth-first traversal from `start` (excluded from the result) up to maxDepth hops. */
  bfs(start: number, o: TraverseOptions): Reached[] {
    const wanted = o.types === undefined ? undefined : new Set(o.types.map((t) => this.typeIds.get(t) ?? -1));
    const dir = o.direction ?? "out";
    const limit = o.limit ?? Infinity;
    const seen = new Set<number>([start]);
    const result: Reached[] = [];
    let frontier = [start];
    for (let depth = 1; depth <= o.maxDepth && frontier.length > 0; depth++) {
      const next: number[] = [];
      for (const n of frontier) {
        for (const list of dir === "both" ? [this.out[n], this.inn[n]] : [dir === "out" ? this.out[n] : this.inn[n]]) {
          if (list === undefined) continue;
          for (let i = 0; i < list.length; i += 2) {
            const m = list[i] as number;
            const t = list[i + 1] as number;
            if (seen.has(m) || (wanted !== undefined && !wanted.has(t))) continue;
            seen.add(m);
            if (o.accept !== undefined && !o.accept(m)) continue;
            result.push({ node: m, depth, from: n, type: this.typeNames[t] as string });
            if (result.length >= limit) return result;
            next.push(m);
          }
        }
      }
      frontier = next;
    }
    return result;
  }

  /** Fewest-hop path from `from` to `to` as [node, edgeType-into-node] steps, or null. */
  shortestPath(from: number, to: number, o: Omit<TraverseOptions, "limit">): { node: number; type: string | null }[] | null {
    if (from === to) return [{ node: from, type: null }];
    const parent = new Map<number, Reached>();
    let found = false;
    // A bounded BFS that records parents; stops as soon as the target is reached.
    this.bfs(from, {
      ...o,
      accept: (n) => {
        if (found) return false;
        if (o.accept !== undefined && !o.accept(n)) return false;
        if (n === to) found = true;
        return true;
      },
    }).forEach((r) => parent.set(r.node, r));
    if (!parent.has(to)) return null;
    const path: { node: number; type: string | null }[] = [];
    let cur = parent.get(to);
    path.push({ node: to, type: cur?.type ?? null });
    while (cur !== undefined && cur.from !== from) {
      const p = parent.get(cur.from);
      path.push({ node: cur.from, type: p?.type ?? null });
      cur = p;
    }
    path.push({ node: from, type: null });
    return path.reverse();
  }
}

function* pairs(list: number[] | undefined): Generator<[number, number]> {
  if (list === undefined) return;
  for (let i = 0; i < list.length; i += 2) yield [list[i] as number, list[i + 1] as number];
}
