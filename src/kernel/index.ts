/** kernel/: process table, lifecycle, mailboxes, run queue, supervision, syscall dispatcher, boot. */
export { Kernel, storedSpec, type KernelOptions, type LogicFactory, type ExitInfo } from "./kernel.js";
export { boot, defaultDataDir, type BootOptions } from "./boot.js";
export { Aios, type Unsubscribe } from "./sdk.js";
export { parseSpec, loadSpecFile, AgentSpecSchema, type AgentSpec, type AgentSpecInput } from "./spec.js";
export { stop, fail, isStop, STOP, type AgentLogic, type AgentContext, type StopSignal, type SendOptions } from "./logic.js";
export { TRANSITIONS, ALL_STATUSES, canTransition, isTerminal, checkTransition, type AgentStatus } from "./lifecycle.js";
export type { SyscallMap, SyscallName, SyscallArgs, SyscallResult, SyscallApi, SyscallDef, SyscallCall, Caller, CapabilityRequest, ArgParser, AsyncResultState, SemanticSendArgs, SemanticSendResult, SemanticRecvResult } from "./syscalls.js";
export type { CapabilityChecker, CapDecision, PolicyEngine, PolicyDecision, QuotaManager, ResourceScheduler, AuditSink, AuditRecord, SyscallJournal } from "./guards.js";
export { SpecCapabilityChecker, parseCapability, globToRegExp, capabilityAllows, type ParsedCapability } from "./spec-capabilities.js";
export type { KernelJournal, StoredAgent, StoredMessage, StoredSpec, RecoveredState } from "./durability.js";
export type { Plugin } from "./plugin.js";
export type { Guards, DispatchCaller } from "./dispatcher.js";
export { zodArgs, checkSubset } from "./builtin-syscalls.js";
export type { Operation, HookEvent, PreHook, PostHook } from "./hooks.js";
export type { UpgradeOptions, MergeOptions, SplitOptions } from "./operations.js";
export type { AgentInfo, PsFilter, TreeNode } from "./views.js";
export type { Escalation } from "./supervision.js";
export type { Proc } from "./proc.js";
