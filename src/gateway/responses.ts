/**
 * The answers of the control API as zod schemas: one per route (RouteDef.response), emitted as the
 * 200 response of each operation in /openapi.json and checked against the server's real answers in
 * tests/gateway/responses.test.ts, so the document describes what the server sends: every field
 * the server sends is listed (the test fails on one the schema would strip), what is not optional
 * is always there. Absent optionals are left out of the JSON (never null) unless a field is nullable.
 */
import { z } from "zod";

export const Ok = z.object({ ok: z.literal(true) }).describe("The operation was done");

const Status = z.enum(["pending", "running", "paused", "completed", "failed", "killed"]);
const Severity = z.enum(["debug", "info", "warn", "error", "critical"]);

export const SerializedErrorSchema = z.object({
  code: z.string().regex(/^E_[A-Z_]+$/),
  message: z.string(),
  retryable: z.boolean(),
  details: z.record(z.string(), z.unknown()).optional(),
  cause: z.string().optional(),
});
export const ErrorResponse = z.object({ error: SerializedErrorSchema });

export const AgentInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  status: Status,
  version: z.string(),
  tier: z.string(),
  tenant: z.string(),
  parent: z.string().optional(),
  children: z.array(z.string()),
  mailbox: z.number().int().min(0),
  waiting: z.number().int().min(0),
  incarnation: z.number().int().min(0),
  durable: z.boolean(),
  ephemeral: z.boolean(),
  createdAt: z.number(),
  exitReason: z.string().optional(),
});

export interface TreeNodeJson {
  id: string;
  name: string;
  kind: string;
  status: z.infer<typeof Status>;
  strategy?: string | undefined;
  children: TreeNodeJson[];
}
export const TreeNodeSchema: z.ZodType<TreeNodeJson> = z.lazy(() =>
  z.object({ id: z.string(), name: z.string(), kind: z.string(), status: Status, strategy: z.string().optional(), children: z.array(TreeNodeSchema) }),
).meta({ id: "TreeNode" });

export const KernelEventSchema = z.object({
  seq: z.number().int().positive(),
  ts: z.number(),
  type: z.string(),
  severity: Severity,
  agent: z.string().optional(),
  data: z.unknown(),
});

export const ApprovalSchema = z.object({
  id: z.string(),
  agent: z.string(),
  agentName: z.string(),
  tenant: z.string(),
  syscall: z.string(),
  args: z.unknown().describe("The call's arguments, secret values redacted"),
  rule: z.string(),
  reason: z.string(),
  createdAt: z.number(),
  deadline: z.number(),
  status: z.enum(["pending", "approved", "denied", "expired"]),
  decidedBy: z.string().optional(),
  note: z.string().optional(),
});

export const EscalationSchema = z.object({
  id: z.string(),
  supervisor: z.string(),
  name: z.string(),
  reason: z.string(),
  at: z.number(),
  status: z.enum(["open", "restarted", "abandoned"]),
});

export const TokenSummarySchema = z.object({
  id: z.string(),
  chain: z.array(z.string()),
  holder: z.string(),
  scheme: z.string(),
  capabilities: z.array(z.string()),
  nbf: z.number().nullable().describe("Valid from (ms since epoch); null: from the start"),
  exp: z.number(),
});

const PolicyDecisionSchema = z.object({ effect: z.enum(["allow", "deny", "approve"]), rule: z.string().optional(), reason: z.string().optional(), timeoutMs: z.number().optional() });

export const ExplanationSchema = z.object({
  allowed: z.boolean(),
  request: z.string(),
  decidedBy: z.string().describe('"token:<id> <capability>", "policy:<rule>", or "none"'),
  summary: z.string(),
  tokens: z.array(z.object({ token: z.string(), outcome: z.enum(["allows", "no-match", "expired", "not-yet-valid"]), detail: z.string() })),
  policy: PolicyDecisionSchema.optional(),
});

export const AuditVerifySchema = z.object({
  ok: z.boolean(),
  exitCode: z.union([z.literal(0), z.literal(1), z.literal(2)]).describe("0 intact, 1 tampering found, 2 could not verify"),
  report: z.string(),
  entries: z.number().int().min(0).optional(),
});

export const StoreHealthSchema = z.object({
  records: z.number().int().min(0),
  durationMs: z.number().min(0),
  findings: z.array(z.string()),
  lost: z.object({ fromSeq: z.number(), toSeq: z.number(), count: z.number(), reason: z.string(), aside: z.string().optional(), acceptedAt: z.number() }).optional(),
  acceptedNow: z.boolean(),
});

const Micro = z.string().regex(/^[0-9]+$/).describe("micro-credits as a decimal string (1 credit = 1000000)");

export const PlanViewSchema = z.object({
  planId: z.string(),
  version: z.number().int(),
  status: z.enum(["running", "answered", "failed"]),
  tasks: z.record(z.string(), z.enum(["waiting", "running", "done", "failed"])).optional(),
  answer: z.unknown().optional(),
  error: SerializedErrorSchema.optional(),
});

export const MarketTaskSchema = z.object({
  taskId: z.string(),
  poster: z.string(),
  status: z.string(),
  budget: Micro,
  deadline: z.number(),
  bids: z.array(z.object({ worker: z.string(), price: Micro, quality: z.number(), timeMs: z.number() })),
  award: z.object({ worker: z.string(), account: z.string(), price: Micro, reservation: z.string() }).optional(),
  paid: Micro.optional(),
});

export const BalanceSchema = z.object({
  account: z.string(),
  ledger: z.string(),
  debitsPending: Micro,
  debitsPosted: Micro,
  creditsPending: Micro,
  creditsPosted: Micro,
  available: z.string().regex(/^-?[0-9]+$/),
});

export const LedgerBalancesSchema = z.object({
  accounts: z.array(BalanceSchema),
  totals: z.object({ accounts: z.number().int(), debitsPosted: Micro, creditsPosted: Micro, debitsPending: Micro, creditsPending: Micro, balanced: z.boolean() }),
});

export const TransferSchema = z.object({
  id: z.string(),
  debitAccountId: z.string(),
  creditAccountId: z.string(),
  amount: Micro,
  pendingId: z.string().optional(),
  flags: z.array(z.string()),
  timestamp: z.number(),
  seq: z.number().int(),
});

const Beta = z.object({ mean: z.number().min(0).max(1), evidence: z.number().min(0) });
export const ProfileSchema = z.object({
  agent: z.string(),
  trust: z.number(),
  dimensions: z.object({ quality: Beta, reliability: Beta, timeliness: Beta, costAccuracy: Beta, bidHonesty: Beta, cooperation: Beta }),
});
