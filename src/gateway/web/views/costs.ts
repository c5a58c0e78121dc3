/**
 * Costs: tokens in and out and cost per agent and model since the daemon started, totals per model
 * drawn as bars, and tokens per tenant and model per minute drawn as lines over time — the charts are
 * decoration (aria-hidden); the tables beside them carry every number, so nothing is only visual.
 */
import { h, isoTime, type Html } from "../html.js";
import type { CostPoint, UsageRow } from "../feed.js";

interface ModelTotal {
  model: string;
  calls: number;
  tokens: number;
  cost: number;
}

export function modelTotals(rows: readonly UsageRow[]): ModelTotal[] {
  const m = new Map<string, ModelTotal>();
  for (const r of rows) {
    const t = m.get(r.model) ?? { model: r.model, calls: 0, tokens: 0, cost: 0 };
    t.calls += r.calls;
    t.tokens += r.promptTokens + r.completionTokens;
    t.cost += r.cost;
    m.set(r.model, t);
  }
  return [...m.values()].sort((a, b) => b.tokens - a.tokens);
}

function chart(totals: readonly ModelTotal[]): Html {
  const max = Math.max(1, ...totals.map((t) => t.tokens));
  const rowH = 28;
  return h`<svg class="chart" aria-hidden="true" focusable="false" viewBox="0 0 600 ${totals.length * rowH}" width="600" height="${totals.length * rowH}">
${totals.map((t, i) => h`<text x="0" y="${i * rowH + 18}">${t.model}</text><rect x="200" y="${i * rowH + 4}" height="18" width="${Math.max(1, Math.round((t.tokens / max) * 320))}"></rect><text x="${210 + Math.round((t.tokens / max) * 320)}" y="${i * rowH + 18}">${t.tokens}</text>`)}</svg>`;
}

const money = (n: number): string => n.toFixed(6);

/** Distinguishable strokes (each series is also named in the legend and the table). */
const STROKES = ["#0b57a4", "#a4161a", "#1e6b2f", "#7a4d00", "#5b3a99", "#1b1b1b"];

function overTime(points: readonly CostPoint[]): Html {
  const minutes = [...new Set(points.map((p) => p.minute))].sort((a, b) => a - b);
  const keys = [...new Set(points.map((p) => `${p.tenant} · ${p.model}`))].slice(0, STROKES.length);
  const max = Math.max(1, ...points.map((p) => p.tokens));
  const W = 560;
  const H = 160;
  const x = (m: number): number => 40 + (minutes.length < 2 ? W / 2 : Math.round(((minutes.indexOf(m)) / (minutes.length - 1)) * W));
  const y = (v: number): number => 10 + H - Math.round((v / max) * H);
  const chart = h`<svg class="chart" aria-hidden="true" focusable="false" viewBox="0 0 640 ${H + 40 + keys.length * 18}" width="640" height="${H + 40 + keys.length * 18}">
<line class="axis" x1="40" y1="${H + 10}" x2="${W + 40}" y2="${H + 10}"></line><text x="0" y="18">${max}</text><text x="0" y="${H + 10}">0</text>
${keys.map((k, i) => {
    const series = points.filter((p) => `${p.tenant} · ${p.model}` === k);
    const stroke = STROKES[i] ?? "#1b1b1b";
    return h`<polyline stroke="${stroke}" points="${series.map((p) => `${x(p.minute)},${y(p.tokens)}`).join(" ")}"></polyline>${series.length === 1 ? h`<circle cx="${x((series[0] as CostPoint).minute)}" cy="${y((series[0] as CostPoint).tokens)}" r="3" fill="${stroke}"></circle>` : ""}
<rect x="40" y="${H + 24 + i * 18}" width="12" height="12" fill="${stroke}"></rect><text x="58" y="${H + 34 + i * 18}">${k}</text>`;
  })}</svg>`;
  return h`<section aria-labelledby="time-h"><h2 id="time-h">Tokens per tenant and model over time</h2>${chart}
<table class="grid"><caption>Tokens and cost per minute, tenant and model (the data of the chart)</caption><thead><tr><th scope="col">Minute</th><th scope="col">Tenant</th><th scope="col">Model</th><th scope="col">Calls</th><th scope="col">Tokens</th><th scope="col">Cost (credits)</th></tr></thead>
<tbody>${points.map((p) => h`<tr><th scope="row">${isoTime(p.minute)}</th><td>${p.tenant}</td><td>${p.model}</td><td class="num">${p.calls}</td><td class="num">${p.tokens}</td><td class="num">${money(p.cost)}</td></tr>`)}</tbody></table></section>`;
}

export function costsView(rows: readonly UsageRow[], series: readonly CostPoint[] = []): Html {
  if (rows.length === 0) return h`<p>No model call since the daemon started.</p>`;
  const totals = modelTotals(rows);
  return h`<section aria-labelledby="models-h"><h2 id="models-h">Tokens per model</h2>${chart(totals)}
<table class="grid"><caption>Totals per model (the data of the chart)</caption><thead><tr><th scope="col">Model</th><th scope="col">Calls</th><th scope="col">Tokens</th><th scope="col">Cost (credits)</th></tr></thead>
<tbody>${totals.map((t) => h`<tr><th scope="row">${t.model}</th><td class="num">${t.calls}</td><td class="num">${t.tokens}</td><td class="num">${money(t.cost)}</td></tr>`)}</tbody></table></section>
${series.length === 0 ? "" : overTime(series)}
<section aria-labelledby="agents-h"><h2 id="agents-h">Per agent and model</h2>
<table class="grid"><caption>Model use per agent and model, most tokens first</caption><thead><tr><th scope="col">Agent</th><th scope="col">Model</th><th scope="col">Calls</th><th scope="col">Prompt tokens</th><th scope="col">Completion tokens</th><th scope="col">Cost (credits)</th></tr></thead>
<tbody>${rows.map((r) => h`<tr><th scope="row">${r.agent.startsWith("ag") ? h`<a href="/ui/agents/${encodeURIComponent(r.agent)}">${r.agentName}</a>` : r.agentName}</th><td>${r.model}</td><td class="num">${r.calls}</td><td class="num">${r.promptTokens}</td><td class="num">${r.completionTokens}</td><td class="num">${money(r.cost)}</td></tr>`)}</tbody></table></section>`;
}
