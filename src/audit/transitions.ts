/**
 * Packed lifecycle transitions (ADR 0054): the agent transitions one delivery of the kernel bus
 * brought to the audit log, written as ONE entry of kind "lifecycle" instead of one entry each. Its
 * data, keys in canonical order:
 *
 *   { count, event: "agent.transition", transitions: [[agent, op, from, to, eventSeq, eventTs], ...] }
 *
 * with the transition's reason as a seventh element when it has one. Only transitions of severity
 * "info" are packed (a failure, and every other lifecycle event, stays an entry of its own); nothing
 * is left out and the order is the bus's. The restart's recovery batch (sink.ts, op "recover") is the
 * older packed form: `{ count, event, op: "recover", transitions: [[agent, from, to, eventSeq], ...] }`.
 *
 * An agent's history reads the same in every form: `lifecycleView` turns a packed entry's rows for one
 * agent into entries of the per-agent form, at the packed entry's seq (AuditReader.entries({ agent })).
 */
import type { AuditEntry } from "./entry.js";
import type { EncodedContent } from "./encode.js";

/** [agent, op, from, to, event seq, event time] and, when the transition gave one, its reason. */
export type PackedTransition = readonly [agent: string, op: string, from: string, to: string, eventSeq: number, eventTs: number, reason?: string];

/**
 * The canonical text of one transition row (appended to a batch as it arrives, so the entry's data
 * is one string join at flush: no object per transition, no canonical walk of the batch).
 */
export function transitionRow(agent: string, op: string, from: string, to: string, eventSeq: number, eventTs: number, reason: string | undefined): string {
  const head = `[${JSON.stringify(agent)},${JSON.stringify(op)},${JSON.stringify(from)},${JSON.stringify(to)},${eventSeq},${eventTs}`;
  return reason === undefined ? `${head}]` : `${head},${JSON.stringify(reason)}]`;
}

/** The entry for `rows` (transitionRow texts, in bus order); its data is parsed from that text when asked. */
export class PackedTransitions implements EncodedContent {
  readonly kind = "lifecycle";
  readonly agent = null;
  readonly dataJson: string;
  private parsed: Record<string, unknown> | undefined;

  constructor(rows: readonly string[]) {
    this.dataJson = `{"count":${rows.length},"event":"agent.transition","transitions":[${rows.join(",")}]}`;
  }

  get data(): Record<string, unknown> {
    return (this.parsed ??= JSON.parse(this.dataJson) as Record<string, unknown>);
  }
}

/** True for a lifecycle entry's data that packs transitions (either form). */
export function isPackedLifecycle(data: unknown): boolean {
  return typeof data === "object" && data !== null && Array.isArray((data as { transitions?: unknown }).transitions);
}

/**
 * The transitions of a packed lifecycle entry (either form) as rows of the newer form; rows that are
 * not the shape they should be are left out (verify checks the chain, not this shape).
 */
export function packedTransitions(data: unknown): PackedTransition[] {
  if (!isPackedLifecycle(data)) return [];
  const d = data as { op?: unknown; transitions: unknown[] };
  const out: PackedTransition[] = [];
  for (const t of d.transitions) {
    if (!Array.isArray(t) || typeof t[0] !== "string") continue;
    if (typeof d.op === "string") {
      // The recovery batch: [agent, from, to, eventSeq], its op on the entry; no time of its own.
      const [agent, from, to, seq] = t as [string, unknown, unknown, unknown];
      out.push([agent, d.op, String(from), String(to), Number(seq), Number.NaN]);
    } else {
      const [agent, op, from, to, seq, ts, reason] = t as [string, unknown, unknown, unknown, unknown, unknown, unknown];
      const row: PackedTransition = typeof reason === "string"
        ? [agent, String(op), String(from), String(to), Number(seq), Number(ts), reason]
        : [agent, String(op), String(from), String(to), Number(seq), Number(ts)];
      out.push(row);
    }
  }
  return out;
}

/**
 * One agent's transitions of a packed lifecycle entry, each as an entry of the per-agent form
 * (`{ event, eventSeq, eventTs, from, op, reason?, severity, to }`) at the packed entry's seq and time.
 */
export function lifecycleView(seq: number, ts: number, data: unknown, agent: string): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (const [a, op, from, to, eventSeq, eventTs, reason] of packedTransitions(data)) {
    if (a !== agent) continue;
    const d: Record<string, unknown> = { event: "agent.transition", eventSeq, eventTs: Number.isNaN(eventTs) ? ts : eventTs, from, op };
    if (reason !== undefined) d["reason"] = reason;
    d["severity"] = "info";
    d["to"] = to;
    out.push({ v: 1, seq, ts, kind: "lifecycle", agent, data: d });
  }
  return out;
}
