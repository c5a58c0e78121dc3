/**
 * Spawn is one rule (DESIGN "The door"). Every process is created by the process table's create(),
 * and create() checks the new node against its creator with capability/'s attenuation rule; a route
 * that creates a whole tree (AgentSpawn of a supervisor, agent.spawn) checks the whole tree up front
 * too, so a refused child leaves nothing half-created.
 *
 * The creator of a process is derived, not chosen: the first ancestor that is not a supervisor (a
 * supervisor acts for whoever created it), or the operator when there is none. The operator is not
 * limited. An agent's authority is what the installed checker says it holds NOW (live tokens: a revoked
 * or expired one counts for nothing), or its spec's capabilities under the spec checker, and its
 * remaining budget. Once created, the child's authority is derived from the creator's (`derive`).
 */
import { checkSpecTree, type Budget, type Capability, type Creator, type SpecNode } from "../capability/index.js";
import type { CapabilityChecker } from "../abi/index.js";
import type { Proc } from "./proc.js";

/** The agent whose authority bounds a process created under `parent` (null: the operator). */
export function creatorOf(parent: Proc | null): Proc | null {
  let p = parent;
  while (p !== null && p.spec.kind === "supervisor") p = p.parent;
  return p;
}

/** Who names the code of a process created under `parent` (module-roots.ts): the operator or an agent. */
export function originOf(parent: Proc | null): "operator" | "agent" {
  return creatorOf(parent) === null ? "operator" : "agent";
}

/** What is left of an agent's budget (undefined where it has none). */
export function remainingBudget(p: Proc): Budget | undefined {
  const b = p.spec.budget;
  if (b === undefined) return undefined;
  const u = p.usage;
  return {
    ...(b.tokens === undefined ? {} : { tokens: Math.max(0, b.tokens - u.tokens) }),
    ...(b.credits === undefined ? {} : { credits: Math.max(0, b.credits - u.credits) }),
    ...(b.wallTimeMs === undefined ? {} : { wallTimeMs: Math.max(0, b.wallTimeMs - u.wallTimeMs) }),
  };
}

export function asCreator(p: Proc, checker: CapabilityChecker): Creator {
  return {
    name: `${p.spec.name} (${p.id})`,
    tenant: p.tenant,
    capabilities: p.spec.capabilities,
    ...(checker.holds === undefined ? {} : { holds: (cap: Capability) => checker.holds?.(p, cap) === true }),
    remaining: remainingBudget(p),
  };
}

/** Throws unless `spec` (and, when `tree`, its children) may be created under `parent`. */
export function checkCreate(parent: Proc | null, spec: SpecNode, checker: CapabilityChecker, tree: boolean): void {
  const creator = creatorOf(parent);
  if (creator === null) return;
  checkSpecTree(asCreator(creator, checker), tree ? spec : { ...spec, children: undefined });
}

/**
 * After a process is built under an agent: its authority is derived from that agent's live authority
 * (CapabilityChecker.derive). Nothing to derive for the operator's processes or an empty spec.
 */
export function deriveAuthority(parent: Proc | null, child: Proc, checker: CapabilityChecker): void {
  if (checker.derive === undefined || child.spec.capabilities.length === 0) return;
  const creator = creatorOf(parent);
  if (creator !== null) checker.derive(creator, child);
}
