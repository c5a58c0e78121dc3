/**
 * kernel/: the process table, mail, the run queue, lifecycle, supervision, recovery and the door.
 * Its contracts (spec, logic, syscalls, stages, journal records) are in abi/; subsystems import those.
 */
export { Kernel, storedSpec, type KernelOptions, type LogicFactory, type ExitInfo } from "./kernel.js";
export { DEFAULT_LIMITS, type KernelLimits } from "./limits.js";
export { boot, defaultDataDir, type BootOptions } from "./boot.js";
export { Aios, type Unsubscribe } from "./sdk.js";
export { SpecCapabilityChecker } from "./spec-checker.js";
export type { Plugin } from "./plugin.js";
export type { Guards, DispatchCaller } from "./dispatcher.js";
export { creatorOf } from "./spawn-rule.js";
export type { Operation, HookEvent, PreHook, PostHook } from "./hooks.js";
export type { UpgradeOptions, MergeOptions, SplitOptions } from "./operations.js";
export type { AgentInfo, PsFilter, TreeNode } from "./views.js";
export type { Escalation } from "./supervision.js";
export type { Proc } from "./proc.js";
export { durableStorePlugin, type DurableStorePluginOptions, type StorePlugin, type StoreHealth } from "./journal-adapter-plugin.js";
export { createSqliteJournal, DurableJournal } from "./journal-adapter.js";
export { restoreAgents, type RecoveryOutcome } from "./recovery.js";
