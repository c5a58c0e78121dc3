/**
 * The one place tools/ names the kernel's contracts (abi/) and the capability grammar (capability/).
 * `ToolHost` is the slice of the kernel API the tools need: a capability checker to re-check
 * canonical resources at execution time (and the audit sink, to record what those re-checks refuse),
 * a clock, the event bus, spawn (which applies the one attenuation rule to the whole spec tree) and
 * request (agent.request: a request to another agent as the calling agent).
 * Unit tests build the tools without a kernel.
 */
import type { AgentId, Clock, EventBus } from "../core/index.js";
import type { AgentSpecInput, AuditSink, Caller, CapabilityChecker, TraceSpan } from "../abi/index.js";

export type { Caller, TraceSpan, CapabilityRequest, SyscallDef, SyscallCall, CallSignal, SyscallName, CapabilityChecker, AgentSpecInput, AuditSink, ArgParser, Grant } from "../abi/index.js";
export type { Subsystem, SubsystemHost } from "../abi/index.js";
export { callAborted, inheritTenant, parseSpec, zodArgs } from "../abi/index.js";
export { allows, allows as capabilityAllows, parseCapability, type Capability, type Capability as ParsedCapability } from "../capability/index.js";

export interface ToolHost {
  readonly guards: { readonly capabilities: CapabilityChecker; readonly audit?: AuditSink | undefined };
  readonly clock: Clock;
  readonly events: EventBus;
  /** Spawns `spec` as a child of `creator`, checked against the creator's live authority. */
  spawnAs(creator: Caller, spec: AgentSpecInput): Promise<AgentId>;
  /**
   * Sends a request as agent `from` and resolves with the reply (agent.request); absent outside a
   * kernel. `trace`: the tool call's span (the recipient's handling becomes its child).
   */
  readonly request?: (to: string, payload: unknown, timeoutMs?: number, from?: string, trace?: TraceSpan) => Promise<unknown>;
}

declare module "../core/index.js" {
  interface EventDataMap {
    /** A tool's execution-time re-check refused a resource the dispatcher's up-front check could not see. */
    "tool.denied": { tool: string; resource: string; action: string; reason: string };
  }
}
