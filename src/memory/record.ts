/**
 * The shapes the memory fabric keeps: a record (stable id, its current head version(s), where it
 * lives) and its immutable, content-addressed versions. A record with more than one head has
 * unmerged concurrent branches. Scopes: `agent` (private to its owner), `shared/<ns>` (explicit
 * grants), `global` (one namespace per tenant).
 */

export type ScopeKind = "agent" | "shared" | "global";

export interface Scope {
  readonly kind: ScopeKind;
  /** agent: the owner's id; shared: the namespace name; global: the tenant. */
  readonly namespace: string;
}

export type VersionOp = "create" | "update" | "merge" | "rollback" | "delete" | "restore";

export interface MemoryVersion {
  readonly hash: string;
  readonly recordId: string;
  readonly parents: readonly string[];
  readonly type: string;
  readonly content: unknown;
  readonly tags: readonly string[];
  readonly agent: string;
  readonly ts: number;
  readonly op: VersionOp;
  readonly deleted: boolean;
}

/** The catalog's row for one record: everything search filters need, kept in RAM. */
export interface RecordMeta {
  readonly rowid: number;
  readonly id: string;
  readonly tenant: string;
  readonly scope: ScopeKind;
  readonly namespace: string;
  readonly owner: string;
  readonly createdAt: number;
  type: string;
  tags: readonly string[];
  heads: readonly string[];
  updatedAt: number;
  expiresAt: number | null;
  deleted: boolean;
  /** Canonical content size of the winning head, charged to the owner's quota. */
  bytes: number;
}

export interface MemoryRecord {
  readonly id: string;
  readonly type: string;
  readonly scope: ScopeKind;
  readonly namespace: string;
  readonly owner: string;
  readonly content: unknown;
  readonly tags: readonly string[];
  readonly version: string;
  /** Other heads when concurrent branches are kept unmerged (keep-both). */
  readonly conflicts: readonly string[];
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly expiresAt: number | null;
}

export interface Edge {
  readonly from: string;
  readonly to: string;
  readonly type: string;
}
