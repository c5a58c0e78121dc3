/**
 * ControlPlane: the control API implemented in-process over an Aios. The HTTP routes are thin
 * wrappers around it, and the CLI uses it directly when it boots a kernel of its own. Operator
 * actions act with the operator's authority: a grant is a root token minted by the kernel's
 * authority (not a delegation), a revoke needs no holder. Token bytes never leave this object; only
 * their ids and capabilities do.
 */
import { join } from "node:path";
import { AiosError, type AgentId, type AnyKernelEvent } from "../core/index.js";
import { loadSpecFile, parseSpec, type AgentSpec } from "../abi/index.js";
import { type AgentInfo, type Escalation, type StoreHealth, type TreeNode } from "../kernel/index.js";
import { auditVerifyCommand } from "../audit/index.js";
import type { ApprovalRequest, ApprovalStatus, Explanation } from "../security/index.js";
import type { Aios } from "../sdk/index.js";
import type { BalanceJson, MarketTaskJson, PlanStatusView, Profile, TransferJson } from "../planner/index.js";
import type { AuditVerifyReport, ControlApi, EventsFilter, LedgerBalances, MetricsText, PlanView, TokenSummary } from "./api.js";
import { EventHistory } from "./event-history.js";
import { summarizeToken } from "./token-summary.js";
import type { OsApi } from "./os-api.js";
import { MemoryPlane, SecretsPlane, ToolsPlane } from "./os-plane.js";
import { AgentOpsPlane, RunsPlane } from "./agents-plane.js";
import { SecurityPlane } from "./security-plane.js";
import type { DepositInput, LedgerTransfersInput, PlanInput, PsInput, SpawnInput } from "./schemas.js";

export const DEFAULT_GRANT_TTL_MS = 7 * 24 * 3_600_000;

export { summarizeToken } from "./token-summary.js";

/** `resource#action` split at the last `#` (resources may contain `#` only before it). */
export function splitAction(action: string): { resource: string; action: string } {
  const i = action.lastIndexOf("#");
  if (i <= 0 || i === action.length - 1) throw new AiosError("E_INVALID_ARG", `action: expected resource#action, got "${action}"`, { details: { path: "action" } });
  return { resource: action.slice(0, i), action: action.slice(i + 1) };
}

export class ControlPlane implements ControlApi, OsApi {
  readonly history: EventHistory;
  readonly memory: MemoryPlane;
  readonly tools: ToolsPlane;
  readonly secrets: SecretsPlane;
  readonly agentOps: AgentOpsPlane;
  readonly runs: RunsPlane;
  readonly security: SecurityPlane;

  constructor(readonly os: Aios) {
    this.history = new EventHistory(os.kernel.events);
    this.memory = new MemoryPlane(os);
    this.tools = new ToolsPlane(os);
    this.secrets = new SecretsPlane(os);
    this.agentOps = new AgentOpsPlane(os);
    this.runs = new RunsPlane(os);
    this.security = new SecurityPlane(os);
    // The journal's report was emitted during boot, before anyone listened (the bus drops events
    // nobody wants); emit it again now so the event history and `logs` hold it.
    const h = os.storeHealth;
    if (h !== undefined) os.kernel.events.emit("store.recovered", h, undefined, h.acceptedNow ? "critical" : h.findings.length > 0 ? "error" : h.lost !== undefined ? "warn" : "info");
  }

  async spawn(input: SpawnInput): Promise<{ id: AgentId; name: string }> {
    let spec: AgentSpec = input.specPath !== undefined ? await loadSpecFile(input.specPath) : parseSpec(input.spec, "body.spec");
    if (input.goal !== undefined) spec = parseSpec({ ...spec, goal: input.goal }, "body.spec");
    const id = await this.os.spawn(spec);
    return { id, name: spec.name };
  }

  async ps(filter: PsInput = {}): Promise<AgentInfo[]> {
    return this.os.ps(compact(filter));
  }
  async status(id: string): Promise<AgentInfo> {
    return this.os.status(id);
  }
  async send(id: string, payload: unknown): Promise<void> {
    await this.os.send(id, payload);
  }
  request(id: string, payload: unknown, timeoutMs = 30_000): Promise<unknown> {
    return this.os.request(id, payload, { timeoutMs });
  }
  pause(id: string): Promise<void> {
    return this.os.pause(id);
  }
  resume(id: string): Promise<void> {
    return this.os.resume(id);
  }
  async kill(id: string, reason = "killed by the operator"): Promise<{ killed: boolean }> {
    return { killed: await this.os.kill(id, reason) };
  }
  async restart(id: string, reason = "restarted by the operator"): Promise<{ id: AgentId }> {
    return { id: await this.os.restart(id, reason) };
  }
  async migrate(id: string, node: string): Promise<{ tree: string; epoch: number }> {
    // A request this daemon cannot serve as it is (409), not a fault of its configuration (500).
    if (this.os.subsystems.cluster === undefined) {
      throw new AiosError("E_CONFLICT", "this daemon is not a cluster node (aios up --cluster): there is no node to move an agent to", { retryable: false, details: { path: "node" } });
    }
    const r = await this.os.migrate(id, node);
    return { tree: r.tree, epoch: r.epoch };
  }
  async tree(): Promise<TreeNode[]> {
    return this.os.tree();
  }
  async events(filter: EventsFilter = {}): Promise<AnyKernelEvent[]> {
    return this.history.recent(filter);
  }
  follow(filter: EventsFilter, onEvent: (e: AnyKernelEvent) => void, signal: AbortSignal): Promise<void> {
    return this.history.follow(filter, onEvent, signal);
  }

  async approvals(status?: ApprovalStatus): Promise<ApprovalRequest[]> {
    return this.os.caps.approvals.list(status === undefined ? {} : { status });
  }
  async decideApproval(id: string, decision: "approve" | "deny", by = "operator", note?: string): Promise<ApprovalRequest> {
    const q = this.os.caps.approvals;
    return decision === "approve" ? q.approve(id, by, note) : q.deny(id, by, note);
  }
  async escalations(): Promise<Escalation[]> {
    return this.os.escalations();
  }
  async decideEscalation(id: string, decision: "restart" | "abandon"): Promise<{ restarted?: AgentId }> {
    const r = await this.os.decide(id, decision);
    return r === undefined ? {} : { restarted: r };
  }

  async caps(agent: string): Promise<TokenSummary[]> {
    return this.os.caps.checker.tokens(this.os.kernel.get(agent)).map(summarizeToken);
  }
  async grant(agent: string, capability: string, ttlMs?: number): Promise<TokenSummary> {
    const sec = this.os.caps;
    const holder = this.os.kernel.get(agent);
    // Ed25519 root tokens may live at most 30 days (longer ones must be hybrid-signed): default a week.
    const token = sec.authority.mint({ holder: holder.id, caps: [capability], exp: sec.clock.now() + (ttlMs ?? DEFAULT_GRANT_TTL_MS) });
    const v = sec.checker.adopt(holder, token);
    this.os.kernel.invalidateCapabilities();
    return summarizeToken(v);
  }
  async revoke(token: string): Promise<{ revoked: number }> {
    const revoked = this.os.caps.checker.revoke("operator", token);
    this.os.kernel.invalidateCapabilities();
    return { revoked };
  }
  async explain(agent: string, action: string, syscall = "ToolCall"): Promise<Explanation> {
    return this.os.caps.explain(this.os.kernel.get(agent), splitAction(action), syscall);
  }

  async auditVerify(): Promise<AuditVerifyReport> {
    if (this.os.dataDir === undefined) throw new AiosError("E_CONFIG", "audit verify needs a kernel booted with a data directory");
    // Commit and sign what is buffered, so the verification covers everything up to now.
    this.os.audit.checkpoint();
    const r = verifyAuditDir(this.os.dataDir);
    // exitCode 2 is "could not verify", not evidence of tampering: only 1 counts as a failure.
    this.os.subsystems.observe?.metrics.auditVerifications.inc({ result: r.exitCode === 1 ? "failed" : r.ok ? "ok" : "error" });
    return r;
  }

  async metrics(): Promise<MetricsText> {
    const m = this.os.subsystems.observe?.metrics;
    if (m === undefined) throw new AiosError("E_CONFIG", "metrics need the observe subsystem (boot with a data directory)");
    return { contentType: m.contentType, text: await m.text() };
  }

  async store(): Promise<StoreHealth> {
    const h = this.os.storeHealth;
    if (h === undefined) throw new AiosError("E_CONFIG", "no durable store: the kernel was booted without a data directory");
    return h;
  }

  async plan(input: PlanInput): Promise<PlanView> {
    return this.os.plan(input.goal, compact({ payer: input.payer, budget: input.budget, wait: input.wait }));
  }
  planStatus(id: string): Promise<PlanStatusView> {
    return this.os.planner.status(id);
  }
  marketBook(status?: string): Promise<MarketTaskJson[]> {
    return this.os.market.book(status);
  }
  async ledgerBalances(ledger?: string): Promise<LedgerBalances> {
    return { accounts: await this.os.ledger.balances(ledger), totals: await this.os.ledger.totals(ledger) };
  }
  ledgerTransfers(q: LedgerTransfersInput = {}): Promise<TransferJson[]> {
    return this.os.ledger.transfers(compact(q));
  }
  ledgerDeposit(input: DepositInput): Promise<BalanceJson> {
    return this.os.ledger.deposit(input.account, input.amount, compact({ ledger: input.ledger, id: input.id }));
  }
  reputation(agent?: string): Promise<Profile[]> {
    return this.os.reputation(agent);
  }

  close(): void {
    this.history.close();
  }
}

/** Drops undefined properties (optional fields under exactOptionalPropertyTypes). */
export function compact<T extends object>(o: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/**
 * `aios audit verify` on a data directory (no kernel needed: it reads the files). `pubkey` and
 * `head` are texts the operator keeps outside the data dir (PEM keys, a signed head): with either,
 * nothing in the data dir is trusted as a root.
 */
export function verifyAuditDir(dataDir: string, pins: { pubkey?: string; head?: string } = {}): AuditVerifyReport {
  const r = auditVerifyCommand(join(dataDir, "audit"), { ...(pins.pubkey === undefined ? {} : { publicKey: pins.pubkey }), ...(pins.head === undefined ? {} : { head: pins.head }) });
  return { ok: r.ok, exitCode: r.exitCode, report: r.report, ...(r.result === undefined ? {} : { entries: r.result.entries }) };
}
