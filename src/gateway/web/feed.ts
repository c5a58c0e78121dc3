/**
 * What the dashboard keeps beyond the event history: model usage summed per (agent, model) from
 * `model.call` events — tokens in and out, calls, cost — and the SLO alerts currently firing. Held
 * in memory from the daemon's start (the ledger and /metrics are the durable accounts); the number
 * of (agent, model) pairs is bounded, the overflow summed under one "(other)" row so memory stays
 * flat however many agents come and go.
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

export class DashboardFeed {
  private readonly usage = new Map<string, UsageRow>();
  private readonly firing = new Map<string, FiringAlert>();
  private readonly unsubscribe: Unsubscribe;

  constructor(
    private readonly os: Aios,
    private readonly maxRows = 5_000,
  ) {
    this.unsubscribe = os.events.subscribe({ types: ["model.call", "slo.*"] }, (e) => this.take(e));
  }

  private take(e: AnyKernelEvent): void {
    if (e.type === "model.call") {
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
  }
}
