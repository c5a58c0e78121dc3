/**
 * What a spec's `model:` and `tools:` imply (issue #11.2): an llm agent with `model: m` needs
 * `llm:m#invoke`, an agent with `tools: [t]` needs `tool:t#call`. At spawn each one the spec does not
 * already hold is added when its creator holds it (the operator holds everything), so a spec need not
 * say the same thing twice; when the creator does not, the spawn fails with E_INVALID_SPEC naming the
 * field and the missing capability — at spawn, not deep in the agent's first step. It never widens:
 * an implied capability is added only if the creator covers it, and the spawn rule (spawn-rule.ts)
 * then checks the whole set against the creator like any other (tests/sdk/spawn-errors.test.ts).
 * Resource capabilities a tool needs at run time (`file:<dir>/**#read`) cannot be implied: the path
 * is not in the spec.
 */
import { AiosError } from "../core/index.js";
import { coveredBy, creatorCovers, parseCapability, type Capability, type Creator } from "../capability/index.js";
import type { AgentSpec } from "../abi/index.js";

interface Implied {
  readonly field: string;
  readonly value: string;
  readonly capability: string;
}

export function impliedBy(spec: AgentSpec): Implied[] {
  const out: Implied[] = [];
  if (spec.kind === "llm" && spec.model !== undefined) out.push({ field: "model", value: spec.model, capability: `llm:${spec.model}#invoke` });
  spec.tools.forEach((t, i) => out.push({ field: `tools.${i}`, value: t, capability: `tool:${t}#call` }));
  return out;
}

function parseHeld(caps: readonly string[]): Capability[] {
  return caps.map((c) => parseCapability(c));
}

/**
 * The spec tree with the implied capabilities its creator can give added; `reparse` turns a changed
 * node back into a parsed spec. Returns the same object when nothing is added.
 */
export function withImplied(spec: AgentSpec, creator: Creator | null, reparse: (s: AgentSpec) => AgentSpec, path = "spec"): AgentSpec {
  const kids = spec.children;
  const needs = impliedBy(spec);
  if (needs.length === 0 && kids === undefined) return spec;
  let added: string[] | undefined;
  const held = parseHeld(spec.capabilities);
  for (const n of needs) {
    const cap = parseCapability(n.capability, `${path}.${n.field}`);
    if (coveredBy(held, cap)) continue;
    if (creator !== null && !creatorCovers(creator, cap)) {
      throw new AiosError("E_INVALID_SPEC", `${path} (${spec.name}): ${n.field}: "${n.value}" needs ${n.capability}, which the spec does not hold and its creator ${creator.name} cannot give`, {
        details: { path: `${path}.${n.field}`, capability: n.capability, creator: creator.name },
      });
    }
    (added ??= []).push(n.capability);
    held.push(cap);
  }
  let children: AgentSpec[] | undefined;
  if (kids !== undefined) {
    kids.forEach((k, i) => {
      // A supervisor acts for its creator: its children are bounded by the same creator.
      const c = withImplied(k, creator, (s) => s, `${path}.children.${i}`);
      if (c !== k) (children ??= [...kids])[i] = c;
    });
  }
  if (added === undefined && children === undefined) return spec;
  return reparse({ ...spec, ...(added === undefined ? {} : { capabilities: [...spec.capabilities, ...added] }), ...(children === undefined ? {} : { children }) });
}
