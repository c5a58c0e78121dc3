/**
 * The one place tools/ reaches into the kernel's contracts. Everything tools/ needs from kernel/ is
 * re-exported here, so the import path (a deep one until kernel/index.ts lands) lives in one file.
 * `ToolHost` is the slice of the kernel API the tools need: a capability checker to re-check
 * canonical resources at execution time, a clock, the event bus and spawn.
 */
import type { AgentId, Clock, EventBus } from "../core/index.js";
import type { CapabilityChecker } from "../kernel/guards.js";
import type { AgentSpecInput } from "../kernel/spec.js";

export type { Caller, CapabilityRequest, SyscallDef, SyscallCall } from "../kernel/syscalls.js";
export type { CapabilityChecker } from "../kernel/guards.js";
export type { AgentSpecInput } from "../kernel/spec.js";
export type { Plugin } from "../kernel/plugin.js";
export { parseCapability, capabilityAllows, type ParsedCapability } from "../kernel/spec-capabilities.js";

export interface ToolHost {
  readonly guards: { readonly capabilities: CapabilityChecker };
  readonly clock: Clock;
  readonly events: EventBus;
  spawn(spec: AgentSpecInput, options?: { parent?: AgentId }): Promise<AgentId>;
}
