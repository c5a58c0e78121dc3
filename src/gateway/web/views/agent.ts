/**
 * One agent: what the process table says (status, lineage, mailbox, incarnation), the spec it runs,
 * which grant gives it each capability (its spec, or a token by id — never token bytes), for an LLM
 * agent its context window with the token budget per section, its recent syscalls and its recent
 * events, which the island keeps appending live. Actions are the tree's, with the same confirmation.
 */
import type { AnyKernelEvent } from "../../../core/index.js";
import type { AgentInfo } from "../../../kernel/index.js";
import type { TokenSummary } from "../../api.js";
import type { SyscallRow } from "../feed.js";
import { h, isoTime, jsonText, type Html } from "../html.js";
import { eventRows } from "./events.js";
import { agentActions } from "./tree.js";

/** One section of an LLM agent's context window and the tokens it takes. */
export interface ContextSection {
  readonly section: string;
  readonly messages: number | undefined;
  readonly tokens: number;
}

export interface ContextBudget {
  readonly model: string;
  readonly contextSize: number;
  readonly sections: readonly ContextSection[];
}

export interface AgentPage {
  readonly info: AgentInfo;
  readonly spec: unknown;
  /** The capabilities the spec names (each granted by the spec itself). */
  readonly specCapabilities: readonly string[];
  readonly tokens: readonly TokenSummary[];
  readonly events: readonly AnyKernelEvent[];
  readonly syscalls: readonly SyscallRow[];
  readonly context: ContextBudget | undefined;
}

function grantsTable(specCaps: readonly string[], tokens: readonly TokenSummary[]): Html {
  const rows: [string, Html][] = [
    ...specCaps.map((c): [string, Html] => [c, h`its spec`]),
    ...tokens.flatMap((t) => t.capabilities.map((c): [string, Html] => [c, h`token <code>${t.id}</code> (chain of ${t.chain.length}, expires ${isoTime(t.exp)})`])),
  ];
  if (rows.length === 0) return h`<p>This agent holds no capability.</p>`;
  return h`<table class="grid"><caption>Each capability and the grant it comes from</caption><thead><tr><th scope="col">Capability</th><th scope="col">Granted by</th></tr></thead>
<tbody>${rows.map(([c, by]) => h`<tr><th scope="row"><code>${c}</code></th><td>${by}</td></tr>`)}</tbody></table>`;
}

const pct = (n: number, of: number): string => `${((n / Math.max(1, of)) * 100).toFixed(1)} %`;

function contextTable(c: ContextBudget): Html {
  const W = 600;
  let x = 0;
  const fills = ["#0b57a4", "#5b3a99", "#1e6b2f", "#7a4d00", "#a4161a", "#c7c7c7"];
  const bar = h`<svg class="chart" aria-hidden="true" focusable="false" viewBox="0 0 ${W} 24" width="${W}" height="24">${c.sections.map((s, i) => {
    const w = Math.round((s.tokens / Math.max(1, c.contextSize)) * W);
    const r = h`<rect x="${x}" y="2" width="${Math.max(0, w)}" height="20" fill="${fills[i % fills.length] ?? "#1b1b1b"}"></rect>`;
    x += w;
    return r;
  })}</svg>`;
  return h`${bar}<table class="grid"><caption>Context window of ${c.model}: ${c.contextSize} tokens, by section (the data of the bar)</caption>
<thead><tr><th scope="col">Section</th><th scope="col">Messages</th><th scope="col">Tokens</th><th scope="col">Share of the window</th></tr></thead>
<tbody>${c.sections.map((s) => h`<tr><th scope="row">${s.section}</th><td class="num">${s.messages ?? "—"}</td><td class="num">${s.tokens}</td><td class="num">${pct(s.tokens, c.contextSize)}</td></tr>`)}</tbody></table>`;
}

function syscallsTable(rows: readonly SyscallRow[]): Html {
  if (rows.length === 0) return h`<p>No syscall seen since the dashboard started.</p>`;
  return h`<table class="grid"><caption>Last ${rows.length} syscalls, newest first</caption><thead><tr><th scope="col">Time</th><th scope="col">Syscall</th><th scope="col">Outcome</th><th scope="col">Duration (µs)</th><th scope="col">Detail</th></tr></thead>
<tbody>${rows.map((r) => h`<tr><td>${isoTime(r.ts)}</td><th scope="row"><code>${r.name}</code></th><td${r.outcome === "ok" ? "" : h` class="error"`}>${r.outcome}</td><td class="num">${r.durationUs === undefined ? "—" : Math.round(r.durationUs)}</td><td>${r.detail ?? "—"}</td></tr>`)}</tbody></table>`;
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
  const tokens = grantsTable(a.specCapabilities, a.tokens);
  return h`<div class="actions-bar">${agentActions({ id: i.id, name: i.name, status: i.status })}</div>
<section aria-labelledby="facts-h"><h2 id="facts-h">Process</h2><dl class="facts">${facts.map(([k, v]) => h`<dt>${k}</dt><dd>${v}</dd>`)}</dl></section>
<section aria-labelledby="caps-h"><h2 id="caps-h">Capabilities</h2>${tokens}</section>
${a.context === undefined ? "" : h`<section aria-labelledby="ctx-h"><h2 id="ctx-h">Context window</h2>${contextTable(a.context)}</section>`}
<section aria-labelledby="calls-h"><h2 id="calls-h">Recent syscalls</h2>${syscallsTable(a.syscalls)}</section>
<section aria-labelledby="spec-h"><h2 id="spec-h">Spec</h2><pre tabindex="0" aria-label="Agent spec as JSON">${jsonText(a.spec)}</pre></section>
<section aria-labelledby="ev-h"><h2 id="ev-h">Recent events</h2>
<div class="logbox" tabindex="0" role="region" aria-labelledby="ev-caption"><table class="grid log"><caption id="ev-caption">Events of this agent, newest last (live)</caption><thead><tr><th scope="col">Time</th><th scope="col">Type</th><th scope="col">Severity</th><th scope="col">Agent</th><th scope="col">Data</th></tr></thead>
<tbody data-stream="" data-agent="${i.id}">${eventRows(a.events)}</tbody></table></div></section>`;
}
