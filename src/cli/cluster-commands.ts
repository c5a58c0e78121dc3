/**
 * The CLI's cluster side (issue #16 item 2): `aios up --cluster <name> --postgres <url> --nats <url>`
 * joins this daemon to a cluster as a node (membership with heartbeats, leases, wake-ups) whose
 * durable agents journal into PostgreSQL under their leases (docs/adr/0033), and
 * `aios nodes` lists the cluster's nodes with their load, read straight from PostgreSQL (no daemon
 * needed). Loaded only when one of those is used: the cluster pulls in pg and nats (docs/adr/0025).
 */
import { AiosError, RealClock } from "../core/index.js";
import type { AnySubsystem } from "../abi/index.js";
import { MIN_SECRET_CHARS, NodeTable, clusterSubsystem, defaultNodeName, openClusterPool, toClusterError, parseClusterConfig, type ClusterConfigInput, type ClusterNode, type ClusterPool, type NodeInfo } from "../cluster/index.js";
import type { Aios } from "../sdk/index.js";
import type { CliContext } from "./context.js";

export interface ClusterFlags {
  readonly cluster?: string;
  readonly postgres?: string;
  readonly nats?: string;
  readonly node?: string;
  readonly capacity?: number;
  readonly tags?: string;
  readonly leaseTtl?: number;
}

/** A joined node: `leave()` stops it early (the kernel's shutdown leaves anyway: the cluster subsystem's stop). */
export interface ClusterMember {
  readonly node: ClusterNode;
  readonly cluster: string;
}

/** Undefined without --cluster; E_INVALID_ARG naming the flag when --cluster lacks --postgres or --nats (or they come without it). */
export function clusterRequested(f: ClusterFlags): { cluster: string; postgres: string; nats: string } | undefined {
  if (f.cluster === undefined) {
    for (const flag of ["postgres", "nats", "node", "capacity", "tags", "leaseTtl"] as const) {
      const name = flag === "leaseTtl" ? "lease-ttl" : flag;
      if (f[flag] !== undefined) throw new AiosError("E_INVALID_ARG", `--${name} needs --cluster <name>`, { details: { path: `--${name}` } });
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

/**
 * The cluster subsystem for `aios up --cluster` (docs/adr/0033): the kernel's journal becomes the
 * fenced cluster journal in PostgreSQL, and agents run on this node's leases. Undefined without
 * --cluster.
 */
export function clusterSubsystemFor(ctx: CliContext, f: ClusterFlags): AnySubsystem | undefined {
  const want = clusterRequested(f);
  if (want === undefined) return undefined;
  let config: ClusterConfigInput;
  try {
    config = parseClusterConfig({
      cluster: want.cluster,
      node: f.node ?? defaultNodeName(),
      ...(f.capacity === undefined ? {} : { capacity: f.capacity }),
      ...(f.leaseTtl === undefined ? {} : { ttlMs: f.leaseTtl, heartbeatMs: Math.max(10, Math.floor(f.leaseTtl / 5)) }),
      ...(f.tags === undefined ? {} : { tags: f.tags.split(",").map((t) => t.trim()).filter((t) => t !== "") }),
    });
  } catch (e) {
    asUsage(e);
  }
  // From the environment, not a flag (a flag shows in ps); the same on every node, never in PostgreSQL.
  const secret = process.env["AIOS_CLUSTER_SECRET"];
  if (secret === undefined || secret === "") {
    throw new AiosError("E_INVALID_ARG", `--cluster needs the cluster secret in AIOS_CLUSTER_SECRET (at least ${MIN_SECRET_CHARS} characters, the same on every node: it seals the mail between nodes)`, { details: { path: "AIOS_CLUSTER_SECRET" } });
  }
  if (secret.length < MIN_SECRET_CHARS) {
    throw new AiosError("E_INVALID_ARG", `AIOS_CLUSTER_SECRET: at least ${MIN_SECRET_CHARS} characters (got ${secret.length})`, { details: { path: "AIOS_CLUSTER_SECRET" } });
  }
  return clusterSubsystem({
    postgres: want.postgres,
    secret,
    nats: want.nats,
    config,
    clock: new RealClock(),
    onLease: (e) => {
      if (e.change !== "acquired") ctx.out.note(`cluster: lease of tree ${e.tree} (epoch ${e.epoch}) ${e.change}; its agents stopped here`);
    },
  });
}

/** Joins the cluster as a node advertising `addr` (the daemon's API URL), once the API listens. */
export async function joinCluster(os: Aios, addr: string): Promise<ClusterMember | undefined> {
  const svc = os.subsystems.cluster;
  if (svc === undefined) return undefined;
  const node = await svc.join(addr);
  return { node, cluster: svc.config.cluster };
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
