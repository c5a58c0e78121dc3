/** planner/graph: task graphs, their validation, versioned plans, the journal and the executor. */
export { TaskGraphSchema, TaskSchema, InputRefSchema, MicroCredits, TASK_GRAPH_JSON_SCHEMA, TASK_ID_RE, toWire, dependenciesOf, type Task, type TaskGraph, type TaskGraphWire, type InputRef } from "./schema.js";
export { validateGraph, topoOrder, type Submitter } from "./validate.js";
export { compileJsonSchema, type JsonCheck } from "./json-check.js";
export { MemoryPlanJournal, headOf, type PlanJournal, type PlanRecord, type VersionRecord, type TaskRecord, type EndRecord } from "./journal.js";
export { SqlitePlanJournal } from "./sqlite-journal.js";
export { Plans, snapshotOf, type PlanSnapshot } from "./plans.js";
export { rebuild, type TaskState, type TaskStatus, type RebuiltRun } from "./run-state.js";
export { defaultJoiner, type Joiner, type JoinView, type JoinDecision } from "./joiner.js";
export { Executor, assemble, type Dispatch, type DispatchContext, type ExecutorOptions, type PlanOutcome, type Replanner } from "./executor.js";
export { RulePlanner, type Planner, type PlanRule, type PlanContext, type ReplanContext, type PlannerModels } from "./planners.js";
export { LlmPlanner, parsePlannerAnswer, type LlmPlannerOptions, type PlannerModel } from "./llm-planner.js";
export { PlanEngine, type PlanEngineOptions, type PlanStatusView } from "./engine.js";
export { planSyscalls, type PlanCreated, type PlanSyscallHooks } from "./syscalls.js";
