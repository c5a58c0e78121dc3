/**
 * The LLM planner: asks a model (any `chat`-capable provider: the models/ ModelProvider contract)
 * for a task graph as structured output (TASK_GRAPH_JSON_SCHEMA), parses the answer and rejects
 * garbage with E_MODEL_OUTPUT naming what was wrong (not JSON; or the field the schema refused).
 * A refused answer is sent back once per `repairs` with the reason, the way the agent loop repairs
 * structured output; deeper rules (cycles, capabilities, budget) are Plans' validation, after this.
 */
import { AiosError } from "../../core/index.js";
import { parseJsonAnswer, type ChatMessage, type ChatOptions, type ChatRequest, type ChatResult } from "../../models/index.js";
import type { JoinView } from "./joiner.js";
import type { PlanContext, Planner } from "./planners.js";
import { TASK_GRAPH_JSON_SCHEMA, TaskGraphSchema, toWire } from "./schema.js";

/** The part of ModelProvider the planner needs. */
export interface PlannerModel {
  readonly name: string;
  chat(req: ChatRequest, opts?: ChatOptions): Promise<ChatResult>;
}

export interface LlmPlannerOptions {
  readonly model: PlannerModel;
  /** Extra instructions (task kinds available, house rules). */
  readonly instructions?: string;
  /** Re-asks after a refused answer (default 1). */
  readonly repairs?: number;
}

const SYSTEM = [
  "You are the planner of an agent operating system. Decompose the goal into a task graph.",
  "Answer with JSON only, matching the given schema: {goal, tasks: [...], answer}.",
  "Each task: id, kind, description, inputs ({name: {from: taskId, path?}} or {name: {value}}),",
  "inputSchema (JSON Schema of the inputs object, optional), outputSchema (JSON Schema), capabilities",
  "(strings the submitter holds), budget (integer micro-credits, as a string), deadlineMs.",
  "Make independent tasks independent (no input between them) so they run in parallel; no cycles.",
].join("\n");

export class LlmPlanner implements Planner {
  constructor(private readonly o: LlmPlannerOptions) {}

  plan(goal: string, ctx: PlanContext): Promise<unknown> {
    const user = [
      `Goal: ${goal}`,
      `Capabilities you may assign: ${JSON.stringify(ctx.submitter.capabilities)}`,
      `Total budget (micro-credits, all tasks together): ${ctx.submitter.budget.toString()}`,
    ].join("\n");
    return this.ask([{ role: "system", content: this.system() }, { role: "user", content: user }], ctx.trace === undefined ? undefined : { trace: ctx.trace });
  }

  replan(view: JoinView, reason: string): Promise<unknown> {
    const done = [...view.states].filter(([, s]) => s.status === "done").map(([id]) => id);
    const user = [
      `Goal: ${view.snapshot.graph.goal}`,
      `The current plan (version ${view.snapshot.version}) did not succeed: ${reason}`,
      `Tasks already done (keep them unchanged to reuse their outputs): ${JSON.stringify(done)}`,
      `Current plan: ${JSON.stringify(toWire(view.snapshot.graph))}`,
      `Capabilities you may assign: ${JSON.stringify(view.snapshot.submitter.capabilities)}`,
      `Total budget (micro-credits): ${view.snapshot.submitter.budget.toString()}`,
      "Answer with a revised task graph.",
    ].join("\n");
    return this.ask([{ role: "system", content: this.system() }, { role: "user", content: user }]);
  }

  private system(): string {
    return this.o.instructions === undefined ? SYSTEM : `${SYSTEM}\n${this.o.instructions}`;
  }

  private async ask(messages: ChatMessage[], opts?: ChatOptions): Promise<unknown> {
    const repairs = this.o.repairs ?? 1;
    let lastReason = "";
    for (let i = 0; i <= repairs; i++) {
      const res = await this.o.model.chat({ messages, output: { name: "task_graph", schema: TASK_GRAPH_JSON_SCHEMA } }, opts);
      const r = parsePlannerAnswer(res.text);
      if (r.ok) return r.value;
      lastReason = r.reason;
      messages = [...messages, { role: "assistant", content: res.text }, { role: "user", content: `That answer was refused: ${r.reason}. Answer again with JSON matching the schema.` }];
    }
    throw new AiosError("E_MODEL_OUTPUT", `planner model "${this.o.model.name}": ${lastReason} (after ${repairs + 1} answers)`, { details: { path: "plan", model: this.o.model.name } });
  }
}

/** Parses a model's answer into a wire graph (a ```json fence is tolerated) or says why not. */
export function parsePlannerAnswer(text: string): { ok: true; value: unknown } | { ok: false; reason: string } {
  const parsed = parseJsonAnswer(text);
  if (!parsed.ok) return parsed;
  const value = parsed.value;
  const r = TaskGraphSchema.safeParse(value);
  if (r.success) return { ok: true, value };
  const issue = r.error.issues[0];
  const path = (issue?.path ?? []).map((s) => (typeof s === "number" ? `[${s}]` : `.${String(s)}`)).join("").replace(/^\./, "") || "(root)";
  return { ok: false, reason: `the answer does not match the task graph schema at ${path}: ${issue?.message ?? "invalid"}` };
}
