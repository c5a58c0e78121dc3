/**
 * The insert half of the write path: storeMany, which creates records in one durable batch (all or
 * none). Everything that can fail on one input — its shape, scope, access, content type and size,
 * embedding — is checked for every input before the batch joins the write chain; quotas are checked
 * per agent for the whole batch inside the chain; the catalog, quota usage and HNSW index change
 * only after storage acknowledged the batch.
 */
import { parseScope } from "./access.js";
import type { FabricCore } from "./fabric-core.js";
import { checkVector, parseStoreInput, type StoreInput } from "./inputs.js";
import type { RecordMeta, Scope } from "./record.js";
import type { WriteOp } from "./storage.js";
import type { BatchWriter, WriteResult, WriteSettings } from "./write-types.js";

/** Stores many records in one durable batch (all or none). */
export async function storeMany(w: BatchWriter, f: FabricCore, s: WriteSettings, inputs: readonly StoreInput[]): Promise<WriteResult[]> {
  const prepared = inputs.map((raw, i) => {
    const inp = parseStoreInput(raw, inputs.length > 1 ? `[${i}]` : "");
    const actor = f.actor(inp);
    const scope = parseScope(inp.scope, actor);
    f.access.require(actor, scope, "write");
    const { content, bytes, canon } = w.checkContent(inp.type, inp.content);
    return { inp, actor, scope, content, bytes, canon, vector: checkVector(inp.embedding, f.dim) };
  });
  const need = prepared.filter((p) => p.vector === undefined);
  if (s.embedder !== undefined && need.length > 0) {
    const vs = await s.embedder.embed(need.map((p) => f.types.text(p.inp.type, p.content)));
    need.forEach((p, i) => (p.vector = vs[i]));
  }
  return w.serial(async () => {
    const perAgent = new Map<string, { bytes: number; records: number }>();
    for (const p of prepared) {
      const u = perAgent.get(p.actor.agent);
      if (u === undefined) perAgent.set(p.actor.agent, { bytes: p.bytes, records: 1 });
      else {
        u.bytes += p.bytes;
        u.records++;
      }
    }
    for (const [agent, u] of perAgent) f.quotas.check(agent, u.bytes, u.records);
    const now = f.clock.now();
    const ops: WriteOp[] = [];
    const metas: { meta: RecordMeta; vector: Float32Array | undefined }[] = [];
    for (const p of prepared) {
      const ttl = p.inp.ttlMs ?? s.regions?.[scopeString(p.scope)];
      const meta: RecordMeta = {
        rowid: f.catalog.allocRow(), id: s.ids.next("mem"), tenant: p.actor.tenant, scope: p.scope.kind, namespace: p.scope.namespace,
        owner: p.actor.agent, createdAt: now, type: p.inp.type, tags: dedupe(p.inp.tags ?? []), heads: [], updatedAt: now,
        expiresAt: ttl === undefined ? null : now + ttl, deleted: false, bytes: p.bytes,
      };
      const v = w.newVersion(meta, { type: meta.type, content: p.content, tags: meta.tags, parents: [], op: "create", agent: p.actor.agent }, p.canon);
      meta.heads = [v.hash];
      ops.push({ kind: "version", version: v, rec: meta.rowid, fresh: true, contentJson: p.canon }, { kind: "record", meta, fresh: true },
        { kind: "text", rowid: meta.rowid, text: f.types.text(meta.type, p.content), fresh: true });
      if (p.vector !== undefined) ops.push({ kind: "vector", rowid: meta.rowid, vector: p.vector });
      metas.push({ meta, vector: p.vector });
    }
    await f.storage.write(ops);
    for (const { meta, vector } of metas) {
      f.catalog.put(meta);
      if (vector !== undefined) f.hnsw.add(meta.rowid, vector);
    }
    for (const [agent, u] of perAgent) f.quotas.apply(agent, u.bytes, u.records);
    if (s.events?.wants("memory.stored") === true) {
      for (const { meta } of metas) s.events.emit("memory.stored", { id: meta.id, version: meta.heads[0] ?? "", type: meta.type, scope: meta.scope, namespace: meta.namespace, op: "create" });
    }
    return metas.map(({ meta }) => ({ id: meta.id, version: meta.heads[0] ?? "" }));
  });
}

function scopeString(s: Scope): string {
  return s.kind === "shared" ? `shared/${s.namespace}` : s.kind;
}

/** Tags as stored: each once, sorted. */
export function dedupe(tags: readonly string[]): string[] {
  return tags.length < 2 ? [...tags] : [...new Set(tags)].sort();
}
