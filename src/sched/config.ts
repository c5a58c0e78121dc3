/**
 * Configuration schemas for pools and quotas, parsed with zod at the boundary (boot options or the
 * config file). A bad value is E_CONFIG naming the field path, e.g. `pools.local.capacity`.
 */
import { z } from "zod";
import { AiosError } from "../core/index.js";
import { POLICY_NAMES, type PolicyName } from "./waiter.js";

export const PoolConfigSchema = z.strictObject({
  capacity: z.number().int().min(1).max(1_000_000),
  policy: z.enum(POLICY_NAMES as [PolicyName, ...PolicyName[]]).default("fifo"),
  agingMs: z.number().positive().optional(),
  maxQueue: z.number().int().min(0).optional(),
  defaultTokens: z.number().int().min(0).optional(),
  /** Slots one agent may hold at once (fair share; default: the whole capacity). */
  maxPerAgent: z.number().int().min(1).optional(),
});
export type PoolConfig = z.output<typeof PoolConfigSchema>;
export type PoolConfigInput = z.input<typeof PoolConfigSchema>;

export const LimitsSchema = z.strictObject({
  /** Token budget over the agent's (or tenant's) lifetime. */
  tokens: z.number().int().positive().optional(),
  /** Requests per minute. */
  rpm: z.number().positive().optional(),
  /** Tokens per minute. */
  tpm: z.number().positive().optional(),
});
export type Limits = z.output<typeof LimitsSchema>;

export const QuotaConfigSchema = z.strictObject({
  /** Defaults for every agent; `agents` overrides by agent id or name. */
  agent: LimitsSchema.default({}),
  tenant: LimitsSchema.default({}),
  agents: z.record(z.string(), LimitsSchema).default({}),
  tenants: z.record(z.string(), LimitsSchema).default({}),
  /** Syscalls that count against the limits on the kernel path. */
  syscalls: z.array(z.string().min(1)).default(["LlmInvoke"]),
});
export type QuotaConfig = z.output<typeof QuotaConfigSchema>;
export type QuotaConfigInput = z.input<typeof QuotaConfigSchema>;

export const SchedConfigSchema = z.strictObject({
  pools: z.record(z.string().min(1), PoolConfigSchema).default({}),
  /** Used for pools first named at run time (e.g. a tool pool); absent: such pools are an error. */
  defaultPool: PoolConfigSchema.optional(),
  tenantWeights: z.record(z.string(), z.number().positive()).default({}),
  quotas: QuotaConfigSchema.optional(),
});
export type SchedConfig = z.output<typeof SchedConfigSchema>;
export type SchedConfigInput = z.input<typeof SchedConfigSchema>;

export function parseConfig<T>(schema: z.ZodType<T>, raw: unknown, where: string): T {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = [where, ...(issue?.path.map(String) ?? [])].filter((p) => p !== "").join(".");
  throw new AiosError("E_CONFIG", `${path}: ${issue?.message ?? "invalid"}`, { details: { path, issues: r.error.issues.length } });
}
