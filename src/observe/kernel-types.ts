/**
 * The kernel contract types observe/ uses, in one place (all from abi/). Type imports only: observe/
 * never calls into the kernel.
 */
export type { AgentStatus, Caller, MessageTracer, Tracer, SyscallDef, SyscallName, Subsystem, SubsystemHost, SyscallTable as SyscallRegistryPort, SyscallCall, SyscallObserver, TraceSpan, TraceSpanContext } from "../abi/index.js";
