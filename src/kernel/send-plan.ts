/**
 * The fast path for a plain send, derived from the installed stages (DESIGN "The door": fast paths
 * are derived, never written beside it), or undefined when the full door must run. A send may skip
 * to its capability check when no stage between it and the handler could decide or record anything
 * the check does not: no quota counts the syscall, it uses no scheduler pool, no usage to settle,
 * nothing to journal, and the policy either has no rule that can match it (a constant) or none that
 * reads its arguments (a predicate over the caller and the target, evaluated per send). An approval
 * rule needs the full door (a person's answer is awaited). The plan is recomputed when a stage is
 * replaced or the policy's rules change.
 */
import type { AuditSink, CompiledPolicy, PolicyEngine, QuotaManager, ResourceScheduler, SyscallName } from "../abi/index.js";
import type { Guards } from "./guards.js";
import type { SyscallRegistry } from "./syscall-registry.js";

/** A send's fast path: the compiled policy to apply, the audit to tally in. */
export interface SendPlan {
  /** Undefined when the policy allows every such call (or there is none). */
  readonly policy: CompiledPolicy | undefined;
  readonly audit: AuditSink | undefined;
}

/** The last plan derived, with the stages it was derived from. */
interface CachedPlan {
  readonly name: SyscallName;
  readonly policy: PolicyEngine | undefined;
  readonly policyGen: number;
  readonly quota: QuotaManager | undefined;
  readonly scheduler: ResourceScheduler | undefined;
  readonly audit: AuditSink | undefined;
  readonly plan: SendPlan | undefined;
}

export class SendPlans {
  private last: CachedPlan | null = null;

  constructor(
    private readonly registry: SyscallRegistry,
    private readonly guards: Guards,
  ) {}

  /** The plan for `name` under the stages installed now (kept while they stay the same). */
  get(name: SyscallName): SendPlan | undefined {
    const g = this.guards;
    const c = this.last;
    if (c !== null && c.name === name && c.policy === g.policy && c.policyGen === (g.policy?.generation ?? 0) && c.quota === g.quota && c.scheduler === g.scheduler && c.audit === g.audit) return c.plan;
    const plan = this.derive(name);
    this.last = { name, policy: g.policy, policyGen: g.policy?.generation ?? 0, quota: g.quota, scheduler: g.scheduler, audit: g.audit, plan };
    return plan;
  }

  private derive(name: SyscallName): SendPlan | undefined {
    const def = this.registry.get(name);
    const g = this.guards;
    if (def === undefined || def.usage !== undefined || def.replay === true || def.sideEffect !== false) return undefined;
    if (def.pool !== undefined && g.scheduler !== undefined) return undefined;
    if (g.quota !== undefined && g.quota.counts?.(name) !== false) return undefined;
    if (g.policy === undefined) return { policy: undefined, audit: g.audit };
    const compiled = g.policy.compile?.(name);
    if (compiled === undefined) return undefined;
    if (compiled.constant !== undefined) {
      const d = compiled.constant;
      if (d.effect === "approve") return undefined;
      return { policy: d.effect === "allow" ? undefined : compiled, audit: g.audit };
    }
    return { policy: compiled, audit: g.audit };
  }
}
