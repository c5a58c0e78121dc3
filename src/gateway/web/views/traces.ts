/**
 * Traces: the recent runs the daemon traced (observe/'s RecentSpans), and for one run its span
 * waterfall — an SVG of bars on a shared time axis (decoration, aria-hidden: CSP forbids inline
 * styles, so bar geometry is SVG attributes) with a table beside it that carries every number: each
 * span indented under its parent, its kind, start offset, duration, status and the attributes a person
 * reads (model, tokens, tool, agent). With tracing off the page says how to turn it on.
 */
import type { TraceSummary, WaterfallRow } from "../../../observe/index.js";
import { h, isoTime, type Html } from "../html.js";

const fixed = (n: number): string => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : Math.round(n).toString());

export const TRACING_OFF = h`<p>Tracing is off on this daemon. A system booted with <code>boot({ subsystems: { observe: { tracing: {} } } })</code>
keeps its recent traces for this view; add <code>endpoint</code> to export the same spans by OTLP.</p>`;

export function tracesView(list: readonly TraceSummary[] | undefined): Html {
  if (list === undefined) return TRACING_OFF;
  if (list.length === 0) return h`<p>No trace yet: spans appear here when agents call models, tools or each other.</p>`;
  return h`<table class="grid"><caption>Recent traces, most recently active first</caption>
<thead><tr><th scope="col">Root span</th><th scope="col">Started</th><th scope="col">Duration (ms)</th><th scope="col">Spans</th><th scope="col">Errors</th><th scope="col">Trace id</th></tr></thead>
<tbody>${list.map((t) => h`<tr><th scope="row"><a href="/ui/traces/${t.traceId}">${t.root}</a></th><td>${isoTime(t.startMs)}</td><td class="num">${fixed(t.durationMs)}</td>
<td class="num">${t.spans}${t.dropped > 0 ? ` (+${t.dropped} not kept)` : ""}</td><td class="num">${t.errors}</td><td><code>${t.traceId}</code></td></tr>`)}</tbody></table>`;
}

const ROW_H = 22;
const LABEL_W = 260;
const BAR_W = 440;

function waterfall(rows: readonly WaterfallRow[], t0: number, total: number): Html {
  const x = (ms: number): number => LABEL_W + Math.round(((ms - t0) / total) * BAR_W);
  return h`<svg class="chart waterfall" aria-hidden="true" focusable="false" viewBox="0 0 ${LABEL_W + BAR_W + 60} ${rows.length * ROW_H}" width="${LABEL_W + BAR_W + 60}" height="${rows.length * ROW_H}">
${rows.map((r, i) => {
    const label = r.span.name.length > 34 - r.depth * 2 ? `${r.span.name.slice(0, 33 - r.depth * 2)}…` : r.span.name;
    const x0 = x(r.span.startMs);
    const w = Math.max(2, x(r.span.startMs + r.span.durationMs) - x0);
    return h`<text x="${r.depth * 10}" y="${i * ROW_H + 15}">${label}</text><rect x="${x0}" y="${i * ROW_H + 4}" width="${w}" height="14" class="${r.span.error === undefined ? `k-${r.span.kind}` : "k-error"}"></rect>`;
  })}</svg>`;
}

export function traceView(traceId: string, rows: readonly WaterfallRow[] | undefined, tracing: boolean): Html {
  if (!tracing) return TRACING_OFF;
  if (rows === undefined || rows.length === 0) return h`<p role="alert">Trace <code>${traceId}</code> is not among the recent traces kept here.</p><p><a href="/ui/traces">All recent traces</a></p>`;
  const t0 = Math.min(...rows.map((r) => r.span.startMs));
  const end = Math.max(...rows.map((r) => r.span.startMs + r.span.durationMs));
  const total = Math.max(end - t0, 0.001);
  return h`<p><a href="/ui/traces">All recent traces</a> · <code>${traceId}</code> · ${rows.length} spans over ${fixed(total)} ms, started ${isoTime(t0)}</p>
<section aria-labelledby="wf-h"><h2 id="wf-h">Waterfall</h2><div class="scroll" tabindex="0" role="region" aria-label="Waterfall chart (the table below holds its data)">${waterfall(rows, t0, total)}</div>
<table class="grid"><caption>Spans of the trace, children indented under their parent (the data of the waterfall)</caption>
<thead><tr><th scope="col">Span</th><th scope="col">Kind</th><th scope="col">Start (ms)</th><th scope="col">Duration (ms)</th><th scope="col">Status</th><th scope="col">Attributes</th></tr></thead>
<tbody>${rows.map((r) => h`<tr data-span="${r.span.spanId}"><th scope="row" class="depth-${Math.min(r.depth, 9)}">${r.depth > 0 ? h`<span aria-hidden="true">└ </span>` : ""}${r.span.name}</th>
<td>${r.span.kind}</td><td class="num">${fixed(r.span.startMs - t0)}</td><td class="num">${fixed(r.span.durationMs)}</td>
<td>${r.span.error === undefined ? "ok" : h`<span class="error">error: ${r.span.error}</span>`}</td>
<td>${Object.keys(r.span.attributes).length === 0 ? "—" : h`<ul class="plain">${Object.entries(r.span.attributes).map(([k, v]) => h`<li><code>${k}</code> ${v}</li>`)}</ul>`}</td></tr>`)}</tbody></table></section>`;
}
