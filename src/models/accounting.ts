/**
 * Token and cost accounting per agent and per tenant, from the price table (price per 1,000 prompt
 * and completion tokens per model entry). Totals only grow; cost is computed per call from that
 * call's usage and its backend's price, so a fallback to a dearer model is charged at its own price.
 */
import type { Usage } from "./types.js";

export interface Price {
  readonly promptPer1k: number;
  readonly completionPer1k: number;
}

export interface UsageTotals {
  promptTokens: number;
  completionTokens: number;
  cost: number;
  calls: number;
}

export function costOf(usage: Usage, price: Price | undefined): number {
  if (price === undefined) return 0;
  return (usage.promptTokens / 1000) * price.promptPer1k + (usage.completionTokens / 1000) * price.completionPer1k;
}

export class Accounting {
  private readonly agents = new Map<string, UsageTotals>();
  private readonly tenants = new Map<string, UsageTotals>();

  /** Records one call; returns its cost. */
  record(agent: string, tenant: string, usage: Usage, price: Price | undefined): number {
    const cost = costOf(usage, price);
    add(this.agents, agent, usage, cost);
    add(this.tenants, tenant, usage, cost);
    return cost;
  }

  agent(id: string): Readonly<UsageTotals> {
    return this.agents.get(id) ?? { promptTokens: 0, completionTokens: 0, cost: 0, calls: 0 };
  }
  tenant(id: string): Readonly<UsageTotals> {
    return this.tenants.get(id) ?? { promptTokens: 0, completionTokens: 0, cost: 0, calls: 0 };
  }
  /** Forgets an ended agent's row (tenant totals stay). */
  forgetAgent(id: string): void {
    this.agents.delete(id);
  }
}

function add(map: Map<string, UsageTotals>, key: string, usage: Usage, cost: number): void {
  let t = map.get(key);
  if (t === undefined) map.set(key, (t = { promptTokens: 0, completionTokens: 0, cost: 0, calls: 0 }));
  t.promptTokens += usage.promptTokens;
  t.completionTokens += usage.completionTokens;
  t.cost += cost;
  t.calls++;
}
