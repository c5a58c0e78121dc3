/**
 * The one attenuation rule (DESIGN "The door": "every route that creates a process checks the whole
 * spec tree against its creator"). A spec tree — an agent and, for a supervisor, its children at any
 * depth — may be created by a creator only when, for every node:
 *   - every capability string parses (else E_INVALID_SPEC naming the node's path and the string);
 *   - every capability is covered by one the creator holds (grammar.ts `covers`): its live tokens when
 *     the checker knows them (the `holds` port), else its spec strings — else E_CAP_DENIED;
 *   - its tenant is the creator's, unless the creator holds `tenant:<that tenant>#assume`;
 *   - each budget dimension the creator is limited in is set on the node, no larger than what the
 *     creator has left (a missing one is carved to exactly that, so a child never has more than its
 *     creator: `carveBudget`). A budget the creator does not have is not limited by it.
 * A supervisor's children are checked against the same creator: the supervisor acts for whoever
 * created it, and its own spec capabilities never widen what its children may get.
 */
import { AiosError } from "../core/index.js";
import { coveredBy, parseCapability, type Capability } from "./grammar.js";

export interface Budget {
  readonly tokens?: number | undefined;
  readonly credits?: number | undefined;
  readonly wallTimeMs?: number | undefined;
}

/** The part of a spec the rule reads (structurally the abi's AgentSpec). */
export interface SpecNode {
  readonly name: string;
  readonly tenant: string;
  readonly capabilities: readonly string[];
  readonly budget?: Budget | undefined;
  readonly children?: readonly SpecNode[] | undefined;
}

/** Who creates: its tenant, the capabilities it holds, what budget it has left. */
export interface Creator {
  readonly name: string;
  readonly tenant: string;
  readonly capabilities: readonly string[];
  /**
   * The creator's live authority (its tokens: held, unrevoked, unexpired): true when it covers the
   * capability. When given it decides alone and the spec strings are not read (a revoked token's
   * rights must not come back through the spec that once granted them).
   */
  readonly holds?: (capability: Capability) => boolean;
  /** What is left of the creator's budget; undefined: not limited. */
  readonly remaining?: Budget | undefined;
}

export const BUDGET_KEYS = ["tokens", "credits", "wallTimeMs"] as const;

const parsedCache = new WeakMap<readonly string[], readonly Capability[]>();

/** The creator's spec capabilities, parsed once per list (unparsable ones hold nothing). */
function held(caps: readonly string[]): readonly Capability[] {
  let out = parsedCache.get(caps);
  if (out === undefined) {
    out = caps.flatMap((c) => {
      try {
        return [parseCapability(c)];
      } catch {
        return [];
      }
    });
    parsedCache.set(caps, out);
  }
  return out;
}

/** True when the creator may hand `capability` (already parsed) to something it creates. */
export function creatorCovers(creator: Creator, child: Capability): boolean {
  return creator.holds !== undefined ? creator.holds(child) : coveredBy(held(creator.capabilities), child);
}

/**
 * Checks the whole tree; throws the first violation with the node path (`spec`, `spec.children.1`)
 * and field named. Returns nothing: budgets are carved separately (carveBudget) where a spec is built.
 */
export function checkSpecTree(creator: Creator, spec: SpecNode, path = "spec"): void {
  for (let i = 0; i < spec.capabilities.length; i++) {
    const source = spec.capabilities[i] as string;
    let cap: Capability;
    try {
      cap = parseCapability(source, `${path}.capabilities.${i}`);
    } catch (e) {
      throw new AiosError("E_INVALID_SPEC", (e as Error).message, { details: { path: `${path}.capabilities.${i}`, capability: source } });
    }
    if (!creatorCovers(creator, cap)) {
      throw new AiosError("E_CAP_DENIED", `${path} (${spec.name}) cannot get "${source}": its creator ${creator.name} holds nothing that covers it`, {
        details: { path: `${path}.capabilities.${i}`, capability: source, creator: creator.name },
      });
    }
  }
  if (spec.tenant !== creator.tenant && !creatorCovers(creator, parseCapability(`tenant:${spec.tenant}#assume`))) {
    throw new AiosError("E_CAP_DENIED", `${path} (${spec.name}) asks for tenant ${spec.tenant}, but its creator ${creator.name} is of tenant ${creator.tenant} and holds no tenant:${spec.tenant}#assume`, {
      details: { path: `${path}.tenant`, tenant: spec.tenant, creatorTenant: creator.tenant },
    });
  }
  const left = creator.remaining;
  if (left !== undefined) {
    for (const key of BUDGET_KEYS) {
      const cap = left[key];
      const asked = spec.budget?.[key];
      if (cap !== undefined && asked !== undefined && asked > cap) {
        throw new AiosError("E_QUOTA", `${path} (${spec.name}) asks for budget.${key} ${asked}, more than its creator ${creator.name} has left (${cap})`, {
          details: { path: `${path}.budget.${key}`, asked, remaining: cap },
        });
      }
    }
  }
  spec.children?.forEach((c, i) => checkSpecTree(creator, c, `${path}.children.${i}`));
}

/**
 * The budget a created node gets: its own, with every dimension the creator is limited in capped at
 * what the creator has left (a missing dimension becomes exactly that). Undefined when neither limits.
 */
export function carveBudget(own: Budget | undefined, remaining: Budget | undefined): Budget | undefined {
  if (remaining === undefined) return own;
  const out: Record<string, number> = {};
  for (const key of BUDGET_KEYS) {
    const a = own?.[key];
    const r = remaining[key];
    const v = a === undefined ? r : r === undefined ? a : Math.min(a, r);
    if (v !== undefined) out[key] = v;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/** The first of `childCaps` that does not parse or that `parentCaps` does not cover, else undefined. */
export function firstUncovered(parentCaps: readonly string[], childCaps: readonly string[]): string | undefined {
  const parents = held(parentCaps);
  for (const c of childCaps) {
    let child: Capability;
    try {
      child = parseCapability(c);
    } catch {
      return c;
    }
    if (!coveredBy(parents, child)) return c;
  }
  return undefined;
}
