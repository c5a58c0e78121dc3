/**
 * The named merge and split strategies of the HTTP API. The SDK's merge and split take functions;
 * a request can only name one. Each is a pure function of the JSON state; a state that does not fit
 * (shallow merge or key split of something that is not an object) is E_INVALID_ARG naming the field.
 */
import { AiosError } from "../core/index.js";
import type { MergeInput, SplitInput } from "./schemas-agents.js";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function combineBy(how: MergeInput["combine"]): (a: unknown, b: unknown) => unknown {
  switch (how) {
    case "first":
      return (a) => a;
    case "second":
      return (_a, b) => b;
    case "pair":
      return (a, b) => ({ a, b });
    case "shallow":
      return (a, b) => {
        if (!isObject(a) || !isObject(b)) throw new AiosError("E_INVALID_ARG", "body.combine: shallow needs both agents' states to be objects; use pair, first or second", { details: { path: "body.combine" } });
        return { ...a, ...b };
      };
  }
}

export function splitBy(b: SplitInput): (state: unknown) => readonly [unknown, unknown] {
  if (b.strategy === "copy") return (s) => [s, structuredClone(s)];
  const keys = new Set(b.keys ?? []);
  return (s) => {
    if (!isObject(s)) throw new AiosError("E_INVALID_ARG", "body.strategy: keys needs the agent's state to be an object; use copy", { details: { path: "body.strategy" } });
    const first: Record<string, unknown> = {};
    const second: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(s)) (keys.has(k) ? first : second)[k] = v;
    return [first, second];
  };
}
