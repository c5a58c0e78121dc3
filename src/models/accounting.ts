/**
 * Token and cost accounting per agent and per tenant, from the price table (price per 1,000 prompt
 * and completion tokens per model entry). Totals only grow; cost is computed per call from that
 * call's usage and its backend's price, so a fallback to a dearer model is charged at its own price.
 * Per-agent rows live only while their agent does (a million short-lived agents must not leave a
 * million rows): the models plugin prunes a row when its agent ends, and `isLive` keeps a call that
 * finishes after its agent ended (a provider that ignored the abort) from re-creating one. Tenant
 * totals are kept for good.
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
  /** Whether an agent is still running (set by the models plugin from the process table). */
  isLive: (agent: string) => boolean = () => true;

  /** Records one call; returns its cost. An ended agent's call counts for its tenant only. */
  record(agent: string, tenant: string, usage: Usage, price: Price | undefined): number {
    const cost = costOf(usage, price);
    if (this.agents.has(agent) || this.isLive(agent)) add(this.agents, agent, usage, cost);
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
  /** Forgets the agent's row unless it is live again (a supervised restart keeps its id and its totals). */
  prune(id: string): void {
    if (this.agents.has(id) && !this.isLive(id)) this.agents.delete(id);
  }
  /** Forgets every row whose agent has ended (after end events were lost); returns how many. */
  sweep(): number {
    let n = 0;
    for (const id of this.agents.keys()) {
      if (!this.isLive(id)) {
        this.agents.delete(id);
        n++;
      }
    }
    return n;
  }
  /** Agents with a row (what pruning keeps bounded). */
  get agentCount(): number {
    return this.agents.size;
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
