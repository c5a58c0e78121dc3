/**
 * Human renderings of the API's answers: agent tables, a status card, the supervision tree, event
 * lines, tokens, approvals and escalations. `--json` bypasses all of this.
 */
import type { AnyKernelEvent } from "../core/index.js";
import type { AgentInfo, Escalation, TreeNode } from "../kernel/index.js";
import type { ApprovalRequest, Explanation } from "../security/index.js";
import type { TokenSummary } from "../gateway/index.js";
import { ago, cell, formatTable } from "./output.js";

export function agentTable(agents: readonly AgentInfo[]): string {
  if (agents.length === 0) return "(no agents)";
  return formatTable(
    agents.map((a) => [a.id, a.name, a.kind, a.status, a.parent ?? "-", a.mailbox, a.incarnation, a.durable ? "yes" : "no", ago(a.createdAt)]),
    ["ID", "NAME", "KIND", "STATUS", "PARENT", "MAIL", "INC", "DURABLE", "AGE"],
  );
}

export function statusCard(a: AgentInfo): string {
  const rows: [string, unknown][] = [
    ["id", a.id], ["name", a.name], ["kind", a.kind], ["status", a.status], ["version", a.version], ["tier", a.tier], ["tenant", a.tenant],
    ["parent", a.parent], ["children", a.children.length === 0 ? "-" : a.children.join(", ")], ["mailbox", a.mailbox], ["incarnation", a.incarnation],
    ["durable", a.durable], ["created", new Date(a.createdAt).toISOString()], ["exit reason", a.exitReason],
  ];
  return rows.map(([k, v]) => `${k.padEnd(12)} ${cell(v)}`).join("\n");
}

export function treeText(nodes: readonly TreeNode[]): string {
  if (nodes.length === 0) return "(no agents)";
  const lines: string[] = [];
  const walk = (n: TreeNode, prefix: string, last: boolean, root: boolean): void => {
    const label = `${n.name} ${n.id} [${n.kind}${n.strategy === undefined ? "" : ` ${n.strategy}`}] ${n.status}`;
    lines.push(root ? label : `${prefix}${last ? "└─ " : "├─ "}${label}`);
    const next = root ? "" : prefix + (last ? "   " : "│  ");
    n.children.forEach((c, i) => walk(c, next, i === n.children.length - 1, false));
  };
  for (const n of nodes) walk(n, "", true, true);
  return lines.join("\n");
}

/** A kernel event, or a line of an agent's past read back from the audit log (audit-history.ts). */
export interface LogEvent {
  readonly type: string;
  readonly ts: number;
  readonly severity: string;
  readonly agent?: string | undefined;
  readonly data: unknown;
  readonly source?: "audit" | "live";
}

/** One line per event: time, type, agent, the interesting data. */
export function eventLine(e: LogEvent | AnyKernelEvent): string {
  const t = new Date(e.ts).toISOString().slice(11, 23);
  const d = e.data as Record<string, unknown>;
  let what: string;
  switch (e.type) {
    case "agent.transition":
      what = `${cell(d["from"])} -> ${cell(d["to"])} (${cell(d["op"])})${d["reason"] === undefined ? "" : `: ${cell(d["reason"])}`}`;
      break;
    case "agent.crashed":
      what = `${cell((d["error"] as Record<string, unknown> | undefined)?.["code"])}: ${cell((d["error"] as Record<string, unknown> | undefined)?.["message"])}`;
      break;
    default:
      what = JSON.stringify(d);
  }
  return `${t} ${e.severity.padEnd(5)} ${e.type.padEnd(18)} ${e.agent ?? "-"} ${what}`;
}

export function tokenTable(tokens: readonly TokenSummary[]): string {
  if (tokens.length === 0) return "(no tokens)";
  return formatTable(tokens.map((t) => [t.id, t.scheme, t.chain.length, t.capabilities.join(" "), new Date(t.exp).toISOString()]), ["TOKEN", "SCHEME", "CHAIN", "CAPABILITIES", "EXPIRES"]);
}

export function explanationText(x: Explanation): string {
  const lines = [`${x.allowed ? "ALLOWED" : "DENIED"}: ${x.request}`, x.summary, `decided by: ${x.decidedBy}`];
  for (const t of x.tokens) lines.push(`  token ${t.token}: ${t.outcome} — ${t.detail}`);
  if (x.policy !== undefined) lines.push(`  policy: ${x.policy.effect}${x.policy.rule === undefined ? "" : ` (rule ${x.policy.rule})`}`);
  return lines.join("\n");
}

export function approvalTable(rs: readonly ApprovalRequest[]): string {
  if (rs.length === 0) return "(no approval requests)";
  return formatTable(rs.map((r) => [r.id, r.status, r.agentName, r.syscall, r.rule, r.reason, new Date(r.deadline).toISOString()]), ["ID", "STATUS", "AGENT", "SYSCALL", "RULE", "REASON", "DEADLINE"]);
}

export function escalationTable(es: readonly Escalation[]): string {
  if (es.length === 0) return "(no escalations)";
  return formatTable(es.map((e) => [e.id, e.status, e.name, e.supervisor, e.reason]), ["ID", "STATUS", "SUPERVISOR", "AGENT", "REASON"]);
}
