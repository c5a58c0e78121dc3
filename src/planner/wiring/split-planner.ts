/**
 * The default offline planner of the wired planner (used when no model planner is configured): a
 * rule-based decomposition. A goal of several parts (one per line, or separated by ";") becomes one
 * `work` task per part, all independent (they run in parallel through the market), and a `join`
 * task that consumes every part's output; a goal of one part is one `work` task. Each task asks for
 * a JSON object with a `text` field; the submitter's budget is split evenly across the tasks.
 * Deterministic, so a plan resumed after a crash replans to the same graph.
 */
import { RulePlanner, type PlanRule, type TaskGraphWire } from "../graph/index.js";

const TEXT_OUTPUT = { type: "object", required: ["text"], properties: { text: { type: "string", minLength: 1 } } } as const;

export interface SplitPlannerOptions {
  /** Each task's deadline (ms from its dispatch; default 60 s). */
  readonly deadlineMs?: number;
  /** Most parts a goal is split into (default 16). */
  readonly maxParts?: number;
}

export function splitGoal(goal: string, maxParts = 16): string[] {
  const parts = goal.split(/\n|;/).map((s) => s.trim()).filter((s) => s !== "");
  return parts.length <= maxParts ? parts : [...parts.slice(0, maxParts - 1), parts.slice(maxParts - 1).join("; ")];
}

export function splitPlanner(o: SplitPlannerOptions = {}): RulePlanner {
  const deadlineMs = o.deadlineMs ?? 60_000;
  const rule: PlanRule = {
    name: "split",
    match: /\S/,
    build: (goal, _m, ctx): TaskGraphWire => {
      const parts = splitGoal(goal, o.maxParts);
      const n = BigInt(parts.length === 1 ? 1 : parts.length + 1);
      const each = (ctx.submitter.budget / n).toString();
      const work = parts.map((text, i) => ({
        id: `part${i + 1}`, kind: "work", description: text, inputs: { topic: { value: text } }, outputSchema: TEXT_OUTPUT, budget: each, deadlineMs,
      }));
      if (work.length === 1) return { goal, tasks: work, answer: "part1" };
      const inputs = Object.fromEntries(work.map((t) => [t.id, { from: t.id }]));
      const join = { id: "join", kind: "join", description: `Combine the parts into one answer to: ${goal}`, inputs, outputSchema: TEXT_OUTPUT, budget: each, deadlineMs };
      return { goal, tasks: [...work, join], answer: "join" };
    },
  };
  return new RulePlanner([rule]);
}
