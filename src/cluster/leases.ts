/**
 * Leases: which node owns which agent, under which epoch (docs/adr/0028). One row per agent in
 * cluster_leases, never deleted, so an agent's epoch only grows. Every state change is a single
 * compare-and-set statement in PostgreSQL:
 *   acquire  - upsert that bumps the epoch, only when the row is unowned or expired;
 *   renew    - extends every lease a node still owns (part of its heartbeat transaction);
 *   release  - clears the owner, only for the holder at that epoch.
 * Times are milliseconds from the caller's injected Clock; safety never depends on them (the fence in
 * schema.ts does), only how soon another node may take an agent over.
 */
import { isAiosError } from "../core/index.js";
import { inTransaction, int, naming, query, text, textOrNull, type Row, type SqlClient, type SqlPool, type SqlResult } from "./sql.js";

export interface Lease {
  readonly agent: string;
  readonly owner: string;
  readonly epoch: number;
  readonly expiresAt: number;
}

/** Where an agent would like to run: a named node, or nodes carrying every listed tag. */
export interface PlacementHints {
  readonly node?: string;
  readonly tags?: readonly string[];
}

export interface LeaseRow {
  readonly agent: string;
  readonly owner: string | null;
  readonly epoch: number;
  readonly expiresAt: number;
  readonly hints: PlacementHints;
}

function leaseRow(r: Row): LeaseRow {
  const node = textOrNull(r, "hint_node");
  const tags = r["hint_tags"];
  const tagList = Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [];
  return {
    agent: text(r, "agent"),
    owner: textOrNull(r, "owner"),
    epoch: int(r, "epoch"),
    expiresAt: int(r, "expires_at"),
    hints: { ...(node === null ? {} : { node }), ...(tagList.length > 0 ? { tags: tagList } : {}) },
  };
}

const COLS = "agent, owner, epoch, expires_at, hint_node, hint_tags";

/** The takeover statement (acquire): one statement, PostgreSQL's row lock serialises racers. */
const ACQUIRE = `INSERT INTO cluster_leases AS l (cluster, agent, owner, epoch, expires_at, hint_node, hint_tags)
  VALUES ($1, $2, $3, 1, $4, $6, $7)
  ON CONFLICT (cluster, agent) DO UPDATE
    SET owner = EXCLUDED.owner, epoch = l.epoch + 1, expires_at = EXCLUDED.expires_at,
        down_epoch = CASE WHEN l.owner IS NULL THEN l.down_epoch ELSE l.epoch END,
        down_node = CASE WHEN l.owner IS NULL THEN l.down_node ELSE l.owner END
    WHERE l.owner IS NULL OR l.expires_at <= $5
  RETURNING epoch, expires_at`;

/** SQLSTATE lock_not_available: a lock_timeout passed. */
const LOCK_NOT_AVAILABLE = "55P03";

export class LeaseTable {
  constructor(
    private readonly pool: SqlPool,
    readonly cluster: string,
  ) {}

  /**
   * Records an agent to be placed, unowned at epoch 0, with its hints; a no-op when the agent already
   * has a row (its epoch and owner are kept). Returns true when the row was created.
   */
  async register(agent: string, hints: PlacementHints = {}): Promise<boolean> {
    const r = await query(
      this.pool,
      `INSERT INTO cluster_leases (cluster, agent, owner, epoch, expires_at, hint_node, hint_tags)
       VALUES ($1, $2, NULL, 0, 0, $3, $4) ON CONFLICT (cluster, agent) DO NOTHING`,
      [this.cluster, agent, hints.node ?? null, [...(hints.tags ?? [])]],
      `registering agent ${agent}`,
      { agent },
    );
    return r.rowCount === 1;
  }

  /**
   * Takes the lease for `node` when the agent has no row, no owner, or an expired lease (expires_at
   * <= now); the epoch goes up by one on every acquisition. Taking a lapsed lease (an owner set, its
   * time passed: the owner died, paused or was cut off) records that epoch and owner as down
   * (docs/adr/0048); a released or handed-over lease has no owner and records nothing. Null when someone else holds a live lease
   * (including a racing node that won). One statement: PostgreSQL's row lock serialises racers and
   * re-checks the WHERE on the winner's row.
   */
  async acquire(agent: string, node: string, now: number, ttlMs: number, hints: PlacementHints = {}, lockWaitMs?: number): Promise<Lease | null> {
    const what = `acquiring the lease of ${agent}`;
    const details = { agent, node };
    const params = [this.cluster, agent, node, now + ttlMs, now, hints.node ?? null, [...(hints.tags ?? [])]];
    let r: SqlResult;
    if (lockWaitMs === undefined) r = await query(this.pool, ACQUIRE, params, what, details);
    else {
      // A takeover waits for the row's lock at most lockWaitMs: a node stopped inside a transaction
      // that holds it (SIGSTOP, a VM paused) would otherwise hold this heartbeat with it. Its session
      // ends at the server's idle-in-transaction timeout (pg-pool.ts); a later beat takes the lease.
      try {
        r = await naming(what, details, () =>
          inTransaction(this.pool, async (c) => {
            await c.query(`SET LOCAL lock_timeout = ${Math.max(1, Math.floor(lockWaitMs))}`);
            return c.query(ACQUIRE, params);
          }),
        );
      } catch (e) {
        if (isAiosError(e) && e.details["sqlstate"] === LOCK_NOT_AVAILABLE) return null;
        throw e;
      }
    }
    const row = r.rows[0];
    if (row === undefined) return null;
    return { agent, owner: node, epoch: int(row, "epoch"), expiresAt: int(row, "expires_at") };
  }

  /** Extends every lease `node` still owns to now + ttl, on `c` (the heartbeat's transaction). */
  async renew(c: SqlClient, node: string, now: number, ttlMs: number): Promise<Lease[]> {
    // ORDER BY agent in the locking subselect: renewals and takeovers lock rows in one order (no deadlock).
    const r = await c.query(
      `UPDATE cluster_leases l SET expires_at = $3
       FROM (SELECT agent FROM cluster_leases WHERE cluster = $1 AND owner = $2 ORDER BY agent FOR UPDATE) mine
       WHERE l.cluster = $1 AND l.agent = mine.agent
       RETURNING l.agent, l.epoch, l.expires_at`,
      [this.cluster, node, now + ttlMs],
    );
    return r.rows.map((row) => ({ agent: text(row, "agent"), owner: node, epoch: int(row, "epoch"), expiresAt: int(row, "expires_at") }));
  }

  /** Gives the lease up (owner cleared, epoch kept) when `node` still holds it at `epoch`. */
  async release(agent: string, node: string, epoch: number): Promise<boolean> {
    const r = await query(
      this.pool,
      "UPDATE cluster_leases SET owner = NULL, expires_at = 0 WHERE cluster = $1 AND agent = $2 AND owner = $3 AND epoch = $4",
      [this.cluster, agent, node, epoch],
      `releasing the lease of ${agent}`,
      { agent, node, epoch },
    );
    return r.rowCount === 1;
  }

  /**
   * Hands the lease over: released (epoch kept) with `to` as its preferred node, when `node` still
   * holds it at `epoch`; the takeover scan of `to` then acquires it (placement prefers the hint).
   */
  async handover(agent: string, node: string, epoch: number, to: string): Promise<boolean> {
    const r = await query(
      this.pool,
      "UPDATE cluster_leases SET owner = NULL, expires_at = 0, hint_node = $5 WHERE cluster = $1 AND agent = $2 AND owner = $3 AND epoch = $4",
      [this.cluster, agent, node, epoch, to],
      `handing the lease of ${agent} over to ${to}`,
      { agent, node, epoch },
    );
    return r.rowCount === 1;
  }

  /** Releases every lease `node` holds, on `c`; returns the agents released. */
  async releaseAll(c: SqlClient, node: string): Promise<string[]> {
    const r = await c.query("UPDATE cluster_leases SET owner = NULL, expires_at = 0 WHERE cluster = $1 AND owner = $2 RETURNING agent", [this.cluster, node]);
    return r.rows.map((row) => text(row, "agent"));
  }

  async get(agent: string): Promise<LeaseRow | undefined> {
    const r = await query(this.pool, `SELECT ${COLS} FROM cluster_leases WHERE cluster = $1 AND agent = $2`, [this.cluster, agent], `reading the lease of ${agent}`, { agent });
    const row = r.rows[0];
    return row === undefined ? undefined : leaseRow(row);
  }

  /** Leases another node may take: unowned, or expired at `now`; oldest expiry first, at most `limit`. */
  async claimable(now: number, limit = 500): Promise<LeaseRow[]> {
    const r = await query(
      this.pool,
      `SELECT ${COLS} FROM cluster_leases WHERE cluster = $1 AND (owner IS NULL OR expires_at <= $2) ORDER BY expires_at, agent LIMIT $3`,
      [this.cluster, now, limit],
      "listing claimable leases",
    );
    return r.rows.map(leaseRow);
  }

  /** Live leases held per node at `now` (the load placement balances). */
  async heldCounts(now: number): Promise<Map<string, number>> {
    const r = await query(
      this.pool,
      "SELECT owner, count(*) AS n FROM cluster_leases WHERE cluster = $1 AND owner IS NOT NULL AND expires_at > $2 GROUP BY owner",
      [this.cluster, now],
      "counting held leases",
    );
    return new Map(r.rows.map((row) => [text(row, "owner"), int(row, "n")]));
  }
}
