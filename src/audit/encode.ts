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

const KINDS: ReadonlySet<string> = new Set<AuditKind>(["syscall", "lifecycle", "audit", "aggregate"]);

/**
 * Content whose producer already wrote the canonical encoding of its data (`dataJson` equals
 * canonicalize(data)): a packed aggregate of 10,000 rows is one string built in one pass, where
 * walking its arrays to encode (and redact) them cost a third of its interval's audit time.
 */
export interface EncodedContent extends AuditContent {
  readonly dataJson: string;
}

function isEncoded(c: AuditContent): c is EncodedContent {
  return typeof (c as { dataJson?: unknown }).dataJson === "string";
}

export function encodeContent(given: AuditContent, now: number, redact: ((value: unknown) => unknown) | undefined): Pending {
  const ts = Math.trunc(now);
  let content = given;
  if (isEncoded(given) && KINDS.has(given.kind) && (given.agent === null || typeof given.agent === "string")) {
    // `data` is read only on the slow route: a packed entry parses it from its text on demand.
    const { kind, agent, dataJson } = given;
    if (unchanged(dataJson, redact) && (agent === null || unchanged(agent, redact))) return { ts, kind, agent, agentJson: JSON.stringify(agent), dataJson };
    // Something to redact (or to check the slow way): the data takes the object route below.
    content = { kind, agent, data: given.data };
  }
  let c: AuditContent = content;
  if (redact !== undefined) {
    let out: unknown;
    try {
      out = redact(content);
    } catch (e) {
      return failed(content, ts, `redaction failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (isPlainContent(out)) c = out;
    else {
      // zod decides (and copies) whatever the hand check does not vouch for.
      const parsed = auditContentSchema.safeParse(out);
      if (!parsed.success) return failed(content, ts, "redaction returned something that is not audit content");
      c = parsed.data;
    }
  } else if (!KINDS.has(c.kind) || (c.agent !== null && typeof c.agent !== "string")) {
    return failed({ kind: "audit", agent: null, data: {} }, ts, "content with an unknown kind or agent");
  }
  try {
    return { ts, kind: c.kind, agent: c.agent, agentJson: JSON.stringify(c.agent), dataJson: canonicalize(c.data) };
  } catch (e) {
    return failed(c, ts, e instanceof Error ? e.message : String(e));
  }
}

/**
 * True when redaction leaves `text` as it is. Without escapes (no backslash) every string of encoded
 * data appears in its text verbatim, so a secret in any of them would have changed the text.
 */
function unchanged(text: string, redact: ((value: unknown) => unknown) | undefined): boolean {
  if (redact === undefined) return true;
  if (text.includes("\\")) return false;
  try {
    return redact(text) === text;
  } catch {
    return false;
  }
}

/**
 * True only for content auditContentSchema accepts and whose canonical encoding its parse would not
 * change: a known kind, a string or null agent, and data a plain object (no prototype of its own,
 * no own "__proto__" key, which a copy by assignment would turn into a prototype, no symbol keys,
 * which the schema refuses). Every entry the
 * kernel produces is this shape, so the zod parse (a tenth of an ephemeral run's audit cost) is
 * kept for the rest. tests/security/audit-encode.property.test.ts checks the two agree.
 */
export function isPlainContent(v: unknown): v is AuditContent {
  if (typeof v !== "object" || v === null) return false;
  const o = v as { kind?: unknown; agent?: unknown; data?: unknown };
  if (typeof o.kind !== "string" || !KINDS.has(o.kind)) return false;
  if (o.agent !== null && typeof o.agent !== "string") return false;
  const d = o.data;
  if (typeof d !== "object" || d === null || Array.isArray(d)) return false;
  const proto = Object.getPrototypeOf(d) as unknown;
  return (proto === Object.prototype || proto === null) && !Object.hasOwn(d, "__proto__") && Object.getOwnPropertySymbols(d).length === 0;
}

function failed(c: AuditContent, ts: number, reason: string): Pending {
  const kind: AuditKind = KINDS.has(c.kind) ? c.kind : "audit";
  const agent = typeof c.agent === "string" ? c.agent : null;
  return { ts, kind, agent, agentJson: JSON.stringify(agent), dataJson: canonicalize({ auditError: reason }) };
}
