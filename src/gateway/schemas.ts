/**
 * The request shapes of the control API, as zod schemas: they validate HTTP bodies and query strings
 * (a bad one is E_INVALID_ARG naming the field, HTTP 400) and they are what /openapi.json describes,
 * so the document cannot drift from what the server accepts.
 */
import { z } from "zod";
import { AiosError } from "../core/index.js";

/** An agent id or name. */
export const Id = z.string().min(1).max(256);

export const SpawnBody = z
  .strictObject({
    /** An agent spec object (code agents name their logic with `module`, an absolute path). */
    spec: z.record(z.string(), z.unknown()).optional(),
    /** A spec file (YAML or JSON) on the daemon's machine; `module` resolves relative to it. */
    specPath: z.string().min(1).optional(),
    /** Sets the spec's goal (the task of an llm agent). */
    goal: z.string().min(1).optional(),
  })
  .refine((b) => (b.spec === undefined) !== (b.specPath === undefined), { message: "give exactly one of spec or specPath", path: ["spec"] });

export const SendBody = z.strictObject({ payload: z.json() });
export const RequestBody = z.strictObject({ payload: z.json(), timeoutMs: z.number().int().min(1).max(3_600_000).optional() });
export const KillBody = z.strictObject({ reason: z.string().min(1).max(1024).optional() });
export const RestartBody = KillBody;
/** The node to move an agent's tree to (a live node of the same cluster). */
export const MigrateBody = z.strictObject({ node: z.string().min(1).max(256) });
export const DecideApprovalBody = z.strictObject({ by: z.string().min(1).max(256).optional(), note: z.string().max(4096).optional() });
export const DecideEscalationBody = z.strictObject({ decision: z.enum(["restart", "abandon"]) });
export const CapGrantBody = z.strictObject({ agent: Id, capability: z.string().min(1).max(4096), ttlMs: z.number().int().positive().optional() });
export const CapRevokeBody = z.strictObject({ token: z.string().min(1).max(256) });
export const CapExplainBody = z.strictObject({
  agent: Id,
  /** `resource#action`, e.g. `file:/etc/passwd#read` or `tool:file.read#call`. */
  action: z.string().min(3).max(4096).regex(/^.+#[^#]+$/, "expected resource#action"),
  syscall: z.string().min(1).max(128).optional(),
});

/** A comma-separated list in a query string, as its trimmed non-empty items. */
export const csv = z.string().transform((s) => s.split(",").map((x) => x.trim()).filter((x) => x.length > 0));
const Status = z.enum(["pending", "running", "paused", "completed", "failed", "killed"]);

export const PsQuery = z.strictObject({
  status: csv.pipe(z.array(Status)).optional(),
  name: z.string().min(1).optional(),
  kind: z.string().min(1).optional(),
  tenant: z.string().min(1).optional(),
  parent: z.string().min(1).optional(),
  tier: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(100_000).optional(),
});

export const EventsQuery = z.strictObject({
  agent: z.string().min(1).optional(),
  /** Comma-separated exact types or `prefix.*` patterns. */
  types: csv.optional(),
  minSeverity: z.enum(["debug", "info", "warn", "error", "critical"]).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
  /** `1`: a Server-Sent Events stream (recent events first, then live ones). */
  follow: z.enum(["0", "1", "true", "false"]).optional(),
});

export const ApprovalsQuery = z.strictObject({ status: z.enum(["pending", "approved", "denied", "expired"]).optional() });

const Micro = z.string().regex(/^[0-9]{1,19}$/, "a decimal count of micro-credits (1 credit = 1000000)");
const Account = z.string().min(1).max(100);

export const PlanBody = z.strictObject({
  goal: z.string().min(1).max(16_384),
  /** The ledger account that pays (default: the operator's wallet). */
  payer: Account.optional(),
  /** Most micro-credits the plan may spend (default: the payer's available balance). */
  budget: Micro.optional(),
  /** false: answer once the plan is created and running (default: wait for its end). */
  wait: z.boolean().optional(),
});
export const MarketBookQuery = z.strictObject({ status: z.enum(["open", "awarded", "done", "settled", "refunded", "expired", "failed"]).optional() });
export const LedgerBalancesQuery = z.strictObject({ ledger: Account.optional() });
export const LedgerTransfersQuery = z.strictObject({
  account: Account.optional(),
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
export const DepositBody = z.strictObject({ account: Account, amount: Micro, ledger: Account.optional(), id: Account.optional() });
export const ReputationQuery = z.strictObject({ agent: z.string().min(1).max(256).optional() });

export type PlanInput = z.infer<typeof PlanBody>;
export type LedgerTransfersInput = z.infer<typeof LedgerTransfersQuery>;
export type DepositInput = z.infer<typeof DepositBody>;
export type SpawnInput = z.infer<typeof SpawnBody>;
export type PsInput = z.infer<typeof PsQuery>;
export type EventsInput = z.infer<typeof EventsQuery>;

/** Parses untrusted input; the error names the first bad field (`body.spec`, `query.limit`). */
export function parseInput<S extends z.ZodType>(schema: S, raw: unknown, where: "body" | "query" | "params" | "args"): z.output<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = [where, ...(issue?.path.map(String) ?? [])].join(".");
  throw new AiosError("E_INVALID_ARG", `${field}: ${issue?.message ?? "invalid"}`, { details: { path: field } });
}
