/**
 * The LLM planner: asks a model (any `chat`-capable provider: the models/ ModelProvider contract)
 * for a task graph as structured output (TASK_GRAPH_JSON_SCHEMA), parses the answer and rejects
 * garbage with E_MODEL_OUTPUT naming what was wrong (not JSON; or the field the schema refused).
 * A refused answer is sent back once per `repairs` with the reason, the way the agent loop repairs
 * structured output; deeper rules (cycles, capabilities, budget) are Plans' validation, after this.
 * Inside a booted system every model call goes through the kernel's door (`ctx.models`, given by the
 * planner's wiring): an LlmInvoke as the plan's creator under the plan's span, so it is authorized,
 * charged to the creator's budgets, audited and traced like an agent's own call; the model is then
 * named by its configured name (a provider object's `name`). Only a PlanEngine used on its own, with
 * no kernel (tests, the planner bench), calls a provider object directly.
 */
import { AiosError } from "../../core/index.js";
import { parseJsonAnswer, type ChatMessage, type ChatOptions, type ChatRequest, type ChatResult } from "../../models/index.js";
import type { JoinView } from "./joiner.js";
import type { PlanContext, Planner, ReplanContext } from "./planners.js";
import { TASK_GRAPH_JSON_SCHEMA, TaskGraphSchema, toWire } from "./schema.js";

/** The part of ModelProvider the planner needs. */
export interface PlannerModel {
  readonly name: string;
  chat(req: ChatRequest, opts?: ChatOptions): Promise<ChatResult>;
}

export interface LlmPlannerOptions {
  /** A configured model's name (asked through the door), or a provider (asked directly only outside a booted system). */
  readonly model: PlannerModel | string;
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
    return this.ask([{ role: "system", content: this.system() }, { role: "user", content: user }], ctx);
  }

  replan(view: JoinView, reason: string, ctx: ReplanContext = {}): Promise<unknown> {
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
    return this.ask([{ role: "system", content: this.system() }, { role: "user", content: user }], ctx);
  }

  private system(): string {
    return this.o.instructions === undefined ? SYSTEM : `${SYSTEM}\n${this.o.instructions}`;
  }

  private get modelName(): string {
    return typeof this.o.model === "string" ? this.o.model : this.o.model.name;
  }

  /** One model call: through the door when there is one, else straight to the provider. */
  private chat(req: ChatRequest, ctx: ReplanContext): Promise<ChatResult> {
    const m = this.o.model;
    if (ctx.models !== undefined) return ctx.models(this.modelName, req);
    if (typeof m === "string") {
      return Promise.reject(new AiosError("E_CONFIG", `planner model "${m}": a model named by name is asked through the kernel's door, and this planner runs outside a booted system`, { details: { path: "planner.model" } }));
    }
    const opts: ChatOptions | undefined = ctx.trace === undefined ? undefined : { trace: ctx.trace };
    return m.chat(req, opts);
  }

  private async ask(messages: ChatMessage[], ctx: ReplanContext): Promise<unknown> {
    const repairs = this.o.repairs ?? 1;
    let lastReason = "";
    for (let i = 0; i <= repairs; i++) {
      const res = await this.chat({ messages, output: { name: "task_graph", schema: TASK_GRAPH_JSON_SCHEMA } }, ctx);
      const r = parsePlannerAnswer(res.text);
      if (r.ok) return r.value;
      lastReason = r.reason;
      messages = [...messages, { role: "assistant", content: res.text }, { role: "user", content: `That answer was refused: ${r.reason}. Answer again with JSON matching the schema.` }];
    }
    throw new AiosError("E_MODEL_OUTPUT", `planner model "${this.modelName}": ${lastReason} (after ${repairs + 1} answers)`, { details: { path: "plan", model: this.modelName } });
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
