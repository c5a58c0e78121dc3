/**
 * One agent: what the process table says (status, lineage, mailbox, incarnation), the spec it runs,
 * the capability tokens it holds (ids and grants, never token bytes) and its recent events, which
 * the island keeps appending live. Actions are the tree's, with the same confirmation.
 */
import type { AnyKernelEvent } from "../../../core/index.js";
import type { AgentInfo } from "../../../kernel/index.js";
import type { TokenSummary } from "../../api.js";
import { h, isoTime, jsonText, type Html } from "../html.js";
import { eventRows } from "./events.js";
import { agentActions } from "./tree.js";

export interface AgentPage {
  readonly info: AgentInfo;
  readonly spec: unknown;
  readonly tokens: readonly TokenSummary[];
  readonly events: readonly AnyKernelEvent[];
}

const link = (id: string | undefined): Html => (id === undefined ? h`—` : h`<a href="/ui/agents/${encodeURIComponent(id)}">${id}</a>`);

export function agentView(a: AgentPage): Html {
  const i = a.info;
  const facts: [string, Html | string | number][] = [
    ["Id", i.id], ["Status", h`<span class="status s-${i.status}">${i.status}</span>`], ["Kind", i.kind], ["Version", i.version], ["Tier", i.tier], ["Tenant", i.tenant],
    ["Parent", link(i.parent)], ["Children", i.children.length === 0 ? "none" : h`${i.children.map((c, n) => h`${n > 0 ? ", " : ""}${link(c)}`)}`],
    ["Mailbox", `${i.mailbox} queued, ${i.waiting} senders waiting`], ["Incarnation", i.incarnation], ["Durable", i.durable ? "yes" : "no"],
    ["Created", isoTime(i.createdAt)], ["Exit reason", i.exitReason ?? "—"],
  ];
  const tokens = a.tokens.length === 0
    ? h`<p>This agent holds no capability tokens.</p>`
    : h`<table class="grid"><caption>Capability tokens</caption><thead><tr><th scope="col">Token</th><th scope="col">Grants</th><th scope="col">Chain length</th><th scope="col">Expires</th></tr></thead>
<tbody>${a.tokens.map((t) => h`<tr><th scope="row"><code>${t.id}</code></th><td><ul class="plain">${t.capabilities.map((c) => h`<li><code>${c}</code></li>`)}</ul></td><td class="num">${t.chain.length}</td><td>${isoTime(t.exp)}</td></tr>`)}</tbody></table>`;
  return h`<div class="actions-bar">${agentActions({ id: i.id, name: i.name, status: i.status })}</div>
<section aria-labelledby="facts-h"><h2 id="facts-h">Process</h2><dl class="facts">${facts.map(([k, v]) => h`<dt>${k}</dt><dd>${v}</dd>`)}</dl></section>
<section aria-labelledby="caps-h"><h2 id="caps-h">Capabilities</h2>${tokens}</section>
<section aria-labelledby="spec-h"><h2 id="spec-h">Spec</h2><pre tabindex="0" aria-label="Agent spec as JSON">${jsonText(a.spec)}</pre></section>
<section aria-labelledby="ev-h"><h2 id="ev-h">Recent events</h2>
<table class="grid log"><caption>Events of this agent, newest last (live)</caption><thead><tr><th scope="col">Time</th><th scope="col">Type</th><th scope="col">Severity</th><th scope="col">Agent</th><th scope="col">Data</th></tr></thead>
<tbody data-stream="" data-agent="${i.id}">${eventRows(a.events)}</tbody></table></section>`;
}
