/**
 * Namespace snapshots. A snapshot is the map record id -> head version of every live record in a
 * namespace; versions are immutable and content-addressed, so a snapshot copies no content.
 * Restore makes the namespace look like the snapshot again *by writing new versions* (rollback of
 * changed records, tombstones for records created since, revival of records deleted since), so
 * history is never rewritten and a restore can itself be undone.
 */
import { AiosError } from "../core/index.js";
import { parseScope } from "./access.js";
import type { FabricCore } from "./fabric-core.js";
import type { RecordMeta } from "./record.js";

type Who = { agent?: string; tenant?: string };

export async function snapshot(f: FabricCore, scopeRaw: string | undefined, label?: string, who: Who = {}): Promise<{ id: string; records: number }> {
  const actor = f.actor(who);
  const scope = parseScope(scopeRaw, actor);
  f.access.require(actor, scope, "read");
  return f.run(async () => {
    const entries: Record<string, string> = {};
    for (const m of inNamespace(f, actor.tenant, scope.kind, scope.namespace)) entries[m.id] = m.heads[0] ?? "";
    const id = `snap_${f.clock.now().toString(36)}_${Object.keys(entries).length}_${Math.random().toString(36).slice(2, 8)}`;
    await f.storage.write([{ kind: "snapshot", snapshot: { id, tenant: actor.tenant, scope: scope.kind, namespace: scope.namespace, ts: f.clock.now(), label: label ?? null, entries } }]);
    return { id, records: Object.keys(entries).length };
  });
}

/** A snapshot as listed: what it covers and how many records, not its entries. */
export interface SnapshotInfo {
  readonly id: string;
  readonly scope: string;
  readonly label: string | null;
  readonly ts: number;
  readonly records: number;
}

/** The snapshots of one scope the actor may read, oldest first. */
export async function listSnapshots(f: FabricCore, scopeRaw: string | undefined, who: Who = {}): Promise<SnapshotInfo[]> {
  const actor = f.actor(who);
  const scope = parseScope(scopeRaw, actor);
  f.access.require(actor, scope, "read");
  const label = scope.kind === "shared" ? `shared/${scope.namespace}` : scope.kind;
  const rows = await f.storage.listSnapshots(actor.tenant, scope.kind, scope.namespace);
  return rows.map((r) => ({ id: r.id, scope: label, label: r.label, ts: r.ts, records: Object.keys(r.entries).length }));
}

export async function restore(f: FabricCore, snapshotId: string, who: Who = {}): Promise<{ reverted: number; removed: number; revived: number }> {
  const actor = f.actor(who);
  const snap = await f.storage.getSnapshot(snapshotId);
  if (snap === undefined || snap.tenant !== actor.tenant) throw new AiosError("E_NOT_FOUND", `no snapshot ${snapshotId}`, { details: { path: "snapshot" } });
  const scope = { kind: snap.scope as RecordMeta["scope"], namespace: snap.namespace };
  f.access.require(actor, scope, "write");
  return f.run(async () => {
    let reverted = 0, removed = 0, revived = 0;
    for (const m of [...inNamespace(f, actor.tenant, scope.kind, scope.namespace)]) {
      const want = snap.entries[m.id];
      if (want === undefined) {
        await f.remove(m, actor);
        removed++;
      } else if (m.heads.length !== 1 || m.heads[0] !== want) {
        const v = await f.storage.getVersion(want, m.rowid);
        if (v === undefined) throw new AiosError("E_CORRUPT", `snapshot ${snapshotId}: version ${want} is missing`);
        await f.revert(m, v, actor);
        reverted++;
      }
    }
    for (const [id, hash] of Object.entries(snap.entries)) {
      const m = f.catalog.byRecordId(id);
      if (m === undefined || !m.deleted) continue;
      const v = await f.storage.getVersion(hash, m.rowid);
      if (v === undefined) throw new AiosError("E_CORRUPT", `snapshot ${snapshotId}: version ${hash} is missing`);
      await f.revert(m, v, actor);
      revived++;
    }
    return { reverted, removed, revived };
  });
}

function* inNamespace(f: FabricCore, tenant: string, kind: string, namespace: string): Generator<RecordMeta> {
  for (const m of f.catalog.live()) if (m.tenant === tenant && m.scope === kind && m.namespace === namespace) yield m;
}
