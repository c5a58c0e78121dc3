/**
 * Supervision across nodes (docs/adr/0048): what a node reads from PostgreSQL, at most once per
 * heartbeat, about the child trees of supervisors it holds and the child trees it holds.
 *
 * - `downs`: children of supervisors whose tree this node holds that ended (their terminal status in
 *   the directory) or whose node died (their lease was taken over after it lapsed: `down_epoch`),
 *   and whose supervisor has not been told yet (`told_*`). Only the current child of each slot (the
 *   newest `link`): a child the supervisor already replaced is never reported again, so a restart is
 *   made once even when the supervisor's node dies between making it and marking it told.
 * - `told`: marks a report applied (after the kernel applied it: a report is told at least once; a
 *   second telling of a node death after a crash of the supervisor's node counts once more in the
 *   restart intensity of a supervisor that lost its count in that crash anyway).
 * - `letGo`: child trees held here that their supervisor let go — it ended, or a newer child holds
 *   the slot (the supervisor restarted it elsewhere or started afresh): this node stops them.
 *
 * Facts, not messages: a lost NATS wake-up or a dead node loses nothing; the next beat reads again.
 */
import type { AgentId, AgentStatus } from "../core/index.js";
import { TERMINAL, type RemoteDown } from "../abi/index.js";
import { int, query, text, textOrNull, type Row, type SqlPool } from "./sql.js";

/** A report with what marks it told. */
export interface Down extends RemoteDown {
  /** The child's lapsed epoch to record as told (node_down), or undefined for an end. */
  readonly toldEpoch?: number;
}

/** The newest child of a slot (no later link for the same supervisor and slot). */
const CURRENT = `NOT EXISTS (SELECT 1 FROM cluster_agents n WHERE n.cluster = c.cluster AND n.supervisor = c.supervisor AND n.slot = c.slot AND n.link > c.link)`;

const DOWNS = `
SELECT c.agent, c.supervisor, c.slot, c.ended, c.status, c.told_epoch, coalesce(l.down_epoch, 0) AS down_epoch, l.down_node
FROM cluster_agents c
JOIN cluster_agents s ON s.cluster = c.cluster AND s.agent = c.supervisor
JOIN cluster_leases sl ON sl.cluster = c.cluster AND sl.agent = s.tree AND sl.owner = $2
LEFT JOIN cluster_leases l ON l.cluster = c.cluster AND l.agent = c.tree
WHERE c.cluster = $1 AND c.supervisor IS NOT NULL
  AND ((c.ended AND NOT c.told_end) OR (NOT c.ended AND coalesce(l.down_epoch, 0) > c.told_epoch))
  AND ${CURRENT}
ORDER BY c.link
LIMIT 500`;

const LET_GO = `
SELECT c.agent, c.supervisor, coalesce(s.ended, false) AS sup_ended
FROM cluster_agents c
JOIN cluster_leases cl ON cl.cluster = c.cluster AND cl.agent = c.tree AND cl.owner = $2
LEFT JOIN cluster_agents s ON s.cluster = c.cluster AND s.agent = c.supervisor
WHERE c.cluster = $1 AND c.supervisor IS NOT NULL AND NOT c.ended
  AND (coalesce(s.ended, false) OR NOT (${CURRENT}))
LIMIT 500`;

function down(r: Row): Down {
  // Ids as the directory holds them (written by the kernel's own spawn records).
  const base = { supervisor: text(r, "supervisor") as AgentId, child: text(r, "agent") as AgentId, slot: int(r, "slot") };
  const status = textOrNull(r, "status");
  if (r["ended"] === true && status !== null && TERMINAL.has(status as AgentStatus)) {
    return { ...base, reason: "ended", status: status as "completed" | "failed" | "killed" };
  }
  const epoch = int(r, "down_epoch");
  return { ...base, reason: "node_down", epoch, node: textOrNull(r, "down_node") ?? "?", toldEpoch: epoch };
}

export class Monitors {
  constructor(
    private readonly pool: SqlPool,
    readonly cluster: string,
    private readonly node: string,
  ) {}

  /** Reports for supervisors whose tree this node holds, oldest child first. */
  async downs(): Promise<Down[]> {
    const r = await query(this.pool, DOWNS, [this.cluster, this.node], "reading the downs of supervised child trees");
    return r.rows.map(down);
  }

  /** Marks a report applied: an end told, or a death up to `toldEpoch`. */
  async told(d: Down): Promise<void> {
    const sql = d.reason === "ended"
      ? "UPDATE cluster_agents SET told_end = true, told_epoch = greatest(told_epoch, (SELECT down_epoch FROM cluster_leases l WHERE l.cluster = $1 AND l.agent = cluster_agents.tree)) WHERE cluster = $1 AND agent = $2"
      : "UPDATE cluster_agents SET told_epoch = greatest(told_epoch, $3) WHERE cluster = $1 AND agent = $2";
    const params = d.reason === "ended" ? [this.cluster, d.child] : [this.cluster, d.child, d.toldEpoch ?? 0];
    await query(this.pool, sql, params, `marking the down of ${d.child} told`, { agent: d.child });
  }

  /** Child trees held here whose supervisor let them go, with why. */
  async letGo(): Promise<{ readonly agent: string; readonly reason: string }[]> {
    const r = await query(this.pool, LET_GO, [this.cluster, this.node], "reading the child trees let go");
    return r.rows.map((row) => {
      const sup = text(row, "supervisor");
      return { agent: text(row, "agent"), reason: row["sup_ended"] === true ? `its supervisor ${sup} ended` : `its supervisor ${sup} started another child in its place` };
    });
  }
}
