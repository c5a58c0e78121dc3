/**
 * What the dashboard keeps beyond the event history: model usage summed per (agent, model) from
 * `model.call` events — tokens in and out, calls, cost — and per (tenant, model) per minute for the
 * costs over time; each agent's last syscalls (from `syscall.completed` / `syscall.denied`, which
 * observe/'s metrics already make the bus build); and the SLO alerts currently firing. Held in
 * memory from the daemon's start (the ledger and /metrics are the durable accounts). Every map is
 * bounded: (agent, model) pairs (overflow summed under one "(other)" row), minutes kept, agents
 * with a syscall ring (the least recently active forgotten), so memory stays flat however many
 * agents come and go.
 */
import type { AnyKernelEvent } from "../../core/index.js";
import type { Aios, Unsubscribe } from "../../sdk/index.js";

export interface UsageRow {
  readonly agent: string;
  readonly agentName: string;
  readonly model: string;
  calls: number;
  promptTokens: number;
  completionTokens: number;
  cost: number;
}

export interface FiringAlert {
  readonly alert: string;
  readonly severity: string;
  readonly summary: string;
  readonly value: number;
  readonly threshold: number;
  readonly since: number;
}

/** One syscall of an agent as the agent page lists it. */
export interface SyscallRow {
  readonly ts: number;
  readonly name: string;
  readonly outcome: "ok" | "error" | "denied";
  readonly durationUs: number | undefined;
  readonly detail: string | undefined;
}

/** Tokens and cost of one (tenant, model) in one minute. */
export interface CostPoint {
  readonly minute: number;
  readonly tenant: string;
  readonly model: string;
  calls: number;
  tokens: number;
  cost: number;
}

/** Slot use of one tenant in one pool since the daemon started (from `sched.released`). */
export interface ShareRow {
  readonly pool: string;
  readonly tenant: string;
  grants: number;
  heldMs: number;
  tokens: number;
}

const MINUTE = 60_000;

export class DashboardFeed {
  private readonly usage = new Map<string, UsageRow>();
  private readonly firing = new Map<string, FiringAlert>();
  /** Per agent, its last syscalls (Map order: least recently active first). */
  private readonly calls = new Map<string, SyscallRow[]>();
  /** Per minute (epoch ms of its start), per tenant and model. */
  private readonly series = new Map<number, Map<string, CostPoint>>();
  /** Per pool and tenant (pools and tenants are few; bounded like the usage rows). */
  private readonly shares = new Map<string, ShareRow>();
  private readonly unsubscribe: Unsubscribe;
  private readonly unsubscribeCalls: Unsubscribe;

  constructor(
    private readonly os: Aios,
    private readonly maxRows = 5_000,
    private readonly o: { readonly callsPerAgent?: number; readonly agents?: number; readonly minutes?: number } = {},
  ) {
    this.unsubscribe = os.events.subscribe({ types: ["model.call", "slo.*", "sched.released"] }, (e) => this.take(e));
    this.unsubscribeCalls = os.events.subscribe({ types: ["syscall.completed", "syscall.denied"] }, (e) => this.call(e), { bufferSize: 50_000 });
  }

  private call(e: AnyKernelEvent): void {
    if (e.agent === undefined) return;
    let row: SyscallRow;
    if (e.type === "syscall.completed") row = { ts: e.ts, name: e.data.name, outcome: e.data.ok ? "ok" : "error", durationUs: e.data.durationUs, detail: e.data.error === undefined ? undefined : `${e.data.error.code}: ${e.data.error.message}` };
    else if (e.type === "syscall.denied") row = { ts: e.ts, name: e.data.name, outcome: "denied", durationUs: undefined, detail: `${e.data.code}: ${e.data.reason}` };
    else return;
    let ring = this.calls.get(e.agent);
    if (ring === undefined) {
      ring = [];
      if (this.calls.size >= (this.o.agents ?? 2_000)) {
        const oldest = this.calls.keys().next().value;
        if (oldest !== undefined) this.calls.delete(oldest);
      }
    } else this.calls.delete(e.agent);
    this.calls.set(e.agent, ring);
    ring.push(row);
    if (ring.length > (this.o.callsPerAgent ?? 25)) ring.shift();
  }

  /** An agent's last syscalls, newest first. */
  syscalls(agent: string): SyscallRow[] {
    return [...(this.calls.get(agent) ?? [])].reverse();
  }

  /** Tokens and cost per (tenant, model) per minute, oldest minute first. */
  costSeries(): CostPoint[] {
    return [...this.series.entries()].sort((a, b) => a[0] - b[0]).flatMap(([, m]) => [...m.values()].map((p) => ({ ...p })));
  }

  private chargeMinute(ts: number, tenant: string, model: string, tokens: number, cost: number): void {
    const minute = ts - (ts % MINUTE);
    let m = this.series.get(minute);
    if (m === undefined) {
      m = new Map();
      this.series.set(minute, m);
      const keep = this.o.minutes ?? 60;
      if (this.series.size > keep) for (const k of [...this.series.keys()].sort((a, b) => a - b).slice(0, this.series.size - keep)) this.series.delete(k);
    }
    // Tenants and models are few; past 200 pairs in a minute the rest is summed under "(other)".
    const over = m.size >= 200 && !m.has(`${tenant}\u0000${model}`);
    const key = over ? "(other)\u0000(other)" : `${tenant}\u0000${model}`;
    let p = m.get(key);
    if (p === undefined) {
      p = { minute, tenant: over ? "(other)" : tenant, model: over ? "(other)" : model, calls: 0, tokens: 0, cost: 0 };
      m.set(key, p);
    }
    p.calls += 1;
    p.tokens += tokens;
    p.cost += cost;
  }

  /** Slot use per pool and tenant, most held first. */
  shareRows(): ShareRow[] {
    return [...this.shares.values()].map((r) => ({ ...r })).sort((a, b) => a.pool.localeCompare(b.pool) || b.heldMs - a.heldMs);
  }

  private take(e: AnyKernelEvent): void {
    if (e.type === "sched.released") {
      const tenant = (e.agent === undefined ? undefined : this.os.kernel.find(e.agent)?.spec.tenant) ?? "default";
      let key = `${e.data.pool}\u0000${tenant}`;
      if (!this.shares.has(key) && this.shares.size >= 1_000) key = `${e.data.pool}\u0000(other)`;
      let r = this.shares.get(key);
      if (r === undefined) {
        r = { pool: e.data.pool, tenant: key.endsWith("(other)") ? "(other)" : tenant, grants: 0, heldMs: 0, tokens: 0 };
        this.shares.set(key, r);
      }
      r.grants += 1;
      r.heldMs += e.data.heldMs;
      r.tokens += e.data.tokens;
      return;
    }
    if (e.type === "model.call") {
      const tenant = (e.agent === undefined ? undefined : this.os.kernel.find(e.agent)?.spec.tenant) ?? "default";
      this.chargeMinute(e.ts, tenant, e.data.model, e.data.promptTokens + e.data.completionTokens, e.data.cost);
      const agent = e.agent ?? "(operator)";
      let key = `${agent}\u0000${e.data.model}`;
      let row = this.usage.get(key);
      if (row === undefined && this.usage.size >= this.maxRows) key = `(other)\u0000${e.data.model}`;
      row = this.usage.get(key);
      if (row === undefined) {
        const name = key.startsWith("(other)") ? "(other agents)" : (e.agent === undefined ? agent : (this.os.kernel.find(e.agent)?.spec.name ?? agent));
        row = { agent: key.startsWith("(other)") ? "(other)" : agent, agentName: name, model: e.data.model, calls: 0, promptTokens: 0, completionTokens: 0, cost: 0 };
        this.usage.set(key, row);
      }
      row.calls += 1;
      row.promptTokens += e.data.promptTokens;
      row.completionTokens += e.data.completionTokens;
      row.cost += e.data.cost;
    } else if (e.type === "slo.firing") {
      this.firing.set(e.data.alert, { alert: e.data.alert, severity: e.data.severity, summary: e.data.summary, value: e.data.value, threshold: e.data.threshold, since: e.ts });
    } else if (e.type === "slo.resolved") {
      this.firing.delete(e.data.alert);
    }
  }

  /** Usage rows, most tokens first. */
  rows(): UsageRow[] {
    return [...this.usage.values()].map((r) => ({ ...r })).sort((a, b) => b.promptTokens + b.completionTokens - (a.promptTokens + a.completionTokens) || a.agentName.localeCompare(b.agentName));
  }

  alerts(): FiringAlert[] {
    return [...this.firing.values()];
  }

  close(): void {
    this.unsubscribe();
    this.unsubscribeCalls();
  }
}
