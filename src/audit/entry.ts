/**
 * What an audit entry is. The log stores one canonical JSON body per entry:
 *   {v: 1, seq, ts, kind, agent, data}
 * `seq` is 1-based and equals the entry's position (Merkle leaf index = seq - 1); `kind` is
 * "syscall" for a dispatcher decision, "lifecycle" for an agent lifecycle event, "aggregate" for the
 * allowed calls of every agent in one interval, a row per agent and grant (packed.ts, ADR 0034; an
 * older log holds one per agent, with the agent set) and "audit" for the
 * log's own notes (e.g. a gap after dropped entries). The columns beside the body in SQLite are an
 * index for queries, not evidence: the verifier checks them against the hashed body.
 */
import { z } from "zod";
import type { AnyKernelEvent } from "../core/index.js";
import type { AuditRecord } from "../abi/index.js";

export type AuditKind = "syscall" | "lifecycle" | "audit" | "aggregate";

/** The part of an entry a producer supplies; the log adds seq and ts. */
export interface AuditContent {
  readonly kind: AuditKind;
  readonly agent: string | null;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface AuditEntry extends AuditContent {
  readonly v: 1;
  readonly seq: number;
  readonly ts: number;
}

export const auditContentSchema = z.object({
  kind: z.enum(["syscall", "lifecycle", "audit", "aggregate"]),
  agent: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});

export const auditEntrySchema = z.object({
  v: z.literal(1),
  seq: z.number().int().positive(),
  ts: z.number().int(),
  kind: z.enum(["syscall", "lifecycle", "audit", "aggregate"]),
  agent: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
});

/**
 * A dispatcher decision: allowed, denied, approved or error, and by which token or rule. Without an
 * error every field is a string, so the canonical encoding of the data is written here in one
 * concatenation (`dataJson`, encode.ts's EncodedContent) instead of walked and sorted per entry: the
 * walk was ~2.5 % of the CPU of 1,000 concurrent default-stack runs (11 entries per run).
 */
export function syscallContent(r: AuditRecord): AuditContent {
  // Keys set in canonical (sorted) order, so encoding the entry needs no sort (core/canonical.ts).
  const data: Record<string, unknown> = {};
  if (r.by !== undefined) data["by"] = r.by;
  data["decision"] = r.decision;
  if (r.error !== undefined) data["error"] = r.error;
  if (r.reason !== undefined) data["reason"] = r.reason;
  data["syscall"] = r.syscall;
  if (r.error !== undefined) return { kind: "syscall", agent: r.agent, data };
  // Equal to canonicalize(data): the same keys in the same (sorted) order, strings as JSON writes them.
  const dataJson = `{${r.by === undefined ? "" : `"by":${JSON.stringify(r.by)},`}"decision":${JSON.stringify(r.decision)},${
    r.reason === undefined ? "" : `"reason":${JSON.stringify(r.reason)},`}"syscall":${JSON.stringify(r.syscall)}}`;
  const encoded: AuditContent & { readonly dataJson: string } = { kind: "syscall", agent: r.agent, data, dataJson };
  return encoded;
}

/** A lifecycle event from the kernel bus; the event's own sequence number and time travel along. */
export function lifecycleContent(e: AnyKernelEvent): AuditContent {
  return {
    kind: "lifecycle",
    agent: e.agent ?? null,
    data: { event: e.type, eventSeq: e.seq, eventTs: e.ts, severity: e.severity, ...e.data },
  };
}
