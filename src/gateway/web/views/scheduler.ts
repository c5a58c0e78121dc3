/**
 * The scheduler: each resource pool (inference slots per model backend, tool slots) with its
 * policy, capacity, slots in use, queue length and counters; the fair shares — per pool, each
 * tenant's share of the slot time by its weight (what weighted fair queueing aims at) beside the
 * share it received since the daemon started; and the SLO alerts firing now.
 */
import type { PoolStats } from "../../../sched/index.js";
import type { FiringAlert, ShareRow } from "../feed.js";
import { h, isoTime, type Html } from "../html.js";

const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;

function fairShares(rows: readonly ShareRow[], weightOf: (tenant: string) => number): Html {
  if (rows.length === 0) return h`<p>No slot has been released yet: shares appear once agents used a pool.</p>`;
  const byPool = new Map<string, ShareRow[]>();
  for (const r of rows) byPool.set(r.pool, [...(byPool.get(r.pool) ?? []), r]);
  return h`<table class="grid"><caption>Fair shares per pool: each tenant's entitled share of slot time (its weight over the weights of the tenants that used the pool) and the share it received</caption>
<thead><tr><th scope="col">Pool</th><th scope="col">Tenant</th><th scope="col">Weight</th><th scope="col">Entitled share</th><th scope="col">Received share</th><th scope="col">Slot time (s)</th><th scope="col">Grants</th><th scope="col">Tokens</th></tr></thead>
<tbody>${[...byPool].map(([pool, rs]) => {
    const held = rs.reduce((n, r) => n + r.heldMs, 0);
    const weights = rs.reduce((n, r) => n + weightOf(r.tenant), 0);
    return rs.map((r) => h`<tr><th scope="row">${pool}</th><td>${r.tenant}</td><td class="num">${weightOf(r.tenant)}</td><td class="num">${pct(weightOf(r.tenant) / weights)}</td><td class="num">${held === 0 ? "—" : pct(r.heldMs / held)}</td>
<td class="num">${(r.heldMs / 1000).toFixed(3)}</td><td class="num">${r.grants}</td><td class="num">${r.tokens}</td></tr>`);
  })}</tbody></table>`;
}

export function schedulerBody(pools: readonly PoolStats[] | undefined, alerts: readonly FiringAlert[], shares: readonly ShareRow[] = [], weightOf: (tenant: string) => number = () => 1): Html {
  const poolTable = pools === undefined
    ? h`<p>This system runs without a scheduler subsystem.</p>`
    : pools.length === 0
      ? h`<p>No resource pool has been used yet (pools are created on first use).</p>`
      : h`<table class="grid"><caption>Resource pools</caption><thead><tr><th scope="col">Pool</th><th scope="col">Policy</th><th scope="col">In use</th><th scope="col">Capacity</th><th scope="col">Queued</th><th scope="col">Granted</th><th scope="col">Released</th><th scope="col">Cancelled</th><th scope="col">Rejected</th><th scope="col">Preempted</th></tr></thead>
<tbody>${pools.map((p) => h`<tr><th scope="row">${p.name}</th><td>${p.policy}</td><td class="num">${p.inUse}</td><td class="num">${p.capacity}</td><td class="num">${p.queued}</td><td class="num">${p.granted}</td><td class="num">${p.released}</td><td class="num">${p.cancelled}</td><td class="num">${p.rejected}</td><td class="num">${p.preempted}</td></tr>`)}</tbody></table>`;
  const alertList = alerts.length === 0
    ? h`<p>No SLO alert is firing.</p>`
    : h`<table class="grid"><caption>Firing alerts</caption><thead><tr><th scope="col">Alert</th><th scope="col">Severity</th><th scope="col">Summary</th><th scope="col">Value</th><th scope="col">Threshold</th><th scope="col">Since</th></tr></thead>
<tbody>${alerts.map((a) => h`<tr><th scope="row">${a.alert}</th><td>${a.severity}</td><td>${a.summary}</td><td class="num">${a.value}</td><td class="num">${a.threshold}</td><td>${isoTime(a.since)}</td></tr>`)}</tbody></table>`;
  return h`<h2>Pools</h2>${poolTable}<h2>Fair shares</h2>${pools === undefined ? h`<p>No scheduler: no shares.</p>` : fairShares(shares, weightOf)}<h2>Service-level alerts</h2>${alertList}`;
}

export function schedulerView(body: Html): Html {
  return h`<div id="sched-live" data-live="sched.*,slo.*" data-src="/ui/fragment/scheduler">${body}</div>`;
}
