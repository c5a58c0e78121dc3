/**
 * sched/: the inference scheduler (slot pools per backend with FIFO, round-robin, WFQ, priority with
 * aging, EDF policies; priority inheritance; preemption at token boundaries), quotas and rate limits,
 * and the subsystem factory that provides them. Sits above kernel/ and below models/ (never imports it).
 */
import "./events.js";
export { InferenceScheduler, specWeight, type SchedulerOptions } from "./scheduler.js";
export { SlotPool, type PoolOptions, type PoolStats } from "./pool.js";
export type { Lease, Usage } from "./lease.js";
export type { PreemptionToken } from "./preemption.js";
export { createPolicy, type SchedPolicy, type PolicyOptions } from "./policy.js";
export { POLICY_NAMES, type PolicyName, type SchedRequest, type Waiter } from "./waiter.js";
export { Quotas, type QuotaOptions, type QuotaSubject } from "./quota.js";
export { TokenBucket } from "./token-bucket.js";
export {
  PoolConfigSchema,
  QuotaConfigSchema,
  SchedConfigSchema,
  LimitsSchema,
  type PoolConfig,
  type PoolConfigInput,
  type QuotaConfig,
  type QuotaConfigInput,
  type SchedConfig,
  type SchedConfigInput,
  type Limits,
} from "./config.js";
export { schedSubsystem, type SchedService } from "./subsystem.js";
