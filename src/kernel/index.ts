/**
 * kernel/: the process table, mail, the run queue, lifecycle, supervision, recovery and the door.
 * Its contracts (spec, logic, syscalls, stages, journal records) are in abi/; subsystems import those.
 */
export { storedSpec, type Kernel, type KernelOptions, type LogicFactory, type ExitInfo } from "./kernel.js";
export { DEFAULT_LIMITS, type KernelLimits } from "./limits.js";
export { DEFAULT_ISOLATE_LIMITS, type IsolateLimits } from "./isolate-protocol.js";
export { createKernel, type CreateKernelOptions, type CreatedKernel } from "./create.js";
export type { BootPhase } from "./boot-phases.js";
export { checkDeclarations } from "./assemble.js";
export { SpecCapabilityChecker } from "./spec-checker.js";
export type { DispatchCaller } from "./door-call.js";
export type { Guards } from "./guards.js";
export { creatorOf } from "./spawn-rule.js";
export type { Operation, HookEvent, PreHook, PostHook } from "./hooks.js";
export type { UpgradeOptions, MergeOptions, SplitOptions } from "./operations.js";
export { info, ps, tree, type AgentInfo, type PsFilter, type TreeNode } from "./views.js";
export type { Escalation } from "./supervision.js";
export type { Proc } from "./proc.js";
export { storeSubsystem, type StoreSubsystemOptions, type StoreService, type StoreHealth } from "./store-subsystem.js";
export { createPgJournal, createSqliteJournal, DurableJournal } from "./journal-adapter.js";
export { Recovery, type RecoveryOutcome } from "./recovery.js";
