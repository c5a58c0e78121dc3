/**
 * Messages and events: the kernel's event stream (lifecycle, syscalls denied, approvals, mailbox
 * pressure, supervision, model calls), recent ones rendered by the server and new ones appended by
 * the island as they arrive over /ui/stream. Filtering is a plain GET form (type patterns, agent,
 * minimum severity), so a filtered view is a link one can share; the island applies the same filter.
 * The log sits in a fixed-height scroll box with CSS containment: at 1,000 events/s the browser lays
 * out and paints that box each frame, not the whole page.
 */
import type { AnyKernelEvent } from "../../../core/index.js";
import { h, isoTime, jsonText, type Html } from "../html.js";

export interface EventsFilterForm {
  readonly types: string;
  readonly agent: string;
  readonly severity: string;
}

const SEVERITIES = ["", "debug", "info", "warn", "error", "critical"] as const;

export function eventRows(events: readonly AnyKernelEvent[]): Html {
  return h`${events.map((e) => h`<tr><td>${isoTime(e.ts)}</td><td><code>${e.type}</code></td><td>${e.severity}</td><td>${e.agent ?? "—"}</td><td><code class="data">${jsonText(e.data, 300)}</code></td></tr>`)}`;
}

export function eventsView(events: readonly AnyKernelEvent[], f: EventsFilterForm): Html {
  return h`<form method="get" action="/ui/events" class="filters" role="search" aria-label="Filter events">
<label>Types <input name="types" value="${f.types}" placeholder="agent.*, approval.*" aria-describedby="types-help"></label>
<span id="types-help" class="muted">Comma-separated; a trailing * matches a prefix.</span>
<label>Agent id <input name="agent" value="${f.agent}"></label>
<label>Minimum severity <select name="severity">${SEVERITIES.map((s) => h`<option value="${s}"${s === f.severity ? h` selected` : ""}>${s === "" ? "any" : s}</option>`)}</select></label>
<button type="submit">Filter</button></form>
<div class="logbox" tabindex="0" role="region" aria-labelledby="event-caption"><table class="grid log"><caption id="event-caption">Recent and live events, newest last</caption><thead><tr><th scope="col">Time</th><th scope="col">Type</th><th scope="col">Severity</th><th scope="col">Agent</th><th scope="col">Data</th></tr></thead>
<tbody id="event-body" data-stream="" data-types="${f.types}" data-agent="${f.agent}" data-severity="${f.severity}">${eventRows(events)}</tbody></table></div>`;
}
