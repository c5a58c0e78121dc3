/**
 * How a spec's `module` runs (docs/adr/0023), decided with who named it (module-roots.ts' origin):
 * the operator's modules run trusted (in the kernel's thread) unless the spec says `isolated`; an
 * agent's run isolated, and an agent may not ask for `trusted` (its code would run with the daemon's
 * authority). The kernel writes the decision into the spec of an agent-created tree, so the journal,
 * a clone or a restart after an escalation run it the same way whoever triggers them.
 */
import { AiosError } from "../core/index.js";
import type { AgentSpec } from "../abi/index.js";
import type { CodeOrigin } from "./module-roots.js";

export type Isolation = "trusted" | "isolated";

/** The isolation a module spec runs with, or E_CAP_DENIED when an agent asks for trusted. */
export function isolationOf(spec: AgentSpec, origin: CodeOrigin): Isolation {
  if (origin === "agent") {
    if (spec.isolation === "trusted") {
      throw new AiosError("E_CAP_DENIED", `isolation: "trusted" is the operator's to give: code an agent spawns runs isolated (module ${spec.module ?? "-"})`, {
        details: { path: "isolation", origin },
      });
    }
    return "isolated";
  }
  return spec.isolation ?? "trusted";
}

/** The tree with `isolation: "isolated"` on every module node that names none; undefined when none lacks it. */
export function stampIsolated(spec: AgentSpec): AgentSpec | undefined {
  const kids = spec.children;
  let changed = false;
  const children = kids?.map((c) => {
    const s = stampIsolated(c);
    if (s === undefined) return c;
    changed = true;
    return s;
  });
  const own = spec.module !== undefined && spec.isolation === undefined;
  if (!own && !changed) return undefined;
  return { ...spec, ...(own ? { isolation: "isolated" as const } : {}), ...(children === undefined ? {} : { children }) };
}
