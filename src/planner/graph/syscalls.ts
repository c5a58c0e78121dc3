/**
 * PlanCreate and PlanStatus as syscall definitions (the lead registers them in the composition root).
 * PlanCreate plans a goal for the calling agent — its capabilities bound what the graph may ask for,
 * its credit budget (`budgetOf`, micro-credits) bounds the tasks' total — commits version 1 and
 * starts the run; it returns at once with the plan id (the run continues; PlanStatus reads it).
 * It needs `planner#plan`; PlanStatus needs `planner#read`.
 */
import { z } from "zod";
import { zodArgs, type Caller, type SyscallDef } from "../../abi/index.js";
import type { PlanEngine, PlanStatusView } from "./engine.js";

declare module "../../abi/syscalls.js" {
  interface SyscallMap {
    PlanCreate: { args: { goal: string }; result: { planId: string; version: number } };
    PlanStatus: { args: { planId: string }; result: PlanStatusView };
  }
}

const CreateArgs = z.strictObject({ goal: z.string().min(1).max(16_384) });
const StatusArgs = z.strictObject({ planId: z.string().min(1).max(256) });

export function planSyscalls(engine: PlanEngine, budgetOf: (caller: Caller) => bigint): [SyscallDef<"PlanCreate">, SyscallDef<"PlanStatus">] {
  const create: SyscallDef<"PlanCreate"> = {
    name: "PlanCreate",
    parse: zodArgs("PlanCreate", CreateArgs),
    requires: () => [{ resource: "planner", action: "plan" }],
    sideEffect: true,
    handler: async ({ goal }, call) => {
      const snap = await engine.create(goal, { capabilities: call.caller.capabilities, budget: budgetOf(call.caller) });
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
