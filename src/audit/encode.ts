/**
 * Turning a producer's content into what the writer hashes: redaction first (so a secret never
 * reaches a hash, the database or the checkpoint file), then the canonical encoding of its parts.
 * Work done here runs at append() time, so a bad entry is caught by the producer's call, not in
 * the middle of a batch; it never throws — content that cannot be redacted or encoded is replaced
 * by a note saying so (failing closed: the unredacted value is never kept).
 */
import { canonicalize } from "./canonical.js";
import { auditContentSchema, type AuditContent, type AuditKind } from "./entry.js";

export interface Pending {
  readonly ts: number;
  readonly kind: AuditKind;
  readonly agent: string | null;
  readonly agentJson: string;
  readonly dataJson: string;
}

const KINDS: ReadonlySet<string> = new Set<AuditKind>(["syscall", "lifecycle", "audit"]);

export function encodeContent(content: AuditContent, now: number, redact: ((value: unknown) => unknown) | undefined): Pending {
  const ts = Math.trunc(now);
  let c: AuditContent = content;
  if (redact !== undefined) {
    let out: unknown;
    try {
      out = redact(content);
    } catch (e) {
      return failed(content, ts, `redaction failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    const parsed = auditContentSchema.safeParse(out);
    if (!parsed.success) return failed(content, ts, "redaction returned something that is not audit content");
    c = parsed.data;
  } else if (!KINDS.has(c.kind) || (c.agent !== null && typeof c.agent !== "string")) {
    return failed({ kind: "audit", agent: null, data: {} }, ts, "content with an unknown kind or agent");
  }
  try {
    return { ts, kind: c.kind, agent: c.agent, agentJson: JSON.stringify(c.agent), dataJson: canonicalize(c.data) };
  } catch (e) {
    return failed(c, ts, e instanceof Error ? e.message : String(e));
  }
}

function failed(c: AuditContent, ts: number, reason: string): Pending {
  const kind: AuditKind = KINDS.has(c.kind) ? c.kind : "audit";
  const agent = typeof c.agent === "string" ? c.agent : null;
  return { ts, kind, agent, agentJson: JSON.stringify(agent), dataJson: canonicalize({ auditError: reason }) };
}
