/**
 * A node's cluster settings, parsed (never cast) with the field named on error. Names are used as
 * NATS subject tokens and stream names, so they are restricted to [a-z0-9_-].
 * Timing (docs/adr/0028): a node heartbeats every `heartbeatMs`; its row and its leases expire
 * `ttlMs` after the last heartbeat. ttlMs must leave room for at least two missed heartbeats.
 */
import { hostname } from "node:os";
import { z } from "zod";
import { AiosError } from "../core/index.js";

const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const name = (what: string): z.ZodString => z.string().regex(NAME, `${what} must match [a-z0-9][a-z0-9_-]{0,62}`);

export const ClusterConfigSchema = z
  .object({
    cluster: name("cluster"),
    node: name("node"),
    heartbeatMs: z.number().int().min(10).max(60_000).default(1_000),
    ttlMs: z.number().int().min(30).max(600_000).default(5_000),
    /** Agents this node is willing to hold (placement divides held leases by it). */
    capacity: z.number().int().min(1).max(1_000_000).default(1_000),
    tags: z.array(z.string().regex(NAME, "tags must match [a-z0-9][a-z0-9_-]{0,62}")).max(32).default([]),
    /** Letters that may wait in cluster_mail for one agent before senders get E_MAILBOX_FULL (ADR 0046). */
    mailboxRows: z.number().int().min(1).max(10_000_000).default(1_024),
    /** Where the node can be reached (its API URL), shown by `aios nodes`. */
    addr: z.string().max(500).default(""),
    /** Compaction (docs/adr/0045): journal rows a tree holds before it is folded into a snapshot (0: never). */
    compactRows: z.number().int().min(0).max(100_000_000).default(10_000),
    /** How often a node compacts cluster_mail and cluster_replies (0: only on demand). */
    compactEveryMs: z.number().int().min(0).max(86_400_000).default(60_000),
    /** How long handled mail keeps its de-duplication key (its body goes at the first compaction). */
    mailKeysMs: z.number().int().min(0).default(7 * 86_400_000),
    /** How long a reply nobody took is kept (a request's timeout is at most 10 minutes). */
    repliesMs: z.number().int().min(0).default(3_600_000),
    /**
     * Placement of new roots (docs/adr/0050): a root spawned here goes to another node only when that
     * node's load ratio (held / capacity) is lower than this node's by more than this (hints aside).
     */
    placementSlack: z.number().min(0).max(1).default(0.05),
    /**
     * Rebalancing (docs/adr/0050): how often this node looks whether it is hot (0: never); at least
     * every 2 heartbeats (its targets acquire what it moved within a beat or two).
     */
    rebalanceEveryMs: z.number().int().min(0).max(86_400_000).default(30_000),
    /** How far above the cluster's mean load ratio (a fraction of it) a node is hot. */
    rebalanceThreshold: z.number().min(0.05).max(10).default(0.25),
    /** Trees a hot node moves away per interval at most. */
    rebalanceMoves: z.number().int().min(1).max(1_000).default(4),
  })
  .strict()
  .refine((c) => c.ttlMs >= 3 * c.heartbeatMs, { message: "ttlMs must be at least 3 heartbeats (a lease survives two missed beats)", path: ["ttlMs"] });

export type ClusterConfig = z.output<typeof ClusterConfigSchema>;
export type ClusterConfigInput = z.input<typeof ClusterConfigSchema>;

export function parseClusterConfig(input: unknown): ClusterConfig {
  const r = ClusterConfigSchema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  // An unknown key has an empty path: name the key itself.
  const unknown = issue !== undefined && issue.code === "unrecognized_keys" ? issue.keys[0] : undefined;
  const path = unknown ?? (issue === undefined || issue.path.length === 0 ? "cluster" : issue.path.map(String).join("."));
  throw new AiosError("E_CONFIG", `cluster config: ${path}: ${issue?.message ?? "invalid"}`, { details: { path } });
}

/** A default node name: the host name and pid, reduced to the allowed characters. */
export function defaultNodeName(): string {
  const base = hostname().toLowerCase().replace(/[^a-z0-9_-]/g, "-").replace(/^[^a-z0-9]+/, "");
  return `${base === "" ? "node" : base.slice(0, 40)}-${process.pid}`;
}

/** Checks a cluster or node name given on its own (CLI flags). */
export function checkName(value: string, field: string): string {
  if (!NAME.test(value)) throw new AiosError("E_CONFIG", `${field} must match [a-z0-9][a-z0-9_-]{0,62}, got "${value}"`, { details: { path: field } });
  return value;
}
