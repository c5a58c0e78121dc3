/**
 * The joiner (LLMCompiler's name for it): once a plan version is quiet — nothing running, nothing
 * more ready — it decides to answer, to replan or to give up. The default answers with the answer
 * task's output when it is done and nothing failed, and asks for a replan on any failure (the
 * executor bounds how many). A joiner is a pure function of the view, so it is replay-safe.
 */
import type { PlanSnapshot } from "./plans.js";
import type { TaskState } from "./run-state.js";

export interface JoinView {
  readonly snapshot: PlanSnapshot;
  readonly states: ReadonlyMap<string, Readonly<TaskState>>;
  /** Replans the executor still allows. */
  readonly replansLeft: number;
}

export type JoinDecision =
  | { readonly action: "answer"; readonly answer: unknown }
  | { readonly action: "replan"; readonly reason: string }
  | { readonly action: "fail"; readonly reason: string };

export type Joiner = (view: JoinView) => JoinDecision;

export const defaultJoiner: Joiner = (view) => {
  const failed = [...view.states].filter(([, s]) => s.status === "failed");
  if (failed.length > 0) {
    const reason = failed.map(([id, s]) => `task "${id}" failed: ${s.error?.code ?? "E_INTERNAL"} ${s.error?.message ?? ""}`.trim()).join("; ");
    return { action: "replan", reason };
  }
  const answer = view.states.get(view.snapshot.graph.answer);
  if (answer?.status === "done") return { action: "answer", answer: answer.output };
  return { action: "fail", reason: `the answer task "${view.snapshot.graph.answer}" did not run` };
};
