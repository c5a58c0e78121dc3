/**
 * The control API as one TypeScript interface. Two implementations: ControlPlane (in-process, over
 * an Aios — what the HTTP routes call and what `aios run` uses when no daemon is up) and the
 * CLI's HTTP client (the same calls over the wire). Everything crossing it is plain JSON data.
 */
import type { AgentId, AnyKernelEvent, EventFilter } from "../core/index.js";
import type { AgentInfo, Escalation, StoreHealth, TreeNode } from "../kernel/index.js";
import type { ApprovalRequest, ApprovalStatus, Explanation } from "../security/index.js";
import type { BalanceJson, LedgerTotals, MarketTaskJson, PlanStatusView, Profile, TransferJson } from "../planner/index.js";
import type { DepositInput, LedgerTransfersInput, PlanInput, PsInput, SpawnInput } from "./schemas.js";

export interface TokenSummary {
  readonly id: string;
  readonly chain: readonly string[];
  readonly holder: string;
  readonly scheme: string;
  /** The capabilities the token's last block grants (the effective set is the intersection along the chain). */
  readonly capabilities: readonly string[];
  readonly nbf: number;
  readonly exp: number;
}

export interface AuditVerifyReport {
  readonly ok: boolean;
  /** 0 intact, 1 tampering found, 2 could not verify. */
  readonly exitCode: 0 | 1 | 2;
  readonly report: string;
  readonly entries?: number;
}

export interface EventsFilter extends EventFilter {
  readonly limit?: number;
}

export interface ControlApi {
  spawn(input: SpawnInput): Promise<{ id: AgentId; name: string }>;
  ps(filter?: PsInput): Promise<AgentInfo[]>;
  status(id: string): Promise<AgentInfo>;
  send(id: string, payload: unknown): Promise<void>;
  request(id: string, payload: unknown, timeoutMs?: number): Promise<unknown>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  kill(id: string, reason?: string): Promise<{ killed: boolean }>;
  /** Stops the agent and starts it again from its spec under the same id (a durable one keeps its journaled state). */
  restart(id: string, reason?: string): Promise<{ id: AgentId }>;
  /** Moves the agent's tree to another live node of the cluster (docs/adr/0035); a cluster node only. */
  migrate(id: string, node: string): Promise<{ tree: string; epoch: number }>;
  tree(): Promise<TreeNode[]>;
  /** Recent events (the daemon keeps a bounded history of lifecycle-level events). */
  events(filter?: EventsFilter): Promise<AnyKernelEvent[]>;
  /** Recent then live events until `signal` aborts (or the connection ends). */
  follow(filter: EventsFilter, onEvent: (e: AnyKernelEvent) => void, signal: AbortSignal): Promise<void>;
  approvals(status?: ApprovalStatus): Promise<ApprovalRequest[]>;
  decideApproval(id: string, decision: "approve" | "deny", by?: string, note?: string): Promise<ApprovalRequest>;
  escalations(): Promise<Escalation[]>;
  decideEscalation(id: string, decision: "restart" | "abandon"): Promise<{ restarted?: AgentId }>;
  caps(agent: string): Promise<TokenSummary[]>;
  grant(agent: string, capability: string, ttlMs?: number): Promise<TokenSummary>;
  revoke(token: string): Promise<{ revoked: number }>;
  explain(agent: string, action: string, syscall?: string): Promise<Explanation>;
  auditVerify(): Promise<AuditVerifyReport>;
  /** What opening the journal found: records, damage repaired, an accepted loss (ADR 0012). */
  store(): Promise<StoreHealth>;
  /** Plans a goal and runs it through the market (waits for the end unless `wait: false`). */
  plan(input: PlanInput): Promise<PlanView>;
  planStatus(id: string): Promise<PlanStatusView>;
  /** Tasks on the market with their bids, optionally of one status. */
  marketBook(status?: string): Promise<MarketTaskJson[]>;
  /** Every account's balances and the double-entry totals. */
  ledgerBalances(ledger?: string): Promise<LedgerBalances>;
  ledgerTransfers(q?: LedgerTransfersInput): Promise<TransferJson[]>;
  /** Issues credits from the ledger's mint to an account (the operator funding a wallet). */
  ledgerDeposit(input: DepositInput): Promise<BalanceJson>;
  reputation(agent?: string): Promise<Profile[]>;
  /** This instance's metrics in the Prometheus text format (E_CONFIG when observe/ is not installed). */
  metrics(): Promise<MetricsText>;
}

export interface MetricsText {
  readonly contentType: string;
  readonly text: string;
}

/** A plan as the API answers it: running (created with wait: false) or its status at the end. */
export type PlanView = Omit<PlanStatusView, "tasks"> & { readonly tasks?: PlanStatusView["tasks"] };

export interface LedgerBalances {
  readonly accounts: readonly BalanceJson[];
  readonly totals: LedgerTotals;
}
