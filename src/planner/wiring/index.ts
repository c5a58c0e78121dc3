/** planner/wiring: the planner joined to a kernel (plugin, market dispatch, syscalls, events, surface). */
import "./events.js";
export { plannerSubsystem, OPERATOR, type PlannerSubsystemOptions, type PlannerParts } from "./subsystem.js";
export { marketDispatch, answerText, type MarketDispatchPorts, type WorkOrder, type EscalationRequest, type Invoke } from "./market-dispatch.js";
export { PlannerStore, type WorkerInfo, type PlanPayer } from "./planner-store.js";
export { splitPlanner, splitGoal, type SplitPlannerOptions } from "./split-planner.js";
export { wiredSyscalls, workerAccount, mintAccount, DEFAULT_LEDGER, type VerdictJson } from "./syscalls.js";
export { PlannerSurface, MarketSurface, LedgerSurface, type PlanOptions, type PlanResult, type LedgerTotals } from "./surface.js";
