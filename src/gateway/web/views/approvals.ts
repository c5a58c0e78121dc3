/**
 * Approvals and escalations, decided from the page: a syscall parked by a policy rule waits for
 * approve or deny (with an optional note, recorded with the decider); a supervisor that gave up
 * waits for restart or abandon. Both lists refresh live on approval.* and supervisor.* events.
 */
import type { Escalation } from "../../../kernel/index.js";
import type { ApprovalRequest } from "../../../security/index.js";
import { h, isoTime, jsonText, type Html } from "../html.js";
import { actionForm, opButton } from "../layout.js";

export function approvalsBody(pending: readonly ApprovalRequest[], decided: readonly ApprovalRequest[], escalations: readonly Escalation[], csrf: string): Html {
  const open = escalations.filter((e) => e.status === "open");
  const pend = pending.length === 0
    ? h`<p>No request is waiting for a decision.</p>`
    : h`<table class="grid"><caption>Waiting for a decision</caption><thead><tr><th scope="col">Request</th><th scope="col">Agent</th><th scope="col">Syscall and arguments</th><th scope="col">Rule and reason</th><th scope="col">Deadline</th><th scope="col">Decide</th></tr></thead>
<tbody>${pending.map((a) => h`<tr><th scope="row">${a.id}</th><td><a href="/ui/agents/${encodeURIComponent(a.agent)}">${a.agentName}</a></td><td><code>${a.syscall}</code> <code class="data">${jsonText(a.args, 300)}</code></td><td>${a.rule}: ${a.reason}</td><td>${isoTime(a.deadline)}</td>
<td class="actions">${actionForm(`/ui/approvals/${encodeURIComponent(a.id)}/approve`, "Approve", csrf, { id: `approve-${a.id}` })}${actionForm(`/ui/approvals/${encodeURIComponent(a.id)}/deny`, "Deny", csrf, { id: `deny-${a.id}`, danger: true })}</td></tr>`)}</tbody></table>`;
  const done = decided.length === 0 ? h`` : h`<table class="grid"><caption>Decided</caption><thead><tr><th scope="col">Request</th><th scope="col">Agent</th><th scope="col">Syscall</th><th scope="col">Status</th><th scope="col">By</th></tr></thead>
<tbody>${decided.map((a) => h`<tr><th scope="row">${a.id}</th><td>${a.agentName}</td><td><code>${a.syscall}</code></td><td>${a.status}</td><td>${a.decidedBy ?? "—"}</td></tr>`)}</tbody></table>`;
  const esc = open.length === 0
    ? h`<p>No supervisor is waiting for a person.</p>`
    : h`<table class="grid"><caption>Supervisors that gave up</caption><thead><tr><th scope="col">Escalation</th><th scope="col">Supervisor</th><th scope="col">Reason</th><th scope="col">At</th><th scope="col">Decide</th></tr></thead>
<tbody>${open.map((e) => h`<tr><th scope="row">${e.id}</th><td>${e.name}</td><td>${e.reason}</td><td>${isoTime(e.at)}</td>
<td class="actions">${opButton(`/ui/escalations/${encodeURIComponent(e.id)}/restart`, "Restart tree", { id: `restart-${e.id}`, confirm: `Restart the tree of ${e.name} afresh?` })} ${opButton(`/ui/escalations/${encodeURIComponent(e.id)}/abandon`, "Abandon", { id: `abandon-${e.id}`, danger: true, confirm: `Abandon the tree of ${e.name}?` })}</td></tr>`)}</tbody></table>`;
  return h`<h2 id="apr-h">Approval requests</h2>${pend}${done}<h2 id="esc-h">Escalations</h2>${esc}`;
}

export function approvalsView(body: Html): Html {
  return h`<div id="approvals-live" data-live="approval.*,supervisor.*" data-src="/ui/fragment/approvals">${body}</div>`;
}
