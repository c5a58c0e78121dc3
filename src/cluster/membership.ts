/**
 * Membership: one cluster_nodes row per node (docs/adr/0028). A node is live while state = 'up' and
 * expires_at > now; its heartbeat moves expires_at to now + ttl and records its load (leases held).
 * A graceful leave marks it 'left'; a dead node simply stops heartbeating and expires.
 * Times come from the node's injected Clock.
 */
import { int, query, text, type Row, type SqlClient, type SqlPool } from "./sql.js";

export interface NodeInfo {
  readonly node: string;
  readonly addr: string;
  readonly startedAt: number;
  readonly heartbeatAt: number;
  readonly expiresAt: number;
  readonly load: number;
  readonly capacity: number;
  readonly tags: readonly string[];
  readonly state: "up" | "left";
  /** up and not expired at the time of the listing. */
  readonly live: boolean;
}

export interface JoinInfo {
  readonly node: string;
  readonly addr: string;
  readonly capacity: number;
  readonly tags: readonly string[];
}

function nodeRow(r: Row, now: number): NodeInfo {
  const tags = r["tags"];
  const state = text(r, "state") === "left" ? "left" : "up";
  const expiresAt = int(r, "expires_at");
  return {
    node: text(r, "node"),
    addr: text(r, "addr"),
    startedAt: int(r, "started_at"),
    heartbeatAt: int(r, "heartbeat_at"),
    expiresAt,
    load: int(r, "load"),
    capacity: int(r, "capacity"),
    tags: Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [],
    state,
    live: state === "up" && expiresAt > now,
  };
}

export class NodeTable {
  constructor(
    private readonly pool: SqlPool,
    readonly cluster: string,
  ) {}

  /** Adds or revives this node's row: up, heartbeat now, expiring at now + ttl. */
  async join(j: JoinInfo, now: number, ttlMs: number): Promise<void> {
    await query(
      this.pool,
      `INSERT INTO cluster_nodes (cluster, node, addr, started_at, heartbeat_at, expires_at, load, capacity, tags, state)
       VALUES ($1, $2, $3, $4, $4, $5, 0, $6, $7, 'up')
       ON CONFLICT (cluster, node) DO UPDATE SET addr = EXCLUDED.addr, started_at = EXCLUDED.started_at,
         heartbeat_at = EXCLUDED.heartbeat_at, expires_at = EXCLUDED.expires_at, load = 0,
         capacity = EXCLUDED.capacity, tags = EXCLUDED.tags, state = 'up'`,
      [this.cluster, j.node, j.addr, now, now + ttlMs, j.capacity, [...j.tags]],
      `joining cluster ${this.cluster} as ${j.node}`,
      { node: j.node },
    );
  }

  /** The heartbeat's row update, on `c` (the heartbeat transaction). False when the row is gone or left. */
  async beat(c: SqlClient, node: string, now: number, ttlMs: number, load: number): Promise<boolean> {
    const r = await c.query("UPDATE cluster_nodes SET heartbeat_at = $3, expires_at = $4, load = $5 WHERE cluster = $1 AND node = $2 AND state = 'up'", [
      this.cluster,
      node,
      now,
      now + ttlMs,
      load,
    ]);
    return r.rowCount === 1;
  }

  /** Marks the node as left (not live from now on), on `c`. */
  async leave(c: SqlClient, node: string, now: number): Promise<void> {
    await c.query("UPDATE cluster_nodes SET state = 'left', expires_at = $3, load = 0 WHERE cluster = $1 AND node = $2", [this.cluster, node, now]);
  }

  /** Every node row of the cluster, live ones first, then by name. */
  async list(now: number): Promise<NodeInfo[]> {
    // Load is counted from the leases at `now` (live ones), not the row's load column, which is only
    // what the node reported at its last heartbeat (before that beat's takeovers).
    const r = await query(
      this.pool,
      `SELECT n.node, n.addr, n.started_at, n.heartbeat_at, n.expires_at, n.capacity, n.tags, n.state,
         (SELECT count(*) FROM cluster_leases l WHERE l.cluster = n.cluster AND l.owner = n.node AND l.expires_at > $2) AS load
       FROM cluster_nodes n WHERE n.cluster = $1 ORDER BY n.node`,
      [this.cluster, now],
      `listing the nodes of cluster ${this.cluster}`,
    );
    const nodes = r.rows.map((row) => nodeRow(row, now));
    return [...nodes.filter((n) => n.live), ...nodes.filter((n) => !n.live)];
  }
}
