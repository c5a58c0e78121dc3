/**
 * The CLI's cluster side (issue #16 item 2): `aios up --cluster <name> --postgres <url> --nats <url>`
 * joins this daemon to a cluster as a node (membership with heartbeats, leases, wake-ups), and
 * `aios nodes` lists the cluster's nodes with their load, read straight from PostgreSQL (no daemon
 * needed). Loaded only when one of those is used: the cluster pulls in pg and nats (docs/adr/0025).
 */
import { AiosError, RealClock } from "../core/index.js";
import { ClusterNode, NodeTable, WakeBus, defaultNodeName, openClusterPool, toClusterError, parseClusterConfig, type ClusterPool, type NodeInfo } from "../cluster/index.js";
import type { CliContext } from "./context.js";

export interface ClusterFlags {
  readonly cluster?: string;
  readonly postgres?: string;
  readonly nats?: string;
  readonly node?: string;
  readonly capacity?: number;
  readonly tags?: string;
}

/** A joined node: `leave()` releases its leases, marks it left and closes its connections. */
export interface ClusterMember {
  readonly node: ClusterNode;
  readonly cluster: string;
  leave(): Promise<void>;
}

/** Undefined without --cluster; E_INVALID_ARG naming the flag when --cluster lacks --postgres or --nats (or they come without it). */
export function clusterRequested(f: ClusterFlags): { cluster: string; postgres: string; nats: string } | undefined {
  if (f.cluster === undefined) {
    for (const flag of ["postgres", "nats", "node", "capacity", "tags"] as const) {
      if (f[flag] !== undefined) throw new AiosError("E_INVALID_ARG", `--${flag} needs --cluster <name>`, { details: { path: `--${flag}` } });
    }
    return undefined;
  }
  if (f.postgres === undefined) throw new AiosError("E_INVALID_ARG", "--cluster needs --postgres <url> (the cluster's durable state)", { details: { path: "--postgres" } });
  if (f.nats === undefined) throw new AiosError("E_INVALID_ARG", "--cluster needs --nats <url> (the cluster's wake-ups)", { details: { path: "--nats" } });
  return { cluster: f.cluster, postgres: f.postgres, nats: f.nats };
}

function asUsage(e: unknown): never {
  if (e instanceof AiosError && e.code === "E_CONFIG") throw new AiosError("E_INVALID_ARG", e.message, { cause: e, details: e.details });
  throw e;
}

/** Joins the cluster as a node advertising `addr` (the daemon's API URL). */
export async function joinCluster(ctx: CliContext, f: ClusterFlags, addr: string): Promise<ClusterMember | undefined> {
  const want = clusterRequested(f);
  if (want === undefined) return undefined;
  let config;
  try {
    config = parseClusterConfig({
      cluster: want.cluster,
      node: f.node ?? defaultNodeName(),
      addr,
      ...(f.capacity === undefined ? {} : { capacity: f.capacity }),
      ...(f.tags === undefined ? {} : { tags: f.tags.split(",").map((t) => t.trim()).filter((t) => t !== "") }),
    });
  } catch (e) {
    asUsage(e);
  }
  const pool = openClusterPool({ url: want.postgres, onError: (e) => ctx.out.note(`cluster: PostgreSQL connection lost (${e.message}); the next heartbeat reconnects`) });
  let bus: WakeBus | undefined;
  try {
    bus = await WakeBus.open({ url: want.nats, cluster: config.cluster, node: config.node, onError: (e) => ctx.out.note(`cluster: ${e.message}`) });
    const node = await ClusterNode.start({
      pool,
      bus,
      clock: new RealClock(),
      config,
      onError: (e) => ctx.out.note(`cluster: ${e.code}: ${e.message}`),
      onLose: (agent, epoch, why) => ctx.out.note(`cluster: lease of ${agent} (epoch ${epoch}) ${why}`),
    });
    const b = bus;
    return {
      node,
      cluster: config.cluster,
      async leave() {
        try {
          await node.stop();
        } finally {
          await b.close().catch(() => undefined);
          await pool.end().catch(() => undefined);
        }
      },
    };
  } catch (e) {
    await bus?.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
    throw e;
  }
}

export interface NodesOptions {
  readonly cluster: string;
  readonly postgres: string;
}

function ago(now: number, t: number): string {
  const s = Math.max(0, Math.round((now - t) / 100) / 10);
  return `${s}s ago`;
}

/** `aios nodes`: every node of the cluster, live ones first, with load = live leases held / capacity. */
export async function nodes(ctx: CliContext, o: NodesOptions): Promise<number> {
  let pool: ClusterPool;
  try {
    pool = openClusterPool({ url: o.postgres, max: 1 });
  } catch (e) {
    asUsage(e);
  }
  try {
    // A read: never create the tables here; a database no node ever joined has no nodes.
    const present = await pool.query("SELECT to_regclass('cluster_nodes') IS NOT NULL AS present");
    const now = Date.now();
    const list: NodeInfo[] = present.rows[0]?.["present"] === true ? await new NodeTable(pool, o.cluster).list(now) : [];
    ctx.out.result({ cluster: o.cluster, nodes: list }, () => {
      if (list.length === 0) {
        ctx.out.line(`no nodes in cluster ${o.cluster}`);
        return;
      }
      ctx.out.table(
        list.map((n) => [n.node, n.live ? "up" : n.state === "left" ? "left" : "expired", `${n.load}/${n.capacity}`, n.tags.join(",") || "-", ago(now, n.heartbeatAt), n.addr || "-"]),
        ["NODE", "STATE", "LOAD", "TAGS", "HEARTBEAT", "ADDR"],
      );
    });
    return 0;
  } catch (e) {
    throw toClusterError(e, `listing the nodes of cluster ${o.cluster}`);
  } finally {
    await pool.end().catch(() => undefined);
  }
}
