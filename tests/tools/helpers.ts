/** Test helpers: a Caller with given capability strings and a ToolContext over the real spec checker. */
import { RealClock, type AgentId, type Clock, type TenantId } from "../../src/core/index.js";
import { SpecCapabilityChecker } from "../../src/kernel/index.js";
import type { Caller } from "../../src/abi/index.js";
import { makeToolContext, type ToolContext } from "../../src/tools/index.js";

export function caller(capabilities: string[], name = "tester"): Caller {
  return {
    agent: `ag_${name}` as AgentId,
    tenant: "default" as TenantId,
    name,
    capabilities,
    taint: new Set(),
    priority: 0,
  };
}

export function ctxFor(capabilities: string[], clock: Clock = new RealClock(), signal?: AbortSignal): ToolContext {
  const checker = new SpecCapabilityChecker();
  return makeToolContext({ caller: caller(capabilities), checker: () => checker, clock, ...(signal === undefined ? {} : { signal }) });
}
