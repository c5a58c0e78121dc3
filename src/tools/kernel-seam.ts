/**
 * The one place tools/ reaches into the kernel's contracts (through kernel/index.js only).
 * `ToolHost` is the slice of the kernel API the tools need: a capability checker to re-check
 * canonical resources at execution time, a clock, the event bus and spawn. The Kernel class
 * satisfies it structurally; unit tests build the tools without a kernel.
 */
import type { AgentId, Clock, EventBus } from "../core/index.js";
import type { AgentSpecInput, CapabilityChecker } from "../kernel/index.js";

export type { Caller, CapabilityRequest, SyscallDef, SyscallCall, CapabilityChecker, AgentSpecInput, Plugin, ParsedCapability } from "../kernel/index.js";
export { parseCapability, capabilityAllows, parseSpec } from "../kernel/index.js";

export interface ToolHost {
  readonly guards: { readonly capabilities: CapabilityChecker };
  readonly clock: Clock;
  readonly events: EventBus;
  spawn(spec: AgentSpecInput, options?: { parent?: AgentId }): Promise<AgentId>;
}
