/**
 * The audit log: its newest entries (syscall decisions, lifecycle records, aggregates) and a button
 * that commits what is buffered, signs a checkpoint and verifies the whole hash chain, Merkle heads
 * and signed checkpoints — the same check as `aios audit verify`, with its report shown here.
 */
import type { AuditEntry } from "../../../audit/index.js";
import type { AuditVerifyReport } from "../../api.js";
import { h, isoTime, jsonText, type Html } from "../html.js";
import { actionForm } from "../layout.js";

export function auditView(size: number, entries: readonly AuditEntry[], report: AuditVerifyReport | undefined, csrf: string): Html {
  const result = report === undefined ? h`` : h`<section aria-labelledby="verify-h" class="${report.ok ? "ok" : "error"}" role="status"><h2 id="verify-h">Verification: ${report.ok ? "intact" : report.exitCode === 1 ? "TAMPERING FOUND" : "could not verify"}</h2>
<pre tabindex="0" aria-label="Verification report">${report.report}</pre></section>`;
  return h`<p>${size} entries in the current segment.</p>${actionForm("/ui/audit/verify", "Verify the audit log", csrf, { id: "verify" })}${result}
<table class="grid"><caption>Newest ${entries.length} entries, newest first</caption><thead><tr><th scope="col">Seq</th><th scope="col">Time</th><th scope="col">Kind</th><th scope="col">Agent</th><th scope="col">Data</th></tr></thead>
<tbody>${entries.map((e) => h`<tr><th scope="row" class="num">${e.seq}</th><td>${isoTime(e.ts)}</td><td>${e.kind}</td><td>${e.agent ?? "—"}</td><td><code class="data">${jsonText(e.data, 300)}</code></td></tr>`)}</tbody></table>`;
}
