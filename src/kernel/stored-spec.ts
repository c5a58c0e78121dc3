/** The serialisable part of an agent spec, as the journal keeps it (no in-process logic object). */
import type { StoredSpec } from "../abi/index.js";
import type { AgentSpec } from "../abi/index.js";

export function storedSpec(spec: AgentSpec): StoredSpec {
  const { logic, children, ...rest } = spec;
  return {
    ...rest,
    ...(typeof logic === "string" ? { logic } : {}),
    ...(children === undefined ? {} : { children: children.map(storedSpec) }),
  };
}
