/**
 * The audit log: its newest entries (syscall decisions, lifecycle records, aggregates) and a button
 * that commits what is buffered, signs a checkpoint and verifies the whole hash chain, Merkle heads
 * and signed checkpoints — the same check as `aios audit verify`, with its report shown here. Each
 * entry's number opens its inclusion proof (RFC 9162): the leaf hash, the audit path up to the
 * current tree head, and whether the path recomputes that root, checked here as a client would.
 * A packed aggregate (ADR 0034: every agent's allowed sends of one interval) is summed up in a line
 * above its data, which the table cuts short, and so are packed lifecycle transitions (ADR 0054).
 */
import { isPackedLifecycle, packedSummary, packedTransitions, type AuditEntry } from "../../../audit/index.js";
import type { AuditVerifyReport } from "../../api.js";
import { h, isoTime, jsonText, type Html } from "../html.js";
import { actionForm } from "../layout.js";

export function auditView(size: number, entries: readonly AuditEntry[], report: AuditVerifyReport | undefined, csrf: string): Html {
  const result = report === undefined ? h`` : h`<section aria-labelledby="verify-h" class="${report.ok ? "ok" : "error"}" role="status"><h2 id="verify-h">Verification: ${report.ok ? "intact" : report.exitCode === 1 ? "TAMPERING FOUND" : "could not verify"}</h2>
<pre tabindex="0" aria-label="Verification report">${report.report}</pre></section>`;
  return h`<p>${size} entries in the current segment.</p>${actionForm("/ui/audit/verify", "Verify the audit log", csrf, { id: "verify" })}${result}
<table class="grid"><caption>Newest ${entries.length} entries, newest first</caption><thead><tr><th scope="col">Seq</th><th scope="col">Time</th><th scope="col">Kind</th><th scope="col">Agent</th><th scope="col">Data</th></tr></thead>
<tbody>${entries.map((e) => h`<tr><th scope="row" class="num"><a href="/ui/audit/proof/${e.seq}" aria-label="Proof of entry ${e.seq}">${e.seq}</a></th><td>${isoTime(e.ts)}</td><td>${e.kind}</td><td>${e.agent ?? (e.kind === "aggregate" || isPackedLifecycle(e.data) ? "many" : "—")}</td><td>${summary(e)}<code class="data">${jsonText(e.data, 300)}</code></td></tr>`)}</tbody></table>`;
}

function summary(e: AuditEntry): Html {
  const s = e.kind === "aggregate" ? packedSummary(e.data) : e.kind === "lifecycle" ? transitionsSummary(e.data) : undefined;
  return s === undefined ? h`` : h`<p>${s}</p>`;
}

/** One line for packed lifecycle transitions (ADR 0054), or undefined for an entry of its own. */
function transitionsSummary(data: unknown): string | undefined {
  if (!isPackedLifecycle(data)) return undefined;
  const rows = packedTransitions(data);
  const agents = new Set(rows.map((r) => r[0])).size;
  return `${rows.length} transition${rows.length === 1 ? "" : "s"} of ${agents} agent${agents === 1 ? "" : "s"}`;
}

export interface ProofView {
  readonly entry: AuditEntry;
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly leaf: string;
  readonly path: readonly string[];
  readonly root: string;
  /** The path recomputes the root from the leaf. */
  readonly verified: boolean;
}

export function proofView(p: ProofView): Html {
  return h`<p><a href="/ui/audit">Back to the audit log</a></p>
<section aria-labelledby="proof-h" class="${p.verified ? "ok" : "error"}" role="status"><h2 id="proof-h">Entry ${p.entry.seq} is ${p.verified ? "included" : "NOT included"} in the tree of ${p.treeSize} entries</h2></section>
<dl class="facts"><dt>Kind</dt><dd>${p.entry.kind}</dd><dt>Time</dt><dd>${isoTime(p.entry.ts)}</dd><dt>Agent</dt><dd>${p.entry.agent ?? "—"}</dd>
<dt>Leaf index</dt><dd>${p.leafIndex}</dd><dt>Leaf hash</dt><dd><code class="data">${p.leaf}</code></dd><dt>Tree head (root)</dt><dd><code class="data">${p.root}</code></dd></dl>
<h2>Data</h2><pre tabindex="0" aria-label="Entry data">${jsonText(p.entry.data, 4000)}</pre>
<table class="grid"><caption>Audit path: ${p.path.length} sibling hashes, leaf to root</caption><thead><tr><th scope="col">Step</th><th scope="col">Hash</th></tr></thead>
<tbody>${p.path.map((x, i) => h`<tr><th scope="row" class="num">${i + 1}</th><td><code class="data">${x}</code></td></tr>`)}</tbody></table>`;
}
