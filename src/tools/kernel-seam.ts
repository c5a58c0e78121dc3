/**
 * The one place tools/ reaches into the kernel's contracts (through kernel/index.js only).
 * `ToolHost` is the slice of the kernel API the tools need: a capability checker to re-check
 * canonical resources at execution time (and the audit sink, to record what those re-checks refuse),
 * a clock, the event bus and spawn. The Kernel class
 * satisfies it structurally; unit tests build the tools without a kernel.
 */
import type { AgentId, Clock, EventBus } from "../core/index.js";
import type { AgentSpecInput, AuditSink, CapabilityChecker } from "../kernel/index.js";

export type { Caller, CapabilityRequest, SyscallDef, SyscallCall, SyscallName, CapabilityChecker, AgentSpecInput, AuditSink, Plugin, ParsedCapability, ArgParser } from "../kernel/index.js";
export { parseCapability, capabilityAllows, parseSpec, zodArgs } from "../kernel/index.js";

export interface ToolHost {
  readonly guards: { readonly capabilities: CapabilityChecker; readonly audit?: AuditSink | undefined };
  readonly clock: Clock;
  readonly events: EventBus;
  spawn(spec: AgentSpecInput, options?: { parent?: AgentId }): Promise<AgentId>;
}

declare module "../core/index.js" {
  interface EventDataMap {
    /** A tool's execution-time re-check refused a resource the dispatcher's up-front check could not see. */
    "tool.denied": { tool: string; resource: string; action: string; reason: string };
  }
}
