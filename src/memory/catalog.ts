/**
 * The in-RAM catalog of records: metadata only (no content), indexed by rowid, by id, by
 * namespace and by head version hash. Search filters, graph node predicates and quota accounting
 * all read it, so none of them touch disk; the head index tells storage which record a head
 * version belongs to (versions are stored under their record). Invariants: it mirrors what storage
 * acknowledged (the fabric updates it only after a write succeeds); a deleted record leaves its
 * namespace set; heads[0] is the winning head; every current head hash maps to its record's rowid.
 */
import { z } from "zod";
import type { AccessControl, Actor } from "./access.js";
import { HeadIndex } from "./head-index.js";
import type { RecordMeta, ScopeKind } from "./record.js";

export const MemoryFilterSchema = z.object({
  types: z.array(z.string()).max(64).optional(),
  /** Every one of these tags. */
  tags: z.array(z.string()).max(64).optional(),
  /** At least one of these tags. */
  anyTags: z.array(z.string()).max(64).optional(),
  /** "agent" | "global" | "shared" (any shared namespace) | "shared/<ns>" */
  scope: z.string().optional(),
  owner: z.string().optional(),
  /** Created at or after (ms since epoch). */
  since: z.number().optional(),
  /** Created before (ms since epoch). */
  until: z.number().optional(),
}).strict();
export type MemoryFilter = z.infer<typeof MemoryFilterSchema>;

export class Catalog {
  private readonly rows: (RecordMeta | undefined)[] = [];
  private readonly byId = new Map<string, RecordMeta>();
  private readonly byHead = new HeadIndex((rowid) => this.rows[rowid]?.heads);
  private next = 1;
  // Per-rowid columns the unfiltered search predicate reads instead of the RecordMeta object: HNSW
  // asks about thousands of scattered rows per query, and a 4-byte column is far kinder to the
  // CPU cache than one object per row. rowNs: namespace id + 1 (0: no row); expiry: ms or Infinity.
  private rowNs = new Int32Array(1024);
  private rowLive = new Uint8Array(1024);
  private rowExp = new Float64Array(1024);
  // Namespace ids by tenant, scope and name: found without building a key string per put.
  private readonly nsIds = new Map<string, Record<ScopeKind, Map<string, number>>>();
  private readonly nsList: { tenant: string; scope: ScopeKind; namespace: string; rows: Set<number> }[] = [];

  allocRow(): number {
    return this.next++;
  }

  get(rowid: number): RecordMeta | undefined {
    return this.rows[rowid];
  }
  byRecordId(id: string): RecordMeta | undefined {
    return this.byId.get(id);
  }
  /** The rowid of the record whose current head `hash` is. */
  rowOfHead(hash: string): number | undefined {
    return this.byHead.get(hash);
  }
  get size(): number {
    return this.byId.size;
  }

  /** Inserts or replaces a record's metadata (keeps namespace sets and the head index in step). */
  put(m: RecordMeta): void {
    const prev = this.rows[m.rowid];
    this.rows[m.rowid] = m;
    if (prev?.heads !== m.heads) {
      for (const h of prev?.heads ?? []) this.byHead.remove(h, m.rowid);
      for (const h of m.heads) this.byHead.add(h, m.rowid);
    }
    this.byId.set(m.id, m);
    if (m.rowid >= this.next) this.next = m.rowid + 1;
    const ns = this.namespaceId(m.tenant, m.scope, m.namespace);
    const set = (this.nsList[ns] as { rows: Set<number> }).rows;
    if (m.deleted) set.delete(m.rowid);
    else set.add(m.rowid);
    if (m.rowid >= this.rowNs.length) this.growColumns(m.rowid + 1);
    this.rowNs[m.rowid] = ns + 1;
    this.rowLive[m.rowid] = m.deleted ? 0 : 1;
    this.rowExp[m.rowid] = m.expiresAt ?? Infinity;
  }

  private namespaceId(tenant: string, scope: ScopeKind, namespace: string): number {
    let byScope = this.nsIds.get(tenant);
    if (byScope === undefined) this.nsIds.set(tenant, (byScope = { agent: new Map(), shared: new Map(), global: new Map() }));
    let ns = byScope[scope].get(namespace);
    if (ns === undefined) {
      byScope[scope].set(namespace, (ns = this.nsList.length));
      this.nsList.push({ tenant, scope, namespace, rows: new Set() });
    }
    return ns;
  }

  private growColumns(min: number): void {
    const n = Math.max(min, this.rowNs.length * 2);
    const ns = new Int32Array(n);
    ns.set(this.rowNs);
    const live = new Uint8Array(n);
    live.set(this.rowLive);
    const exp = new Float64Array(n);
    exp.set(this.rowExp);
    this.rowNs = ns;
    this.rowLive = live;
    this.rowExp = exp;
  }

  /** The predicate for a filter that constrains at most the scope: columns and one verdict per namespace. */
  private compileScopeOnly(actor: Actor, access: AccessControl, scope: string | undefined, now: number): (rowid: number) => boolean {
    const verdict: (boolean | undefined)[] = [];
    const decide = (ns: number): boolean => {
      const n = this.nsList[ns];
      return n !== undefined && n.tenant === actor.tenant && scopeMatches(scope, n.scope, n.namespace) &&
        access.can(actor, n.tenant, { kind: n.scope, namespace: n.namespace }, "read");
    };
    return (rowid) => {
      const ns = (this.rowNs[rowid] ?? 0) - 1;
      if (ns < 0 || this.rowLive[rowid] !== 1 || (this.rowExp[rowid] as number) <= now) return false;
      let ok = verdict[ns];
      if (ok === undefined) verdict[ns] = ok = decide(ns);
      return ok;
    };
  }

  *live(): Generator<RecordMeta> {
    for (const m of this.byId.values()) if (!m.deleted) yield m;
  }

  /** Live rowids of the namespaces `actor` can read that the filter's scope admits. */
  candidateRows(actor: Actor, access: AccessControl, filter: MemoryFilter): { count: number; sets: Set<number>[] } {
    const sets: Set<number>[] = [];
    let count = 0;
    for (const { tenant, scope, namespace, rows } of this.nsList) {
      if (rows.size === 0) continue;
      if (tenant !== actor.tenant || !scopeMatches(filter.scope, scope, namespace)) continue;
      if (!access.can(actor, tenant, { kind: scope, namespace }, "read")) continue;
      sets.push(rows);
      count += rows.size;
    }
    return { count, sets };
  }

  /** A predicate over rowids: visible to `actor`, alive at `now`, and matching the filter. */
  compile(actor: Actor, access: AccessControl, filter: MemoryFilter, now: number): (rowid: number) => boolean {
    if (filter.types === undefined && filter.tags === undefined && filter.anyTags === undefined && filter.owner === undefined &&
      filter.since === undefined && filter.until === undefined) return this.compileScopeOnly(actor, access, filter.scope, now);
    const types = filter.types === undefined ? undefined : new Set(filter.types);
    // Readability per (scope, namespace), cached without building a key string: HNSW calls this
    // predicate for every node its beam admits, thousands of times per query.
    const readable: Record<RecordMeta["scope"], Map<string, boolean>> = { agent: new Map(), shared: new Map(), global: new Map() };
    return (rowid) => {
      const m = this.rows[rowid];
      if (m === undefined || m.deleted || m.tenant !== actor.tenant) return false;
      if (m.expiresAt !== null && m.expiresAt <= now) return false;
      if (types !== undefined && !types.has(m.type)) return false;
      if (filter.owner !== undefined && m.owner !== filter.owner) return false;
      if (filter.since !== undefined && m.createdAt < filter.since) return false;
      if (filter.until !== undefined && m.createdAt >= filter.until) return false;
      if (filter.tags !== undefined && !filter.tags.every((t) => m.tags.includes(t))) return false;
      if (filter.anyTags !== undefined && !filter.anyTags.some((t) => m.tags.includes(t))) return false;
      if (!scopeMatches(filter.scope, m.scope, m.namespace)) return false;
      const seen = readable[m.scope];
      let ok = seen.get(m.namespace);
      if (ok === undefined) seen.set(m.namespace, (ok = access.canRead(actor, m)));
      return ok;
    };
  }
}

function scopeMatches(want: string | undefined, scope: RecordMeta["scope"], namespace: string): boolean {
  if (want === undefined) return true;
  if (want === scope) return true;
  return scope === "shared" && want === `shared/${namespace}`;
}
