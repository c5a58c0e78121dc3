/**
 * Read-only views of the process table: status of one agent, ps with filters, and the supervision
 * tree. These are what the SDK, CLI, API and dashboard show; they never mutate a Proc.
 */
import type { AgentId, AgentStatus } from "../core/index.js";
import { globToRegExp } from "../capability/index.js";
import type { Kernel } from "./kernel.js";
import type { Proc } from "./proc.js";

export interface AgentInfo {
  readonly id: AgentId;
  readonly name: string;
  readonly kind: string;
  readonly status: AgentStatus;
  readonly version: string;
  readonly tier: string;
  readonly tenant: string;
  readonly parent: AgentId | undefined;
  readonly children: readonly AgentId[];
  readonly mailbox: number;
  /** Senders parked on the full mailbox, waiting for room. */
  readonly waiting: number;
  readonly incarnation: number;
  readonly durable: boolean;
  readonly ephemeral: boolean;
  readonly createdAt: number;
  readonly exitReason: string | undefined;
}

export interface PsFilter {
  readonly status?: AgentStatus | readonly AgentStatus[];
  /** Exact name or a glob (`worker-*`). */
  readonly name?: string;
  readonly kind?: string;
  readonly tenant?: string;
  readonly parent?: string;
  readonly tier?: string;
  readonly limit?: number;
}

export interface TreeNode {
  readonly id: AgentId;
  readonly name: string;
  readonly kind: string;
  readonly status: AgentStatus;
  readonly strategy?: string;
  readonly children: readonly TreeNode[];
}

/**
 * The status a user sees: a dormant agent (after a restart, not used yet: recovery.ts) shows the
 * status the journal holds, which it resumes to when it is restored.
 */
export function statusOf(p: Proc): AgentStatus {
  return p.dormant === null ? p.status : p.dormant.status;
}

export function info(p: Proc): AgentInfo {
  return {
    id: p.id,
    name: p.spec.name,
    kind: p.spec.kind,
    status: statusOf(p),
    version: p.spec.version,
    tier: p.spec.tier,
    tenant: p.spec.tenant,
    parent: p.parent?.id,
    children: (p.children ?? []).map((c) => c.id),
    mailbox: p.dormant === null ? p.mailbox.length : p.dormant.mail.length,
    waiting: p.mailbox.waiting,
    incarnation: p.incarnation,
    durable: p.durable,
    ephemeral: p.spec.ephemeral,
    createdAt: p.createdAt,
    exitReason: p.exitReason,
  };
}

export function ps(k: Kernel, filter: PsFilter = {}): AgentInfo[] {
  const statuses = filter.status === undefined ? undefined : new Set(Array.isArray(filter.status) ? filter.status : [filter.status]);
  const name = filter.name === undefined ? undefined : globToRegExp(filter.name);
  const out: AgentInfo[] = [];
  for (const p of k.table.values()) {
    if (statuses !== undefined && !statuses.has(statusOf(p))) continue;
    if (name !== undefined && !name.test(p.spec.name)) continue;
    if (filter.kind !== undefined && p.spec.kind !== filter.kind) continue;
    if (filter.tenant !== undefined && p.spec.tenant !== filter.tenant) continue;
    if (filter.tier !== undefined && p.spec.tier !== filter.tier) continue;
    if (filter.parent !== undefined && p.parent?.id !== filter.parent) continue;
    out.push(info(p));
    if (filter.limit !== undefined && out.length >= filter.limit) break;
  }
  return out;
}

/** Roots are agents with no parent; children in start order. */
export function tree(k: Kernel): TreeNode[] {
  const node = (p: Proc): TreeNode => ({
    id: p.id,
    name: p.spec.name,
    kind: p.spec.kind,
    status: statusOf(p),
    ...(p.sup !== null ? { strategy: p.sup.strategy } : {}),
    children: (p.children ?? []).map(node),
  });
  return [...k.table.values()].filter((p) => p.parent === null).map(node);
}
