/**
 * The full SDK facade: the kernel's Aios plus the subsystems of the embedded default stack, as DESIGN
 * names them — os.memory, os.tools, os.caps, os.audit — and os.run for LLM agents.
 */
import { AiosError } from "../core/index.js";
import { Aios, type Kernel, type StoreHealth } from "../kernel/index.js";
import { type AgentSpecInput } from "../abi/index.js";
import type { AuditLog } from "../audit/index.js";
import type { MemoryFabric } from "../memory/index.js";
import { runLlm, type LlmAnswer } from "../models/index.js";
import { PlannerSurface, type LedgerSurface, type MarketSurface, type PlanOptions, type PlanResult, type PlanStatusView, type Profile } from "../planner/index.js";
import type { Security } from "../security/index.js";
import type { McpHub, ToolRegistry } from "../tools/index.js";
import type { Subsystems } from "./subsystems.js";

export class AiosSystem extends Aios {
  private plannerSurface: PlannerSurface | undefined;
  constructor(
    kernel: Kernel,
    dataDir: string | undefined,
    /** The installed subsystems (empty on a bare kernel). */
    readonly subsystems: Subsystems,
  ) {
    super(kernel, dataDir);
  }

  /** The memory fabric (`os.memory.store / query / get / history / link / neighbors`). */
  get memory(): MemoryFabric {
    return need(this.subsystems.memory?.fabric, "memory");
  }
  /** The tool registry (`os.tools.list()`, `register`). */
  get tools(): ToolRegistry {
    return need(this.subsystems.tools?.registry, "tools");
  }
  /** Capabilities, policy, approvals, secrets and keys. */
  get caps(): Security {
    return need(this.subsystems.security?.security, "security");
  }
  /** The MCP client: registered servers (`os.mcp.add / remove / list`). */
  get mcp(): McpHub {
    return need(this.subsystems.mcp?.hub, "mcp");
  }
  get audit(): AuditLog {
    return need(this.subsystems.audit?.log ?? undefined, "audit");
  }
  /** What opening the journal found (records, repaired damage, an accepted loss); undefined without a store. */
  get storeHealth(): StoreHealth | undefined {
    return this.subsystems.store?.health;
  }
  /** Plans, markets, ledger and reputation through the door as the operator. */
  get planner(): PlannerSurface {
    this.plannerSurface ??= new PlannerSurface(need(this.subsystems.planner?.parts, "planner"));
    return this.plannerSurface;
  }
  /** Plans `goal` into a validated task graph, runs it through the market and waits for the answer. */
  plan(goal: string, options: PlanOptions = {}): Promise<PlanResult | PlanStatusView> {
    return this.planner.plan(goal, options);
  }
  /** The market: `os.market.book()`, `task(id)`, `workers()`. */
  get market(): MarketSurface {
    return this.planner.market;
  }
  /** The ledger: `os.ledger.balances()`, `balance(account)`, `transfers()`, `deposit()`, `totals()`. */
  get ledger(): LedgerSurface {
    return this.planner.ledger;
  }
  /** Reputation profiles (six dimensions and trust) of every known agent, or one. */
  reputation(agent?: string): Promise<Profile[]> {
    return this.planner.reputation(agent);
  }
  /** Spawns an LLM agent, runs it to completion on `goal` and returns its answer. */
  run(spec: AgentSpecInput, options: { goal?: string; timeoutMs?: number } = {}): Promise<LlmAnswer> {
    return runLlm(this, spec, options);
  }
}

function need<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new AiosError("E_CONFIG", `the ${what} subsystem is not installed (boot with a dataDir, or add its plugin)`);
  return v;
}
