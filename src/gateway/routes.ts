/**
 * The route table of the control API: method, path, what it does, the schemas of its body and query,
 * and the ControlApi call it makes. server.ts mounts it and openapi.ts describes it — one table, so
 * the document and the server agree by construction. Paths use Hono's `:param` syntax.
 */
import { z } from "zod";
import type { RouteDef, RouteInput } from "./route-def.js";
import {
  AgentInfoSchema, ApprovalSchema, AuditVerifySchema, BalanceSchema, EscalationSchema, ExplanationSchema, KernelEventSchema, LedgerBalancesSchema, MarketTaskSchema, Ok, PlanViewSchema,
  ProfileSchema, StoreHealthSchema, TokenSummarySchema, TransferSchema, TreeNodeSchema,
} from "./responses.js";
import { OS_ROUTES } from "./routes-os.js";
import { AGENT_ROUTES } from "./routes-agents.js";
import {
  ApprovalsQuery, CapExplainBody, DepositBody, LedgerBalancesQuery, LedgerTransfersQuery, MarketBookQuery, PlanBody, ReputationQuery, CapGrantBody, CapRevokeBody, DecideApprovalBody, DecideEscalationBody, EventsQuery, KillBody, PsQuery, RequestBody, RestartBody,
  MigrateBody, SendBody, SpawnBody, parseInput,
} from "./schemas.js";

const param = (input: RouteInput, name: string): string => input.params[name] ?? "";

export type { RouteDef, RouteInput, GatewayApi, StreamRoute } from "./route-def.js";

const CONTROL_ROUTES: readonly RouteDef[] = [
  {
    method: "post", path: "/v1/agents", operationId: "spawn", response: z.object({ id: z.string(), name: z.string() }), tag: "agents", body: SpawnBody,
    summary: "Spawn an agent from a spec object or a spec file path; answers its id",
    run: (api, i) => api.spawn(parseInput(SpawnBody, i.body, "body")),
  },
  {
    method: "get", path: "/v1/agents", operationId: "ps", response: z.array(AgentInfoSchema), tag: "agents", query: PsQuery,
    summary: "List agents (filters: status list, name glob, kind, tenant, parent, tier, limit)",
    run: (api, i) => api.ps(parseInput(PsQuery, i.query, "query")),
  },
  {
    method: "get", path: "/v1/agents/:id", operationId: "status", response: AgentInfoSchema, tag: "agents",
    summary: "Status of one agent", run: (api, i) => api.status(param(i, "id")),
  },
  {
    method: "post", path: "/v1/agents/:id/send", operationId: "send", response: Ok, tag: "agents", body: SendBody,
    summary: "Send a message; answers once it is in the mailbox (journaled for a durable agent)",
    run: (api, i) => api.send(param(i, "id"), parseInput(SendBody, i.body, "body").payload),
  },
  {
    method: "post", path: "/v1/agents/:id/request", operationId: "request", response: z.object({ reply: z.unknown() }), tag: "agents", body: RequestBody,
    summary: "Send a request and answer with the agent's reply",
    run: async (api, i) => {
      const b = parseInput(RequestBody, i.body, "body");
      return { reply: await api.request(param(i, "id"), b.payload, b.timeoutMs) };
    },
  },
  { method: "post", path: "/v1/agents/:id/pause", operationId: "pause", response: Ok, tag: "agents", summary: "Pause an agent (its mail queues)", run: (api, i) => api.pause(param(i, "id")) },
  { method: "post", path: "/v1/agents/:id/resume", operationId: "resume", response: Ok, tag: "agents", summary: "Resume a paused agent (its queued mail drains)", run: (api, i) => api.resume(param(i, "id")) },
  {
    method: "post", path: "/v1/agents/:id/kill", operationId: "kill", response: z.object({ killed: z.boolean() }), tag: "agents", body: KillBody,
    summary: "Kill an agent (its supervisor does not restart it)",
    run: (api, i) => api.kill(param(i, "id"), parseInput(KillBody, i.body ?? {}, "body").reason),
  },
  {
    method: "post", path: "/v1/agents/:id/restart", operationId: "restart", response: z.object({ id: z.string() }), tag: "agents", body: RestartBody,
    summary: "Restart an agent under the same id: stopped, then started from its spec (a durable agent keeps its journaled state; counted in its supervisor's restart intensity)",
    run: (api, i) => api.restart(param(i, "id"), parseInput(RestartBody, i.body ?? {}, "body").reason),
  },
  {
    method: "post", path: "/v1/agents/:id/migrate", operationId: "migrate", response: z.object({ tree: z.string(), epoch: z.number().int() }), tag: "agents", body: MigrateBody,
    summary: "Move the agent's tree to another live node of the cluster, with its state and mailbox (a cluster node only: E_CONFIG otherwise); answers the tree and the epoch it left",
    run: (api, i) => api.migrate(param(i, "id"), parseInput(MigrateBody, i.body, "body").node),
  },
  { method: "get", path: "/v1/tree", operationId: "tree", response: z.array(TreeNodeSchema), tag: "agents", summary: "The supervision tree", run: (api) => api.tree() },
  {
    method: "get", path: "/v1/events", operationId: "events", response: z.array(KernelEventSchema), tag: "events", query: EventsQuery,
    summary: "Recent kernel events (JSON); with follow=1 a text/event-stream of recent then live events",
    run: (api, i) => {
      const q = parseInput(EventsQuery, i.query, "query");
      return api.events({ ...(q.agent ? { agent: q.agent as never } : {}), ...(q.types ? { types: q.types } : {}), ...(q.minSeverity ? { minSeverity: q.minSeverity } : {}), ...(q.limit ? { limit: q.limit } : {}) });
    },
  },
  {
    method: "get", path: "/v1/approvals", operationId: "approvals", response: z.array(ApprovalSchema), tag: "approvals", query: ApprovalsQuery,
    summary: "Approval requests parked by policy (filter by status)",
    run: (api, i) => api.approvals(parseInput(ApprovalsQuery, i.query, "query").status),
  },
  {
    method: "post", path: "/v1/approvals/:id/approve", operationId: "approve", response: ApprovalSchema, tag: "approvals", body: DecideApprovalBody,
    summary: "Approve a pending request (the waiting syscall proceeds)",
    run: (api, i) => {
      const b = parseInput(DecideApprovalBody, i.body ?? {}, "body");
      return api.decideApproval(param(i, "id"), "approve", b.by, b.note);
    },
  },
  {
    method: "post", path: "/v1/approvals/:id/deny", operationId: "deny", response: ApprovalSchema, tag: "approvals", body: DecideApprovalBody,
    summary: "Deny a pending request (the waiting syscall fails with E_APPROVAL_DENIED)",
    run: (api, i) => {
      const b = parseInput(DecideApprovalBody, i.body ?? {}, "body");
      return api.decideApproval(param(i, "id"), "deny", b.by, b.note);
    },
  },
  { method: "get", path: "/v1/escalations", operationId: "escalations", response: z.array(EscalationSchema), tag: "escalations", summary: "Supervisor escalations waiting for a person", run: (api) => api.escalations() },
  {
    method: "post", path: "/v1/escalations/:id/decide", operationId: "decideEscalation", response: z.object({ restarted: z.string().optional() }), tag: "escalations", body: DecideEscalationBody,
    summary: "Restart the escalated tree afresh, or abandon it",
    run: (api, i) => api.decideEscalation(param(i, "id"), parseInput(DecideEscalationBody, i.body, "body").decision),
  },
  { method: "get", path: "/v1/caps/:agent", operationId: "capsList", response: z.array(TokenSummarySchema), tag: "caps", summary: "Capability tokens an agent holds (ids and capabilities, never token bytes)", run: (api, i) => api.caps(param(i, "agent")) },
  {
    method: "post", path: "/v1/caps/grant", operationId: "capGrant", response: TokenSummarySchema, tag: "caps", body: CapGrantBody,
    summary: "Grant a capability to an agent (a root token minted with the operator's authority)",
    run: (api, i) => {
      const b = parseInput(CapGrantBody, i.body, "body");
      return api.grant(b.agent, b.capability, b.ttlMs);
    },
  },
  {
    method: "post", path: "/v1/caps/revoke", operationId: "capRevoke", response: z.object({ revoked: z.number().int().min(0) }), tag: "caps", body: CapRevokeBody,
    summary: "Revoke a token and everything delegated from it",
    run: (api, i) => api.revoke(parseInput(CapRevokeBody, i.body, "body").token),
  },
  {
    method: "post", path: "/v1/caps/explain", operationId: "capExplain", response: ExplanationSchema, tag: "caps", body: CapExplainBody,
    summary: "Why an action would be allowed or denied, naming the token or policy rule",
    run: (api, i) => {
      const b = parseInput(CapExplainBody, i.body, "body");
      return api.explain(b.agent, b.action, b.syscall);
    },
  },
  { method: "post", path: "/v1/audit/verify", operationId: "auditVerify", response: AuditVerifySchema, tag: "audit", summary: "Verify the audit log's hash chain, Merkle heads and signed checkpoints", run: (api) => api.auditVerify() },
  {
    method: "post", path: "/v1/plans", operationId: "planCreate", response: PlanViewSchema, tag: "planner", body: PlanBody,
    summary: "Plan a goal into a validated task graph and run it through the market; answers its end (or at once with wait: false)",
    run: (api, i) => api.plan(parseInput(PlanBody, i.body, "body")),
  },
  { method: "get", path: "/v1/plans/:id", operationId: "planStatus", response: PlanViewSchema, tag: "planner", summary: "A plan's version, status, task states and answer", run: (api, i) => api.planStatus(param(i, "id")) },
  {
    method: "get", path: "/v1/market/book", operationId: "marketBook", response: z.array(MarketTaskSchema), tag: "market", query: MarketBookQuery,
    summary: "Tasks on the market with their bids, awards and payments (filter by status)",
    run: (api, i) => api.marketBook(parseInput(MarketBookQuery, i.query, "query").status),
  },
  {
    method: "get", path: "/v1/ledger/balances", operationId: "ledgerBalances", response: LedgerBalancesSchema, tag: "ledger", query: LedgerBalancesQuery,
    summary: "Every account's posted and pending balances (micro-credits) and the double-entry totals",
    run: (api, i) => api.ledgerBalances(parseInput(LedgerBalancesQuery, i.query, "query").ledger),
  },
  {
    method: "get", path: "/v1/ledger/transfers", operationId: "ledgerTransfers", response: z.array(TransferSchema), tag: "ledger", query: LedgerTransfersQuery,
    summary: "Transfers in commit order (optionally touching one account), paged by sequence number",
    run: (api, i) => api.ledgerTransfers(parseInput(LedgerTransfersQuery, i.query, "query")),
  },
  {
    method: "post", path: "/v1/ledger/deposit", operationId: "ledgerDeposit", response: BalanceSchema, tag: "ledger", body: DepositBody,
    summary: "Issue credits from the ledger's mint to an account (idempotent by id)",
    run: (api, i) => api.ledgerDeposit(parseInput(DepositBody, i.body, "body")),
  },
  {
    method: "get", path: "/v1/reputation", operationId: "reputation", response: z.array(ProfileSchema), tag: "market", query: ReputationQuery,
    summary: "Reputation profiles: six Beta dimensions and seed-anchored trust per agent",
    run: (api, i) => api.reputation(parseInput(ReputationQuery, i.query, "query").agent),
  },
  { method: "get", path: "/v1/store", operationId: "store", response: StoreHealthSchema, tag: "store", summary: "What opening the journal found: records verified, damage repaired, the last accepted loss", run: (api) => api.store() },
];

export const ROUTES: readonly RouteDef[] = [...CONTROL_ROUTES, ...AGENT_ROUTES, ...OS_ROUTES];
