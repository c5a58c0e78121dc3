/**
 * The dashboard's audit table shows a packed aggregate (ADR 0034) as what it is — a batch part with
 * its calls and agents — since its data is cut short in the table; other entries are shown as before.
 */
import { describe, expect, it } from "vitest";
import { packBatch, type AuditEntry } from "../../src/audit/index.js";
import { auditView } from "../../src/gateway/web/views/audit.js";

describe("audit view", () => {
  it("sums up a packed aggregate in one line and leaves other entries alone", () => {
    const [content] = packBatch({ batch: 7, firstSeq: 11, lastSeq: 16, from: 0, to: 1000 }, [
      { agent: "ag_a", syscall: "SemanticSend", by: "token:t1 agent:*#send", count: 4, first: 11, last: 16, digest: "0".repeat(16) },
      { agent: "ag_b", syscall: "SemanticSend", by: "token:t2 agent:*#send", count: 2, first: 12, last: 13, digest: "1".repeat(16) },
    ]);
    if (content === undefined) throw new Error("no entry packed");
    const packed: AuditEntry = { kind: content.kind, agent: content.agent, data: content.data, v: 1, seq: 3, ts: 1000 };
    const denial: AuditEntry = { v: 1, seq: 4, ts: 1001, kind: "syscall", agent: "ag_a", data: { decision: "denied", syscall: "ToolCall" } };
    const html = String(auditView(4, [denial, packed], undefined, "csrf"));
    expect(html).toContain("batch 7, part 1 of 1: 6 allowed calls by 2 agents (calls 11..16 in the batch)");
    expect(html.match(/allowed calls by/g)).toHaveLength(1);
  });
});
