/**
 * The caller an A2A principal acts as at the door: `a2a:<principal>`, not any agent, with the
 * principal's capabilities and no taint of an agent's. One object per (principal, capabilities),
 * so the dispatcher's per-caller caches stay warm; the cache is bounded.
 */
import type { AgentId, TenantId } from "../../core/index.js";
import type { DispatchCaller } from "../../kernel/index.js";

export class CallerCache {
  private readonly callers = new Map<string, DispatchCaller>();

  of(principal: string, capabilities: readonly string[]): DispatchCaller {
    const key = `${principal}\u0000${capabilities.join("\u0000")}`;
    let c = this.callers.get(key);
    if (c === undefined) {
      c = { agent: `a2a:${principal}` as AgentId, tenant: "default" as TenantId, name: `a2a:${principal}`, capabilities: [...capabilities], taint: new Set<string>(), priority: 0, callSeq: 0, durable: false };
      if (this.callers.size > 10_000) this.callers.clear();
      this.callers.set(key, c);
    }
    return c;
  }
}
