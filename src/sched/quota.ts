/**
 * Quotas: per-agent and per-tenant token budgets (lifetime), requests-per-minute and tokens-per-minute
 * limits as token buckets on the injected clock. Implements the kernel's QuotaManager for the syscalls
 * named in the config (LlmInvoke by default).
 *
 * Accounting model: `admit` checks every limit before taking anything (a rejected call consumes
 * nothing) and takes one request from the RPM buckets; real token usage is known only afterwards and
 * is charged with `record`, which may push a TPM bucket into debt so the next calls wait. Errors:
 * E_QUOTA (budget exhausted; not retryable) and E_RATE_LIMITED with `details.retryAfterMs`.
 */
import { AiosError, type Clock, type EventBus } from "../core/index.js";
import type { Caller, QuotaManager, SyscallName } from "../abi/index.js";
import { parseConfig, QuotaConfigSchema, type Limits, type QuotaConfig, type QuotaConfigInput } from "./config.js";
import { TokenBucket } from "./token-bucket.js";
import "./events.js";

export interface QuotaSubject {
  readonly agent: string;
  readonly tenant?: string;
  /** The agent's name, for `agents` overrides by name. */
  readonly name?: string;
  /** The agent's own token budget (its spec's budget.tokens), overriding the configured one. */
  readonly budget?: number;
}

interface Account {
  readonly kind: "agent" | "tenant";
  readonly key: string;
  limits: Limits;
  used: number;
  readonly rpm: TokenBucket | undefined;
  readonly tpm: TokenBucket | undefined;
}

export interface QuotaOptions {
  readonly clock: Clock;
  readonly events?: EventBus;
  readonly config?: QuotaConfigInput;
  /** A kernel caller's own token budget (default: its spec's budget.tokens when visible). */
  readonly budgetOf?: (caller: Caller) => number | undefined;
}

export class Quotas implements QuotaManager {
  private readonly cfg: QuotaConfig;
  private readonly accounts = new Map<string, Account>();
  private readonly counted: ReadonlySet<string>;
  private readonly budgetOf: (caller: Caller) => number | undefined;

  constructor(private readonly options: QuotaOptions) {
    this.cfg = parseConfig(QuotaConfigSchema, options.config ?? {}, "quotas");
    this.counted = new Set(this.cfg.syscalls);
    // A spec's own budget is the kernel's door to enforce (kernel/budgets.ts), not a second copy here.
    this.budgetOf = options.budgetOf ?? noBudget;
  }

  /** QuotaManager: called by the dispatcher before the scheduler; counts the configured syscalls. */
  charge(caller: Caller, syscall: SyscallName, _args: unknown): void {
    if (!this.counted.has(syscall)) return;
    const budget = this.budgetOf(caller);
    this.admit({ agent: caller.agent, tenant: caller.tenant, name: caller.name, ...(budget === undefined ? {} : { budget }) });
  }

  /** QuotaManager: whether `charge` limits this syscall at all (the door skips the stage when not). */
  counts(syscall: SyscallName): boolean {
    return this.counted.has(syscall);
  }

  /** QuotaManager settle: the call's real tokens, charged to the accounts `charge` admitted it under. */
  settle(caller: Caller, syscall: SyscallName, usage: { readonly tokens: number }): void {
    if (!this.counted.has(syscall)) return;
    this.record({ agent: caller.agent, tenant: caller.tenant, name: caller.name }, usage.tokens);
  }

  /** Admits one request (throws E_QUOTA / E_RATE_LIMITED); `estimate` tokens must fit the budgets. */
  admit(who: QuotaSubject, estimate = 0): void {
    const accts = this.accountsOf(who);
    for (const a of accts) {
      const budget = a.limits.tokens;
      if (budget !== undefined && (a.used >= budget || a.used + estimate > budget)) {
        const reason = `${a.kind} ${a.key} token budget exhausted: used ${a.used} of ${budget}${estimate > 0 ? ` (request needs ${estimate})` : ""}`;
        throw this.reject("E_QUOTA", reason, { [a.kind]: a.key, used: a.used, budget });
      }
    }
    let wait = 0;
    let which = "";
    for (const a of accts) {
      const r = a.rpm?.retryAfterMs(1) ?? 0;
      // Token limits work on debt: admitted while the bucket is positive (or holds the estimate).
      const t = a.tpm === undefined ? 0 : a.tpm.available() > 0 && a.tpm.available() >= Math.min(estimate, a.tpm.capacity) ? 0 : a.tpm.retryAfterMs(Math.max(estimate, 1));
      if (r > wait) [wait, which] = [r, `${a.kind} ${a.key} requests per minute (${a.limits.rpm})`];
      if (t > wait) [wait, which] = [t, `${a.kind} ${a.key} tokens per minute (${a.limits.tpm})`];
    }
    if (wait > 0) throw this.reject("E_RATE_LIMITED", `rate limit: ${which}; retry in ${wait} ms`, { retryAfterMs: wait, agent: who.agent });
    for (const a of accts) a.rpm?.take(1);
  }

  /** Charges tokens really used (after the call) to the budgets and TPM buckets. */
  record(who: QuotaSubject, tokens: number): void {
    if (!(tokens >= 0 && Number.isFinite(tokens))) throw new AiosError("E_INVALID_ARG", "record: tokens must be a non-negative number", { details: { path: "tokens" } });
    for (const a of this.accountsOf(who)) {
      a.used += tokens;
      a.tpm?.take(tokens);
    }
  }

  /** Drops the account of an agent that is gone for good (its tenant's account stays). */
  forget(agent: string): void {
    this.accounts.delete(`agent:${agent}`);
  }

  /** Accounts held (agents' and tenants'), for the bounds tests. */
  get size(): number {
    return this.accounts.size;
  }

  /** Tokens charged so far to an agent or tenant. */
  used(kind: "agent" | "tenant", key: string): number {
    return this.accounts.get(`${kind}:${key}`)?.used ?? 0;
  }

  private accountsOf(who: QuotaSubject): [Account, Account] {
    const tenant = who.tenant ?? "default";
    const agentLimits = this.cfg.agents[who.agent] ?? (who.name === undefined ? undefined : this.cfg.agents[who.name]) ?? this.cfg.agent;
    const agent = this.account("agent", who.agent, agentLimits);
    // The agent's own budget (from its spec) wins over the configured one, whenever it is known.
    if (who.budget !== undefined && agent.limits.tokens !== who.budget) agent.limits = { ...agent.limits, tokens: who.budget };
    return [agent, this.account("tenant", tenant, this.cfg.tenants[tenant] ?? this.cfg.tenant)];
  }

  private account(kind: "agent" | "tenant", key: string, limits: Limits): Account {
    const id = `${kind}:${key}`;
    let a = this.accounts.get(id);
    if (a === undefined) {
      const clock = this.options.clock;
      a = {
        kind,
        key,
        limits,
        used: 0,
        rpm: limits.rpm === undefined ? undefined : new TokenBucket(limits.rpm, clock),
        tpm: limits.tpm === undefined ? undefined : new TokenBucket(limits.tpm, clock),
      };
      this.accounts.set(id, a);
    }
    return a;
  }

  private reject(code: "E_QUOTA" | "E_RATE_LIMITED", reason: string, details: Record<string, unknown>): AiosError {
    const bus = this.options.events;
    if (bus?.wants("sched.rejected") === true) bus.emit("sched.rejected", { pool: "quota", stage: "quota", code, reason }, undefined, "warn");
    return new AiosError(code, reason, { details });
  }
}

const noBudget = (): undefined => undefined;
