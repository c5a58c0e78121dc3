/**
 * Costs: tokens in and out and cost per agent and model since the daemon started, totals per model
 * drawn as bars — the chart is decoration (aria-hidden); the tables beside it carry every number,
 * so nothing is only visual.
 */
import { h, type Html } from "../html.js";
import type { UsageRow } from "../feed.js";

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

export function costsView(rows: readonly UsageRow[]): Html {
  if (rows.length === 0) return h`<p>No model call since the daemon started.</p>`;
  const totals = modelTotals(rows);
  return h`<section aria-labelledby="models-h"><h2 id="models-h">Tokens per model</h2>${chart(totals)}
<table class="grid"><caption>Totals per model (the data of the chart)</caption><thead><tr><th scope="col">Model</th><th scope="col">Calls</th><th scope="col">Tokens</th><th scope="col">Cost (credits)</th></tr></thead>
<tbody>${totals.map((t) => h`<tr><th scope="row">${t.model}</th><td class="num">${t.calls}</td><td class="num">${t.tokens}</td><td class="num">${money(t.cost)}</td></tr>`)}</tbody></table></section>
<section aria-labelledby="agents-h"><h2 id="agents-h">Per agent and model</h2>
<table class="grid"><caption>Model use per agent and model, most tokens first</caption><thead><tr><th scope="col">Agent</th><th scope="col">Model</th><th scope="col">Calls</th><th scope="col">Prompt tokens</th><th scope="col">Completion tokens</th><th scope="col">Cost (credits)</th></tr></thead>
<tbody>${rows.map((r) => h`<tr><th scope="row">${r.agent.startsWith("ag") ? h`<a href="/ui/agents/${encodeURIComponent(r.agent)}">${r.agentName}</a>` : r.agentName}</th><td>${r.model}</td><td class="num">${r.calls}</td><td class="num">${r.promptTokens}</td><td class="num">${r.completionTokens}</td><td class="num">${money(r.cost)}</td></tr>`)}</tbody></table></section>`;
}
