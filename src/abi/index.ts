/**
 * abi/: the kernel's contracts, below the kernel — types and schemas only. Who calls (Caller), what a
 * call needs (CapabilityRequest) and what allowed it (a structured Grant), the syscall table and the
 * definition a subsystem implements, the stage interfaces of the door, the agent spec and the logic
 * contract, the lifecycle table, and the journal's records. Subsystems import these, never kernel/.
 */
export { AgentSpecSchema, A2aExposureSchema, DEFAULT_MAILBOX_CAPACITY, RestartType, SupervisorStrategy, parseSpec, inheritTenant, loadSpecFile, stop, fail, isStop, STOP } from "./agent.js";
export type { AgentSpec, AgentSpecInput, AgentLogic, AgentContext, StopSignal, SendOptions, A2aExposure } from "./agent.js";
export { AGENT_NAME_MAX } from "./spec-check.js";
export { freezeSpec, settledSpec } from "./settled-spec.js";
export { TRANSITIONS, TERMINAL, ALL_STATUSES, canTransition, isTerminal, checkTransition, type AgentStatus } from "./lifecycle.js";
export type {
  SyscallMap, SyscallName, SyscallArgs, SyscallResult, SyscallApi, SyscallDef, SyscallCall, SlotGrant, Caller, CapabilityRequest,
  TraceSpan, TraceSpanContext, TraceStateLike,
  ArgParser, AsyncResultState, SemanticSendArgs, SemanticSendResult, SemanticRecvResult, CallSignal,
} from "./syscalls.js";
export { callAborted } from "./syscalls.js";
export { grantText, targetHash, countTarget } from "./stages.js";
export type {
  Grant, CallUsage, CapabilityChecker, CapDecision, PolicyEngine, PolicyDecision, QuotaManager, ResourceScheduler, AuditSink, AuditRecord,
  SyscallJournal, SyscallEffects, SyscallObserver, MessageTracer, CallTracer, Tracer, CapLease, LeaseEpoch, CompiledPolicy, AuditTally, TallyCounts, RemoteMailGate, PlainMailGate, VouchedKey,
} from "./stages.js";
export type { AppendOptions, KernelJournal, TopicDirectory, TopicSubscription, SubscriptionMode, StoredAgent, StoredMessage, StoredSpec, RecoveredAgent, RecoveredState, SupervisorLink, SkillDirectory, SkillEntry } from "./journal.js";
export { zodArgs } from "./args.js";
export type {
  Subsystem, AnySubsystem, SubsystemHost, Provision, DoorCaller, DoorStages, StageName, AgentView, AnySyscallDef, SyscallTable, LetterReply, RemoteDown,
} from "./subsystem.js";
