/**
 * Attested names (issue #15 item 6). A spec's name is chosen by whoever writes the spec, so a name an
 * agent picks proves nothing: a child named `trusted-helper` matched an operator's `trusted-*` rule.
 * The kernel therefore names every process an agent creates under that agent: `<creator's name>/
 * <name>`, at every depth (`planner/researcher/fetcher`). Only the operator creates processes whose
 * name has no creator prefix, so a policy or quota rule that matches a name matches who created it;
 * a pattern such as `trusted-*` (a `*` stays within one '/'-segment) cannot match an agent's child.
 * The attested name is the spec's name from then on (journaled with it, shown by ps, carried by
 * every Caller); a name that already starts with its creator's prefix (a restart, a recovery, a clone)
 * is kept as it is.
 */
import { AiosError } from "../core/index.js";
import { AGENT_NAME_MAX } from "../abi/index.js";
import type { Proc } from "./proc.js";

/** The name a process gets under `creator` (null: the operator's process keeps its own name). */
export function attestedName(name: string, creator: Proc | null): string {
  if (creator === null) return name;
  const prefix = creator.spec.name + "/";
  if (name.startsWith(prefix)) return name;
  const out = prefix + name;
  if (out.length > AGENT_NAME_MAX) {
    throw new AiosError("E_INVALID_SPEC", `name: "${name}" under its creator is ${out.length} characters, more than ${AGENT_NAME_MAX} (the chain of creators is too long)`, {
      details: { path: "name", name, creator: creator.id },
    });
  }
  return out;
}
