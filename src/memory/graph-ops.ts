/**
 * Graph operations of the fabric: link/unlink records with typed edges, neighbours and k-hop
 * traversal, shortest path. Linking needs write access to the source and read access to the
 * target; traversal walks only through records the caller can read and that pass the filter.
 */
import { AiosError } from "../core/index.js";
import type { FabricCore } from "./fabric-core.js";
import { EdgeTypeSchema, parseInput, TraverseInputSchema, type TraverseInput } from "./inputs.js";

export interface Neighbour {
  readonly id: string;
  readonly type: string;
  readonly depth: number;
  /** The record it was reached from, and the edge type used. */
  readonly from: string;
  readonly via: string;
}

type Who = { agent?: string; tenant?: string };

export async function link(f: FabricCore, from: string, to: string, type: string, who: Who = {}): Promise<{ created: boolean }> {
  const t = parseInput(EdgeTypeSchema, type, "type");
  const actor = f.actor(who);
  return f.run(async () => {
    const a = f.mustWrite(from, actor);
    const b = f.mustRead(to, actor);
    if (!f.graph.add(a.rowid, b.rowid, t)) return { created: false };
    try {
      await f.storage.write([{ kind: "edge", from: a.rowid, to: b.rowid, type: t, ts: f.clock.now(), remove: false }]);
    } catch (e) {
      f.graph.remove(a.rowid, b.rowid, t);
      throw e;
    }
    return { created: true };
  });
}

export async function unlink(f: FabricCore, from: string, to: string, type: string, who: Who = {}): Promise<{ removed: boolean }> {
  const actor = f.actor(who);
  return f.run(async () => {
    const a = f.mustWrite(from, actor);
    const b = f.mustRead(to, actor);
    const cat = f.catalog;
    if (!f.graph.bfs(a.rowid, { maxDepth: 1, types: [type] }).some((r) => cat.get(r.node)?.id === b.id)) return { removed: false };
    await f.storage.write([{ kind: "edge", from: a.rowid, to: b.rowid, type, ts: 0, remove: true }]);
    f.graph.remove(a.rowid, b.rowid, type);
    return { removed: true };
  });
}

/** Records within `depth` hops of `id` (default 1), nearest first. */
export function neighbors(f: FabricCore, id: string, raw: TraverseInput = {}): Neighbour[] {
  const o = parseInput(TraverseInputSchema, raw);
  const actor = f.actor(o);
  const start = f.mustRead(id, actor);
  const accept = f.catalog.compile(actor, f.access, o.filter ?? {}, f.clock.now());
  const reached = f.graph.bfs(start.rowid, { maxDepth: o.depth, direction: o.direction, accept, ...(o.types === undefined ? {} : { types: o.types }), ...(o.limit === undefined ? {} : { limit: o.limit }) });
  return reached.map((r) => {
    const m = f.catalog.get(r.node);
    const p = f.catalog.get(r.from);
    if (m === undefined || p === undefined) throw new AiosError("E_INTERNAL", `graph node ${r.node} has no catalog row`);
    return { id: m.id, type: m.type, depth: r.depth, from: p.id, via: r.type };
  });
}

/** The fewest-hop path between two records as [{id, via}] (via: edge type into that record), or null. */
export function shortestPath(f: FabricCore, from: string, to: string, raw: Omit<TraverseInput, "limit"> = {}): { id: string; via: string | null }[] | null {
  const o = parseInput(TraverseInputSchema, raw);
  const actor = f.actor(o);
  const a = f.mustRead(from, actor);
  const b = f.mustRead(to, actor);
  const accept = f.catalog.compile(actor, f.access, o.filter ?? {}, f.clock.now());
  const path = f.graph.shortestPath(a.rowid, b.rowid, { maxDepth: raw.depth === undefined ? 16 : o.depth, direction: o.direction, accept, ...(o.types === undefined ? {} : { types: o.types }) });
  return path === null ? null : path.map((s) => ({ id: f.catalog.get(s.node)?.id ?? "?", via: s.type }));
}
