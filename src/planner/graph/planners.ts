/**
 * Planners turn a goal into a raw task graph (validated afterwards by Plans — a planner is never
 * trusted). The contract is small: `plan(goal, context)` and, for replanning, `replan(view, reason)`.
 * RulePlanner is the deterministic one for tests and fixed workflows: the first rule whose pattern
 * matches the goal builds the graph; its default replan re-issues the current graph unchanged (a
 * retry of what failed: finished tasks are carried over by the executor, so only failures re-run).
 */
import { AiosError } from "../../core/index.js";
import type { TraceSpan } from "../../abi/index.js";
import type { ChatRequest, ChatResult } from "../../models/index.js";
import type { JoinView } from "./joiner.js";
import { toWire, type TaskGraphWire } from "./schema.js";
import type { Submitter } from "./validate.js";

/**
 * A model call through the kernel's door: an LlmInvoke of `model` (a configured model's name) as the
 * plan's creator, under the plan's span — authorized, admitted against its budgets, audited, traced
 * (`chat {model}`) and settled onto its budgets like an agent's own call.
 */
export type PlannerModels = (model: string, req: ChatRequest) => Promise<ChatResult>;

/** What a planner is given beside the goal or the plan to revise (inside a booted system: the door). */
export interface ReplanContext {
  /** The PlanCreate's span (tracing on): a planner's model call made for it is its child (traceparent). */
  readonly trace?: TraceSpan;
  /** The door to the models (the wiring gives it): a planner inside a booted system asks its model only here. */
  readonly models?: PlannerModels;
}

export interface PlanContext extends ReplanContext {
  readonly submitter: Submitter;
}

export interface Planner {
  plan(goal: string, ctx: PlanContext): Promise<unknown>;
  replan(view: JoinView, reason: string, ctx?: ReplanContext): Promise<unknown>;
}

export interface PlanRule {
  readonly name: string;
  readonly match: RegExp;
  readonly build: (goal: string, m: RegExpExecArray, ctx: PlanContext) => TaskGraphWire;
  /** A different graph after a failure; default: the same graph again. */
  readonly replan?: (view: JoinView, reason: string) => TaskGraphWire;
}

export class RulePlanner implements Planner {
  constructor(private readonly rules: readonly PlanRule[]) {}

  plan(goal: string, ctx: PlanContext): Promise<unknown> {
    for (const r of this.rules) {
      const m = r.match.exec(goal);
      if (m !== null) return Promise.resolve(r.build(goal, m, ctx));
    }
    return Promise.reject(new AiosError("E_INVALID_ARG", `goal: no planning rule matches "${goal.slice(0, 80)}"`, { details: { path: "goal" } }));
  }

  replan(view: JoinView, reason: string): Promise<unknown> {
    const goal = view.snapshot.graph.goal;
    const rule = this.rules.find((r) => r.match.test(goal));
    if (rule?.replan !== undefined) return Promise.resolve(rule.replan(view, reason));
    return Promise.resolve(toWire(view.snapshot.graph));
  }
}
