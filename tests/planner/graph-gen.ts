/**
 * Generators for task-graph property tests: random DAGs (task i may consume only tasks before it,
 * so the base graph is acyclic by construction) with integer-valued outputs, and the deterministic
 * task function the independence and type-safety properties compare against.
 */
import fc from "fast-check";
import type { TaskGraphWire } from "../../src/planner/index.js";

export const VALUE_SCHEMA = { type: "object", properties: { v: { type: "integer" } }, required: ["v"] } as const;

export interface GenTask {
  id: string;
  deps: number[];
  budget: number;
  caps: string[];
}

export const HELD = ["tool:search#call", "file:/data/**#read", "llm:*#invoke{tokens=100000}"];
export const COVERED = ["tool:search#call", "file:/data/reports/**#read", "llm:small#invoke{tokens=500}"];
export const UNCOVERED = ["file:/etc/**#read", "net:*#fetch", "tool:shell#call", "llm:*#invoke"];

export const dagArb = (max = 12): fc.Arbitrary<GenTask[]> =>
  fc.integer({ min: 1, max }).chain((n) =>
    fc.tuple(
      ...Array.from({ length: n }, (_, i) =>
        fc.record({
          deps: i === 0 ? fc.constant<number[]>([]) : fc.uniqueArray(fc.integer({ min: 0, max: i - 1 }), { maxLength: Math.min(3, i) }),
          budget: fc.integer({ min: 0, max: 1000 }),
          caps: fc.subarray(COVERED, { maxLength: 2 }),
        }).map((r) => ({ id: `t${i}`, ...r })),
      ),
    ),
  );

export function toGraph(tasks: readonly GenTask[], answer?: string): TaskGraphWire {
  return {
    goal: "generated",
    answer: answer ?? tasks[tasks.length - 1]?.id ?? "t0",
    tasks: tasks.map((t) => ({
      id: t.id,
      kind: "compute",
      inputs: Object.fromEntries(t.deps.map((d) => [`in${d}`, { from: `t${d}` }])),
      inputSchema: { type: "object", properties: Object.fromEntries(t.deps.map((d) => [`in${d}`, VALUE_SCHEMA])), required: t.deps.map((d) => `in${d}`) },
      outputSchema: VALUE_SCHEMA,
      capabilities: t.caps,
      budget: String(t.budget),
      deadlineMs: 60_000,
    })),
  };
}

/** The deterministic task function: depends only on the task id and its inputs. */
export function taskValue(id: string, inputs: Readonly<Record<string, unknown>>): { v: number } {
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) % 1_000_003;
  for (const k of Object.keys(inputs).sort()) {
    const v = (inputs[k] as { v: number }).v;
    h = (h * 7 + v + k.length) % 1_000_003;
  }
  return { v: h };
}
