/**
 * The scheduler: each resource pool (inference slots per model backend, tool slots) with its
 * policy, capacity, slots in use, queue length and counters, and the SLO alerts firing now.
 */
import type { PoolStats } from "../../../sched/index.js";
import type { FiringAlert } from "../feed.js";
import { h, isoTime, type Html } from "../html.js";

export function schedulerBody(pools: readonly PoolStats[] | undefined, alerts: readonly FiringAlert[]): Html {
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
  return h`<h2>Pools</h2>${poolTable}<h2>Service-level alerts</h2>${alertList}`;
}

export function schedulerView(body: Html): Html {
  return h`<div id="sched-live" data-live="sched.*,slo.*" data-src="/ui/fragment/scheduler">${body}</div>`;
}
