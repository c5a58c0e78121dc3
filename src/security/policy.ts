/**
 * RulePolicyEngine implements the kernel's PolicyEngine over compiled rules (policy-rules.ts).
 * Combining, documented because it decides security outcomes:
 * - first-match: rules are tried in file order; the first matching rule decides.
 * - deny-overrides: every matching rule is considered; any deny wins, else any approve (the shortest
 *   timeout among them), else allow.
 * With no matching rule the document's `default` applies (allow unless stated). Approvals go to the
 * ApprovalQueue; the syscall waits until a person decides or the timeout denies it. The taint guard
 * (taint-guard.ts) is combined with the rules' decision as deny-overrides, whatever `combine` says.
 */
import type { Caller, CapabilityRequest, SyscallName } from "../abi/index.js";
import type { CompiledPolicy, PolicyDecision, PolicyEngine } from "../abi/index.js";
import type { ApprovalQueue } from "./approvals.js";
import { compilePolicy, type CompiledRule, type PolicyDoc, type PolicySubject } from "./policy-rules.js";
import { TaintGuard } from "./taint-guard.js";

export type PolicyCaller = Pick<Caller, "agent" | "name" | "tenant" | "taint">;

export class RulePolicyEngine implements PolicyEngine {
  private combine: PolicyDoc["combine"] = "first-match";
  private fallback: PolicyDoc["default"] = "allow";
  private rules: CompiledRule[] = [];
  private doc: PolicyDoc = { combine: "first-match", default: "allow", rules: [] };
  private gen = 0;

  constructor(
    policy: unknown,
    private readonly approvals?: ApprovalQueue,
    /** The default policy for tainted agents (taint-guard.ts); "off" only when the operator says so. */
    readonly guard: TaintGuard = new TaintGuard(),
  ) {
    this.load(policy);
  }

  /** Replaces the rule set atomically (a bad document leaves the old one in force). */
  load(policy: unknown): void {
    const c = compilePolicy(policy);
    this.combine = c.combine;
    this.fallback = c.default;
    this.rules = c.rules;
    this.doc = c.doc;
    this.gen++;
  }

  /** The rule document in force, as parsed (defaults filled in): what `GET /v1/policy` shows. */
  get document(): PolicyDoc {
    return this.doc;
  }

  get generation(): number {
    return this.gen;
  }

  /**
   * evaluate() specialised to one syscall: only the rules that can match it are kept, in order, so
   * with none the decision is the document's default whatever the call. Undefined when one of them
   * reads the arguments (a message's payload, a tool's name) or asks for an approval: then every
   * call is evaluated in full.
   */
  compile(syscall: SyscallName): CompiledPolicy | undefined {
    // The guard reads the caller's live taint: a syscall it judges gets the full evaluation.
    if (this.guard.judges(syscall)) return undefined;
    const rules = this.rules.filter((r) => r.canMatch(syscall));
    // An approval waits for a person: only the full door can do that.
    if (rules.some((r) => r.readsArgs || r.effect === "approve")) return undefined;
    if (rules.length === 0) return { constant: this.none() };
    const sub = new RulePolicyEngine({ combine: this.combine, default: this.fallback, rules: [] });
    sub.rules = rules;
    return { evaluate: (caller, reqs) => sub.evaluate(caller, syscall, undefined, reqs) };
  }

  get ruleIds(): string[] {
    return this.rules.map((r) => r.id);
  }

  evaluate(caller: PolicyCaller, syscall: string, args: unknown, reqs: readonly CapabilityRequest[]): PolicyDecision {
    const d = this.evaluateRules(caller, syscall, args, reqs);
    if (d.effect === "deny") return d;
    // Deny-overrides with the taint guard: its deny wins, an approval by the rules is kept.
    const g = this.guard.decide(caller.taint, syscall, reqs);
    if (g === undefined || (g.effect === "approve" && d.effect === "approve")) return d;
    return g;
  }

  private evaluateRules(caller: PolicyCaller, syscall: string, args: unknown, reqs: readonly CapabilityRequest[]): PolicyDecision {
    if (this.rules.length === 0) return this.none();
    const s: PolicySubject = { agent: caller.agent, name: caller.name, tenant: caller.tenant, syscall, args, resources: reqs, taint: caller.taint };
    if (this.combine === "first-match") {
      const r = this.rules.find((x) => x.matches(s));
      return r === undefined ? this.none() : toDecision(r);
    }
    const hits = this.rules.filter((x) => x.matches(s));
    const deny = hits.find((r) => r.effect === "deny");
    if (deny !== undefined) return toDecision(deny);
    const approvals = hits.filter((r) => r.effect === "approve");
    if (approvals.length > 0) {
      const strictest = approvals.reduce((a, b) => ((b.timeoutMs ?? Infinity) < (a.timeoutMs ?? Infinity) ? b : a));
      return toDecision(strictest);
    }
    const allow = hits[0];
    return allow === undefined ? this.none() : toDecision(allow);
  }

  async requestApproval(caller: Caller, syscall: SyscallName, args: unknown, d: PolicyDecision & { effect: "approve" }): Promise<boolean> {
    if (this.approvals === undefined) return false; // no one to ask: an approval rule denies
    return this.approvals.request(
      { agent: caller.agent, agentName: caller.name, tenant: caller.tenant, syscall, args, rule: d.rule, reason: d.reason },
      d.timeoutMs ?? this.approvals.defaultTimeoutMs,
    );
  }

  private none(): PolicyDecision {
    return this.fallback === "allow" ? { effect: "allow" } : { effect: "deny", rule: "default", reason: "no policy rule allows this call (default: deny)" };
  }
}

function toDecision(r: CompiledRule): PolicyDecision {
  if (r.effect === "allow") return { effect: "allow", rule: r.id };
  if (r.effect === "deny") return { effect: "deny", rule: r.id, reason: r.reason };
  return { effect: "approve", rule: r.id, reason: r.reason, ...(r.timeoutMs === undefined ? {} : { timeoutMs: r.timeoutMs }) };
}
