/**
 * Validation of a task graph before anything runs (issue #14): shape (schema.ts), unique ids, no
 * dangling references, no cycles, usable JSON Schemas, every capability covered by the submitter's
 * set (the one attenuation rule: `coveredBy`), and the total budget within the submitter's. The
 * first violation is thrown as an AiosError whose message names the task and the field and whose
 * `details.path` is the field's path in the graph (`tasks[2].inputs.x.from`):
 *   E_INVALID_ARG  shape, ids, references, cycles, schemas, malformed capabilities
 *   E_CAP_DENIED   a capability the submitter does not hold
 *   E_QUOTA        the tasks' budgets sum past the submitter's budget
 * A graph that passes is returned frozen, in the order given (topological order is `topoOrder`).
 */
import { AiosError } from "../../core/index.js";
import { coveredBy, parseCapability, type Capability } from "../../capability/index.js";
import { compileJsonSchema } from "./json-check.js";
import { dependenciesOf, TaskGraphSchema, type TaskGraph } from "./schema.js";

/** Who submits the graph: what it may delegate and spend. */
export interface Submitter {
  readonly capabilities: readonly string[];
  /** Micro-credits. */
  readonly budget: bigint;
}

function invalid(code: "E_INVALID_ARG" | "E_CAP_DENIED" | "E_QUOTA", message: string, path: string, task?: string): AiosError {
  return new AiosError(code, message, { details: { path, ...(task === undefined ? {} : { task }) } });
}

/** Parses and checks `raw` against the submitter; returns the frozen graph or throws (see header). */
export function validateGraph(raw: unknown, submitter: Submitter): TaskGraph {
  const r = TaskGraphSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const segs = issue?.path ?? [];
    const path = formatPath(segs);
    const taskIndex = segs[0] === "tasks" && typeof segs[1] === "number" ? segs[1] : undefined;
    const taskId = taskIndex === undefined ? undefined : taskIdAt(raw, taskIndex);
    const who = taskId === undefined ? "" : `task "${taskId}" `;
    throw invalid("E_INVALID_ARG", `task graph: ${who}${path}: ${issue?.message ?? "invalid"}`, path, taskId);
  }
  const g = r.data;
  const index = new Map<string, number>();
  g.tasks.forEach((t, i) => {
    if (index.has(t.id)) throw invalid("E_INVALID_ARG", `task graph: task "${t.id}" tasks[${i}].id: duplicate id (first at tasks[${index.get(t.id)}])`, `tasks[${i}].id`, t.id);
    index.set(t.id, i);
  });
  if (!index.has(g.answer)) throw invalid("E_INVALID_ARG", `task graph: answer: references unknown task "${g.answer}"`, "answer");
  g.tasks.forEach((t, i) => {
    for (const [name, ref] of Object.entries(t.inputs)) {
      if (!("from" in ref)) continue;
      const path = `tasks[${i}].inputs.${name}.from`;
      if (ref.from === t.id) throw invalid("E_INVALID_ARG", `task graph: task "${t.id}" ${path}: a task cannot consume its own output`, path, t.id);
      if (!index.has(ref.from)) throw invalid("E_INVALID_ARG", `task graph: task "${t.id}" ${path}: references unknown task "${ref.from}"`, path, t.id);
    }
  });
  const cycle = findCycle(g);
  if (cycle !== undefined) {
    const first = cycle[0] ?? "";
    const i = index.get(first) ?? 0;
    throw invalid("E_INVALID_ARG", `task graph: task "${first}" tasks[${i}].inputs: dependency cycle ${cycle.join(" -> ")} -> ${first}`, `tasks[${i}].inputs`, first);
  }
  g.tasks.forEach((t, i) => {
    if (t.inputSchema !== undefined) compileJsonSchema(t.inputSchema, `task "${t.id}" tasks[${i}].inputSchema`);
    compileJsonSchema(t.outputSchema, `task "${t.id}" tasks[${i}].outputSchema`);
  });
  const held = parseHeld(submitter);
  g.tasks.forEach((t, i) => {
    t.capabilities.forEach((src, j) => {
      const path = `tasks[${i}].capabilities[${j}]`;
      let cap: Capability;
      try {
        cap = parseCapability(src, path);
      } catch (e) {
        throw invalid("E_INVALID_ARG", `task graph: task "${t.id}" ${(e as Error).message}`, path, t.id);
      }
      if (!coveredBy(held, cap)) throw invalid("E_CAP_DENIED", `task graph: task "${t.id}" ${path}: "${src}" is not covered by the submitter's capabilities`, path, t.id);
    });
  });
  let total = 0n;
  g.tasks.forEach((t, i) => {
    total += t.budget;
    if (total > submitter.budget) {
      throw invalid("E_QUOTA", `task graph: task "${t.id}" tasks[${i}].budget: the budgets sum to ${total} micro-credits by this task, past the submitter's ${submitter.budget}`, `tasks[${i}].budget`, t.id);
    }
  });
  return deepFreeze(g);
}

/** Tasks in an order where every task comes after the tasks it consumes (Kahn; stable by position). */
export function topoOrder(g: TaskGraph): string[] {
  const indeg = new Map<string, number>();
  const consumers = new Map<string, string[]>();
  for (const t of g.tasks) {
    const deps = dependenciesOf(t);
    indeg.set(t.id, deps.length);
    for (const d of deps) consumers.set(d, [...(consumers.get(d) ?? []), t.id]);
  }
  const ready = g.tasks.filter((t) => indeg.get(t.id) === 0).map((t) => t.id);
  const out: string[] = [];
  while (ready.length > 0) {
    const id = ready.shift() as string;
    out.push(id);
    for (const c of consumers.get(id) ?? []) {
      const n = (indeg.get(c) ?? 0) - 1;
      indeg.set(c, n);
      if (n === 0) ready.push(c);
    }
  }
  return out;
}

/** One cycle as a list of task ids, or undefined (iterative DFS, so deep graphs do not overflow). */
function findCycle(g: TaskGraph): string[] | undefined {
  const deps = new Map(g.tasks.map((t) => [t.id, dependenciesOf(t)] as const));
  const color = new Map<string, 1 | 2>();
  for (const start of g.tasks) {
    if (color.has(start.id)) continue;
    const stack: { id: string; next: number }[] = [{ id: start.id, next: 0 }];
    color.set(start.id, 1);
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { id: string; next: number };
      const ds = deps.get(top.id) ?? [];
      if (top.next >= ds.length) {
        color.set(top.id, 2);
        stack.pop();
        continue;
      }
      const d = ds[top.next++] as string;
      const c = color.get(d);
      if (c === 1) {
        const from = stack.findIndex((f) => f.id === d);
        return stack.slice(from).map((f) => f.id);
      }
      if (c === undefined) {
        color.set(d, 1);
        stack.push({ id: d, next: 0 });
      }
    }
  }
  return undefined;
}

function parseHeld(s: Submitter): Capability[] {
  return s.capabilities.map((c, i) => parseCapability(c, `submitter.capabilities[${i}]`));
}

function formatPath(segs: readonly PropertyKey[]): string {
  let out = "";
  for (const s of segs) out += typeof s === "number" ? `[${s}]` : out === "" ? String(s) : `.${String(s)}`;
  return out === "" ? "(root)" : out;
}

function taskIdAt(raw: unknown, i: number): string | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const tasks = (raw as { tasks?: unknown }).tasks;
  if (!Array.isArray(tasks)) return undefined;
  const t: unknown = tasks[i];
  if (typeof t !== "object" || t === null) return undefined;
  const id = (t as { id?: unknown }).id;
  return typeof id === "string" ? id : undefined;
}

function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
  }
  return v;
}
