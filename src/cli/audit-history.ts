/**
 * An agent's past from the audit log (`<dataDir>/audit/audit.db`, read-only, beside a running
 * daemon or without one): what `aios logs` shows that outlives the daemon. The daemon's event
 * history is in memory and starts again at every boot; the audit log keeps every lifecycle event
 * (spawn, transitions, restarts, upgrades), every syscall decision that is its own entry (tool and
 * model calls, spawns, denials) and the per-interval aggregates of allowed sends (ADR 0019). Each
 * entry becomes one log line in the shape of a kernel event; `--messages` keeps the messaging
 * syscalls (SemanticSend/Recv/Subscribe, AgentRequest, streams and their aggregates) — decisions and
 * counts, not payloads: the audit log never holds message content.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { AuditReader, DEFAULT_LIFECYCLE_EVENTS, type AuditEntry } from "../audit/index.js";
import type { LogEvent } from "./render.js";

const MESSAGING = /^(Semantic|AgentRequest|Stream)/;

export function isMessaging(e: LogEvent): boolean {
  return e.type.startsWith("syscall.") && typeof (e.data as { name?: unknown }).name === "string" && MESSAGING.test((e.data as { name: string }).name);
}

function toEvent(a: AuditEntry): LogEvent {
  const d = a.data;
  const agent = a.agent ?? undefined;
  if (a.kind === "lifecycle") {
    const { event, eventSeq: _seq, eventTs, severity, ...rest } = d;
    return { type: String(event), ts: typeof eventTs === "number" ? eventTs : a.ts, severity: typeof severity === "string" ? severity : "info", agent, data: rest, source: "audit" };
  }
  if (a.kind === "syscall") {
    const { syscall, decision, ...rest } = d;
    return { type: `syscall.${String(decision)}`, ts: a.ts, severity: decision === "denied" || decision === "error" ? "warn" : "info", agent, data: { name: syscall, ...rest }, source: "audit" };
  }
  const { syscall, ...rest } = d;
  return { type: a.kind === "aggregate" ? "syscall.aggregate" : `audit.${typeof d["note"] === "string" ? d["note"] : "note"}`, ts: a.ts, severity: "info", agent, data: { name: syscall, ...rest }, source: "audit" };
}

/** Event types the audit log keeps; the daemon's copies of these are left out when it is read. */
export const AUDITED_TYPES: ReadonlySet<string> = new Set([...DEFAULT_LIFECYCLE_EVENTS, "syscall.denied"]);

/**
 * The agent's audit entries as log events, oldest first, and whether the data dir keeps an audit
 * log at all (when it does not, the daemon's history is all there is).
 */
export function auditHistory(dataDir: string, agent: string, limit = 100_000): { events: LogEvent[]; kept: boolean } {
  const dir = join(dataDir, "audit");
  if (!existsSync(join(dir, "audit.db"))) return { events: [], kept: false };
  const reader = AuditReader.open(dir);
  try {
    return { events: reader.entries({ agent, limit }).map(toEvent), kept: true };
  } finally {
    reader.close();
  }
}
