/**
 * The task graph (issue #14 "Planner"): what a planner produces and the executor runs. A graph is a
 * goal, a list of tasks and the id of the task whose output is the answer. Each task names its
 * inputs as references to other tasks' outputs (`{from, path?}`) or literal values (`{value}`),
 * declares JSON Schemas for the assembled input object and for its output, the capabilities it
 * needs, a budget in integer micro-credits (bigint: money is never a float) and a deadline in
 * milliseconds counted from its dispatch (relative, so a plan resumed after a crash keeps meaning).
 *
 * Two shapes: the wire shape (JSON: budget as an integer or a decimal string, what a model or a
 * journal row holds) and the parsed shape (budget: bigint). `toWire` goes back without loss.
 * This schema checks shape only; graph-level rules (cycles, references, coverage, budget) are
 * validate.ts's.
 */
import { z } from "zod";

export const TASK_ID_RE = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;
const TaskId = z.string().regex(TASK_ID_RE, "expected a letter then up to 63 letters, digits, '_' or '-'");
const InputName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "expected an identifier (letters, digits, '_')");

/** Micro-credits on the wire: a non-negative safe integer or a string of up to 30 digits. */
export const MicroCredits = z
  .union([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.string().regex(/^[0-9]{1,30}$/, "expected a decimal string of digits")])
  .transform((v) => BigInt(v));

const JsonSchemaObject = z.record(z.string(), z.unknown());

export const InputRefSchema = z.union([
  z.strictObject({
    from: TaskId,
    /** A dot path into the producer's output (`a.b.0`); absent: the whole output. */
    path: z.string().regex(/^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/, "expected a dot path like a.b.0").optional(),
  }),
  z.strictObject({ value: z.unknown() }),
]);

export const TaskSchema = z.strictObject({
  id: TaskId,
  kind: z.string().min(1).max(64),
  description: z.string().max(8192).default(""),
  inputs: z.record(InputName, InputRefSchema).default({}),
  /** JSON Schema of the object {inputName: value} the task receives; absent: anything. */
  inputSchema: JsonSchemaObject.optional(),
  /** JSON Schema every output of this task must match before anything downstream sees it. */
  outputSchema: JsonSchemaObject,
  capabilities: z.array(z.string().min(1).max(4096)).max(64).default([]),
  budget: MicroCredits,
  /** Milliseconds from dispatch until the task counts as timed out. */
  deadlineMs: z.number().int().positive().max(7 * 86_400_000),
});

export const TaskGraphSchema = z.strictObject({
  goal: z.string().min(1).max(16_384),
  tasks: z.array(TaskSchema).min(1).max(10_000),
  /** The task whose output is the plan's answer. */
  answer: TaskId,
});

export type InputRef = z.output<typeof InputRefSchema>;
export type Task = Readonly<z.output<typeof TaskSchema>>;
export type TaskGraph = Readonly<z.output<typeof TaskGraphSchema>>;
/** The JSON form (what planners emit and journals store). */
export type TaskGraphWire = z.input<typeof TaskGraphSchema>;

/** The JSON Schema of the wire form: handed to an LLM planner as its structured-output schema. */
export const TASK_GRAPH_JSON_SCHEMA: Record<string, unknown> = z.toJSONSchema(TaskGraphSchema, { io: "input" });

/** The graph as JSON-safe data (budgets as decimal strings). */
export function toWire(g: TaskGraph): TaskGraphWire {
  return {
    goal: g.goal,
    answer: g.answer,
    tasks: g.tasks.map((t) => ({
      id: t.id,
      kind: t.kind,
      description: t.description,
      inputs: t.inputs,
      ...(t.inputSchema === undefined ? {} : { inputSchema: t.inputSchema }),
      outputSchema: t.outputSchema,
      capabilities: t.capabilities,
      budget: t.budget.toString(),
      deadlineMs: t.deadlineMs,
    })),
  };
}

/** The ids a task's inputs reference, in input-name order, without duplicates. */
export function dependenciesOf(t: Task): string[] {
  const out = new Set<string>();
  for (const ref of Object.values(t.inputs)) if ("from" in ref) out.add(ref.from);
  return [...out];
}
