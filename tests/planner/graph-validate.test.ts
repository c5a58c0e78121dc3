/**
 * Validation before anything runs: a fast-check property over generated graphs with injected defects
 * (cycles, dangling references, uncovered capabilities, over-budget totals) checked against an
 * independent oracle — no invalid graph is ever accepted, no valid one refused — plus examples that
 * pin the error codes and that messages name the task and the field.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isAiosError } from "../../src/core/index.js";
import { validateGraph, topoOrder, type TaskGraphWire } from "../../src/planner/index.js";
import { dagArb, HELD, toGraph, UNCOVERED, type GenTask } from "./graph-gen.js";

type Defect = "cycle" | "dangling" | "uncovered" | "budget";

/** The oracle: written apart from validate.ts (cycle check by repeated removal of ready tasks). */
function oracle(tasks: readonly GenTask[], extraEdges: readonly [number, number][], dangling: boolean, uncovered: boolean, budget: bigint): Defect[] {
  const found: Defect[] = [];
  const deps = tasks.map((t, i) => new Set([...t.deps, ...extraEdges.filter(([a]) => a === i).map(([, b]) => b)]));
  const left = new Set(tasks.map((_, i) => i));
  let progress = true;
  while (progress) {
    progress = false;
    for (const i of [...left]) if ([...(deps[i] ?? [])].every((d) => !left.has(d))) { left.delete(i); progress = true; }
  }
  if (left.size > 0) found.push("cycle");
  if (dangling) found.push("dangling");
  if (uncovered) found.push("uncovered");
  if (tasks.reduce((s, t) => s + BigInt(t.budget), 0n) > budget) found.push("budget");
  return found;
}

const CODE: Record<Defect, string> = { cycle: "E_INVALID_ARG", dangling: "E_INVALID_ARG", uncovered: "E_CAP_DENIED", budget: "E_QUOTA" };

describe("task graph validation", () => {
  it("never accepts an invalid graph and never refuses a valid one (fast-check, 2,000 graphs)", () => {
    const arb = dagArb(10).chain((tasks) =>
      fc.record({
        tasks: fc.constant(tasks),
        // back edges (a consumes b with b >= a) may close cycles; self-edges excluded (their own message)
        extra: tasks.length < 2
          ? fc.constant<[number, number][]>([])
          : fc.array(fc.tuple(fc.nat(tasks.length - 2), fc.nat(tasks.length - 1)).map(([a, b]): [number, number] => [a, Math.max(a + 1, b)]), { maxLength: 2 }),
        dangling: fc.boolean(),
        uncovered: fc.boolean(),
        budget: fc.bigInt({ min: 0n, max: 12_000n }),
        victim: fc.nat(tasks.length - 1),
        cap: fc.constantFrom(...UNCOVERED),
      }),
    );
    fc.assert(
      fc.property(arb, ({ tasks, extra, dangling, uncovered, budget, victim, cap }) => {
        const g = toGraph(tasks);
        const wt = g.tasks as { inputs: Record<string, unknown>; capabilities: string[] }[];
        for (const [a, b] of extra) (wt[a] as { inputs: Record<string, unknown> }).inputs[`back${b}`] = { from: `t${b}` };
        if (dangling) (wt[victim] as { inputs: Record<string, unknown> }).inputs["ghost"] = { from: "nowhere" };
        if (uncovered) (wt[victim] as { capabilities: string[] }).capabilities.push(cap);
        const expected = oracle(tasks, extra, dangling, uncovered, budget);
        let accepted = true;
        let code = "";
        try {
          validateGraph(g, { capabilities: HELD, budget });
        } catch (e) {
          if (!isAiosError(e)) throw e;
          accepted = false;
          code = e.code;
        }
        if (expected.length === 0) expect(accepted).toBe(true);
        else {
          expect(accepted).toBe(false);
          expect(expected.map((d) => CODE[d])).toContain(code);
        }
      }),
      { numRuns: 2000, seed: 14 },
    );
  });

  it("names the task and the field in every refusal", () => {
    const base = (): TaskGraphWire => toGraph([{ id: "t0", deps: [], budget: 10, caps: [] }, { id: "t1", deps: [0], budget: 10, caps: [] }]);
    const sub = { capabilities: HELD, budget: 100n };
    const expectErr = (g: unknown, code: string, path: string, re: RegExp, s = sub): void => {
      try {
        validateGraph(g, s);
        expect.fail("accepted");
      } catch (e) {
        if (!isAiosError(e)) throw e;
        expect(e.code).toBe(code);
        expect(e.details["path"]).toBe(path);
        expect(e.message).toMatch(re);
      }
    };
    const dangling = base();
    (dangling.tasks[1] as { inputs: Record<string, unknown> }).inputs["x"] = { from: "t9" };
    expectErr(dangling, "E_INVALID_ARG", "tasks[1].inputs.x.from", /task "t1" .*unknown task "t9"/);
    const cyc = base();
    (cyc.tasks[0] as { inputs: Record<string, unknown> }).inputs["y"] = { from: "t1" };
    expectErr(cyc, "E_INVALID_ARG", "tasks[0].inputs", /cycle t0 -> t1 -> t0|cycle t1 -> t0 -> t1/);
    const cap = base();
    (cap.tasks[1] as { capabilities: string[] }).capabilities = ["tool:search#call", "net:*#fetch"];
    expectErr(cap, "E_CAP_DENIED", "tasks[1].capabilities[1]", /task "t1" .*"net:\*#fetch" is not covered/);
    expectErr(base(), "E_QUOTA", "tasks[1].budget", /task "t1" .*20 micro-credits.*15/, { capabilities: HELD, budget: 15n });
    const shape = base();
    (shape.tasks[1] as { deadlineMs: unknown }).deadlineMs = -5;
    expectErr(shape, "E_INVALID_ARG", "tasks[1].deadlineMs", /task "t1" tasks\[1\]\.deadlineMs/);
    const schema = base();
    (schema.tasks[0] as { outputSchema: unknown }).outputSchema = { type: "no-such-type" };
    expectErr(schema, "E_INVALID_ARG", 'task "t0" tasks[0].outputSchema', /not a usable JSON Schema/);
    const dup = base();
    (dup.tasks[1] as { id: string }).id = "t0";
    expectErr(dup, "E_INVALID_ARG", "tasks[1].id", /duplicate id/);
    expectErr({ ...base(), answer: "zz" }, "E_INVALID_ARG", "answer", /unknown task "zz"/);
  });

  it("accepts a valid graph frozen, with bigint budgets, in a dependency order", () => {
    const g = validateGraph(toGraph([{ id: "t0", deps: [], budget: 5, caps: [] }, { id: "t1", deps: [0], budget: 7, caps: ["tool:search#call"] }, { id: "t2", deps: [0, 1], budget: 1, caps: [] }]), { capabilities: HELD, budget: 13n });
    expect(g.tasks.map((t) => t.budget)).toEqual([5n, 7n, 1n]);
    expect(Object.isFrozen(g.tasks[0])).toBe(true);
    expect(topoOrder(g)).toEqual(["t0", "t1", "t2"]);
  });
});
