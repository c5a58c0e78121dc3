/**
 * PlanCreate and PlanStatus as syscall definitions (the lead registers them in the composition root).
 * PlanCreate plans a goal for the calling agent — its capabilities bound what the graph may ask for,
 * its credit budget (`budgetOf`, micro-credits) bounds the tasks' total — commits version 1 and
 * starts the run; it returns at once with the plan id (the run continues; PlanStatus reads it).
 * It needs `planner#plan`; PlanStatus needs `planner#read`. Optional `payer` (a ledger account the
 * caller may debit: `ledger:<payer>#debit` is required too) and `budget` (micro-credits, capped by
 * `budgetOf`) are handed to `onCreated` before the run starts, so the wiring can record who pays.
 */
import { z } from "zod";
import { zodArgs, type Caller, type SyscallArgs, type SyscallDef, type TraceSpan } from "../../abi/index.js";
import type { PlanEngine, PlanStatusView } from "./engine.js";
import type { PlannerModels, ReplanContext } from "./planners.js";
import type { PlanSnapshot } from "./plans.js";

declare module "../../abi/syscalls.js" {
  interface SyscallMap {
    PlanCreate: { args: { goal: string; payer?: string; budget?: string }; result: { planId: string; version: number } };
    PlanStatus: { args: { planId: string }; result: PlanStatusView };
  }
}

const CreateArgs = z.strictObject({
  goal: z.string().min(1).max(16_384),
  payer: z.string().min(1).max(100).optional(),
  budget: z.string().regex(/^[0-9]{1,19}$/, "a decimal count of micro-credits").optional(),
}).transform(({ goal, payer, budget }) => ({ goal, ...(payer === undefined ? {} : { payer }), ...(budget === undefined ? {} : { budget }) }));
const StatusArgs = z.strictObject({ planId: z.string().min(1).max(256) });

/** `trace`: the PlanCreate's own span (tracing on), the parent of the plan's dispatches. */
export type PlanCreated = (snap: PlanSnapshot, caller: Caller, args: SyscallArgs<"PlanCreate">, trace: TraceSpan | undefined) => void;

export interface PlanSyscallHooks {
  readonly onCreated?: PlanCreated;
  /** The door to the models for a PlanCreate's planner: its model calls are the caller's, under the call's span. */
  readonly models?: (caller: Caller, trace: TraceSpan | undefined) => PlannerModels;
}

export function planSyscalls(engine: PlanEngine, budgetOf: (caller: Caller, args: SyscallArgs<"PlanCreate">) => bigint, hooks: PlanSyscallHooks = {}): [SyscallDef<"PlanCreate">, SyscallDef<"PlanStatus">] {
  const { onCreated, models } = hooks;
  const create: SyscallDef<"PlanCreate"> = {
    name: "PlanCreate",
    parse: zodArgs("PlanCreate", CreateArgs),
    requires: (a) => [{ resource: "planner", action: "plan" }, ...(a.payer === undefined ? [] : [{ resource: `ledger:${a.payer}`, action: "debit" }])],
    sideEffect: true,
    handler: async (args, call) => {
      const cap = budgetOf(call.caller, args);
      const asked = args.budget === undefined ? cap : BigInt(args.budget);
      const ctx: ReplanContext = { ...(call.trace === undefined ? {} : { trace: call.trace }), ...(models === undefined ? {} : { models: models(call.caller, call.trace) }) };
      const snap = await engine.create(args.goal, { capabilities: call.caller.capabilities, budget: asked < cap ? asked : cap }, ctx);
      onCreated?.(snap, call.caller, args, call.trace);
      // The run's outcome is journaled and read through PlanStatus; nothing awaits it here.
      engine.start(snap.planId).catch(() => undefined);
      return { planId: snap.planId, version: snap.version };
    },
  };
  const status: SyscallDef<"PlanStatus"> = {
    name: "PlanStatus",
    parse: zodArgs("PlanStatus", StatusArgs),
    requires: () => [{ resource: "planner", action: "read" }],
    sideEffect: false,
    handler: ({ planId }) => engine.status(planId),
  };
  return [create, status];
}
