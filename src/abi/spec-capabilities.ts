/**
 * Every capability string of a spec is parsed when the spec is (issue #11.2): one in a seed format
 * (`file:/data/*:read`, `capability://file/...?action=read`, `agent:spawn{max:5}`) is rewritten into
 * the grammar (capability/seed-formats.ts), and one that still does not parse is an E_INVALID_SPEC
 * naming the node, the index and the string — never a grant that silently allows nothing. Parsed
 * strings are cached by capability/, so a spec spawned many times pays for this once.
 */
import { AiosError } from "../core/index.js";
import { parseCapability, toGrammar } from "../capability/index.js";

interface CapNode {
  readonly name: string;
  readonly capabilities: readonly string[];
  readonly children?: readonly CapNode[] | undefined;
}

/** The same node with its capabilities in the grammar (the node itself when nothing changed). */
export function canonicalCapabilities<T extends CapNode>(spec: T, source: string, path = "capabilities"): T {
  let caps: string[] | undefined;
  for (let i = 0; i < spec.capabilities.length; i++) {
    const given = spec.capabilities[i] as string;
    const grammar = toGrammar(given);
    try {
      parseCapability(grammar, `${path}.${i}`);
    } catch (e) {
      throw new AiosError("E_INVALID_SPEC", `${source}: ${path}.${i}: "${given}" is not a capability: expected resource#action[,action]{key=value,...} or a seed form (README "Capability formats"): ${(e as Error).message}`, {
        cause: e,
        details: { source, path: `${path}.${i}`, capability: given, issues: [{ path: `${path}.${i}`, message: `"${given}" is not a capability` }] },
      });
    }
    if (grammar !== given) (caps ??= [...spec.capabilities])[i] = grammar;
  }
  let children: CapNode[] | undefined;
  const kids = spec.children;
  if (kids !== undefined) {
    for (let i = 0; i < kids.length; i++) {
      const kid = kids[i] as CapNode;
      const c = canonicalCapabilities(kid, source, `children.${i}.capabilities`);
      if (c !== kid) (children ??= [...kids])[i] = c;
    }
  }
  if (caps === undefined && children === undefined) return spec;
  return { ...spec, ...(caps === undefined ? {} : { capabilities: caps }), ...(children === undefined ? {} : { children }) };
}
