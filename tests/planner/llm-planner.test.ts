/**
 * The LLM planner against a scripted model (the models/ ReplayProvider computing each turn from the
 * request): the request carries the task-graph JSON Schema as structured output; a garbage answer
 * is sent back with the reason and the repaired answer is used; persistent garbage is E_MODEL_OUTPUT
 * naming the field; a well-formed graph that breaks a graph rule (a capability the submitter lacks)
 * is refused by validation before anything runs. Then the whole engine: plan, run, status. The
 * PlanCreate's span reaches every model call made for the plan (an HTTP provider sends it as the
 * traceparent), the repair included.
 */
import { describe, expect, it } from "vitest";
import { isAiosError, SimulatedClock } from "../../src/core/index.js";
import { ReplayProvider, type ChatOptions, type ChatRequest } from "../../src/models/index.js";
import type { TraceSpan } from "../../src/abi/index.js";
import { LlmPlanner, MemoryPlanJournal, PlanEngine, TASK_GRAPH_JSON_SCHEMA, type TaskGraphWire } from "../../src/planner/index.js";
import { HELD, taskValue, toGraph } from "./graph-gen.js";

const GOOD: TaskGraphWire = toGraph([
  { id: "t0", deps: [], budget: 100, caps: ["tool:search#call"] },
  { id: "t1", deps: [], budget: 100, caps: [] },
  { id: "t2", deps: [0, 1], budget: 100, caps: [] },
]);
const SUB = { capabilities: HELD, budget: 10_000n };

describe("LLM planner", () => {
  it("asks for the graph schema, repairs a garbage answer once, and the engine runs the plan", async () => {
    const seen: ChatRequest[] = [];
    const model = new ReplayProvider({
      name: "scripted",
      respond: (req, turn) => {
        seen.push(req);
        return { text: turn === 0 ? "Sure! Here is my plan: first search, then..." : "```json\n" + JSON.stringify(GOOD) + "\n```" };
      },
    });
    const engine = new PlanEngine({
      journal: new MemoryPlanJournal(), planner: new LlmPlanner({ model }), clock: new SimulatedClock(), newId: () => "p1",
      dispatch: (task, inputs) => Promise.resolve(taskValue(task.id, inputs)),
    });
    const outcome = await engine.plan("compare two reports", SUB);
    expect(outcome.status).toBe("answered");
    expect(seen[0]?.output?.schema).toBe(TASK_GRAPH_JSON_SCHEMA);
    expect(seen[0]?.messages.at(-1)?.content).toMatch(/Goal: compare two reports[\s\S]*10000/);
    expect(seen[1]?.messages.at(-1)?.content).toMatch(/refused: the answer is not valid JSON/);
    expect(engine.status("p1")).toMatchObject({ status: "answered", version: 1, tasks: { t0: "done", t1: "done", t2: "done" } });
  });

  it("gives the plan's span to every model call it makes for the plan, the repair included", async () => {
    const span: TraceSpan = {
      spanContext: () => ({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7", traceFlags: 1 }),
      setAttribute: () => undefined,
    };
    const replay = new ReplayProvider({ name: "scripted", respond: (_req, turn) => ({ text: turn === 0 ? "not json" : JSON.stringify(GOOD) }) });
    const given: (ChatOptions | undefined)[] = [];
    const model = { name: "scripted", chat: (req: ChatRequest, opts?: ChatOptions) => { given.push(opts); return replay.chat(req); } };
    const engine = new PlanEngine({
      journal: new MemoryPlanJournal(), planner: new LlmPlanner({ model }), clock: new SimulatedClock(), newId: () => `p9-${given.length}`,
      dispatch: (task, inputs) => Promise.resolve(taskValue(task.id, inputs)),
    });
    await engine.create("compare two reports", SUB, { trace: span });
    expect(given).toHaveLength(2);
    for (const o of given) expect(o?.trace).toBe(span);
    given.length = 0;
    await engine.create("compare two reports", SUB);
    expect(given).toHaveLength(1);
    expect(given[0]?.trace).toBeUndefined();
  });

  it("rejects persistent garbage with E_MODEL_OUTPUT naming the field", async () => {
    const bad = { ...GOOD, tasks: [{ ...GOOD.tasks[0], budget: -3 }] };
    const model = new ReplayProvider({ name: "scripted", respond: () => ({ text: JSON.stringify(bad) }) });
    try {
      await new LlmPlanner({ model, repairs: 2 }).plan("g", { submitter: SUB });
      expect.fail("garbage accepted");
    } catch (e) {
      expect(isAiosError(e, "E_MODEL_OUTPUT")).toBe(true);
      expect((e as Error).message).toMatch(/scripted.*tasks\[0\]\.budget.*after 3 answers/);
    }
  });

  it("a well-formed plan that asks for more than the submitter holds is refused before anything runs", async () => {
    const greedy = toGraph([{ id: "t0", deps: [], budget: 1, caps: ["net:*#fetch"] }]);
    const model = new ReplayProvider({ name: "scripted", respond: () => ({ text: JSON.stringify(greedy) }) });
    let dispatched = 0;
    const engine = new PlanEngine({
      journal: new MemoryPlanJournal(), planner: new LlmPlanner({ model }), clock: new SimulatedClock(), newId: () => "p2",
      dispatch: () => Promise.resolve({ v: dispatched++ }),
    });
    await expect(engine.plan("fetch the web", SUB)).rejects.toMatchObject({ code: "E_CAP_DENIED", details: { path: "tasks[0].capabilities[0]", task: "t0" } });
    expect(dispatched).toBe(0);
  });
});
