/**
 * The executor's properties: independence (tasks without a dependency path, completed in any order
 * fast-check's scheduler picks, give the same outputs as a sequential run in topological order),
 * type safety (no dispatch ever receives inputs its inputSchema refuses; an output that fails its
 * outputSchema never reaches a consumer), parallelism (ready tasks are in flight together, counted),
 * deadlines on the injected clock, bounded replanning that keeps finished work, and CAS on versions.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { SimulatedClock, flushMicrotasks, isAiosError } from "../../src/core/index.js";
import {
  compileJsonSchema, Executor, MemoryPlanJournal, Plans, RulePlanner, topoOrder, validateGraph,
  type Dispatch, type Task, type TaskGraphWire,
} from "../../src/planner/index.js";
import { dagArb, HELD, taskValue, toGraph } from "./graph-gen.js";

const SUB = { capabilities: HELD, budget: 1_000_000n };

function setup(dispatch: Dispatch, extra: { concurrency?: number; maxReplans?: number; planner?: RulePlanner } = {}) {
  const journal = new MemoryPlanJournal();
  const clock = new SimulatedClock();
  let n = 0;
  const plans = new Plans(journal, clock, () => `plan-${++n}`);
  const exec = new Executor({
    plans, journal, dispatch, clock,
    ...(extra.planner === undefined ? {} : { replanner: extra.planner }),
    ...(extra.concurrency === undefined ? {} : { concurrency: extra.concurrency }),
    ...(extra.maxReplans === undefined ? {} : { maxReplans: extra.maxReplans }),
  });
  return { journal, clock, plans, exec };
}

function outputsOf(journal: MemoryPlanJournal, planId: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of journal.load(planId)) if (r.type === "task" && r.state === "done") out[r.taskId] = r.output;
  return out;
}

describe("executor", () => {
  it("independence: any completion order gives the sequential result (fast-check scheduler)", async () => {
    await fc.assert(
      fc.asyncProperty(dagArb(12), fc.scheduler(), async (tasks, s) => {
        const g = toGraph(tasks);
        // the oracle: sequential, topological order, same task function
        const valid = validateGraph(g, SUB);
        const expected: Record<string, { v: number }> = {};
        for (const id of topoOrder(valid)) {
          const t = valid.tasks.find((x) => x.id === id) as Task;
          const inputs = Object.fromEntries(Object.entries(t.inputs).map(([k, ref]) => [k, "from" in ref ? expected[ref.from] : ref.value]));
          expected[id] = taskValue(id, inputs);
        }
        const { journal, plans, exec } = setup((task, inputs) => s.schedule(Promise.resolve(taskValue(task.id, inputs)), task.id));
        const snap = plans.create(g, SUB);
        const outcome = await s.waitFor(exec.run(snap.planId));
        expect(outcome.status).toBe("answered");
        expect(outputsOf(journal, snap.planId)).toEqual(expected);
        expect(outcome.answer).toEqual(expected[valid.answer]);
      }),
      { numRuns: 150, seed: 7 },
    );
  });

  it("type safety: no task receives inputs its schema refuses; a bad output reaches no consumer", async () => {
    await fc.assert(
      fc.asyncProperty(dagArb(10), fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }), fc.scheduler(), async (tasks, bad, s) => {
        const g = toGraph(tasks);
        const valid = validateGraph(g, SUB);
        const received: { task: Task; inputs: Readonly<Record<string, unknown>> }[] = [];
        const { journal, plans, exec } = setup((task, inputs) => {
          received.push({ task, inputs });
          const i = Number(task.id.slice(1));
          // a "bad" task returns a string where its schema says integer
          return s.schedule(Promise.resolve(bad[i] === true ? { v: `oops-${task.id}` } : taskValue(task.id, inputs)), task.id);
        }, { maxReplans: 0 });
        const snap = plans.create(g, SUB);
        const outcome = await s.waitFor(exec.run(snap.planId));
        for (const { task, inputs } of received) {
          const c = compileJsonSchema(task.inputSchema as Record<string, unknown>, "test")(inputs);
          expect(c.ok).toBe(true);
        }
        const recs = journal.load(snap.planId).filter((r) => r.type === "task");
        const failedIds = new Set(recs.filter((r) => r.type === "task" && r.state === "failed").map((r) => (r as { taskId: string }).taskId));
        for (const r of recs) if (r.type === "task" && r.state === "done") expect(typeof (r.output as { v: unknown }).v).toBe("number");
        const anyBadDispatched = received.some(({ task }) => bad[Number(task.id.slice(1))] === true);
        expect(outcome.status).toBe(anyBadDispatched ? "failed" : "answered");
        expect(failedIds.size > 0).toBe(anyBadDispatched);
        // nothing consuming a failed task was dispatched
        for (const { task } of received) for (const ref of Object.values(task.inputs)) if ("from" in ref) expect(failedIds.has(ref.from)).toBe(false);
        expect(valid.tasks.length).toBeGreaterThan(0);
      }),
      { numRuns: 150, seed: 11 },
    );
  });

  it("dispatches every ready task at once: a fan-out of 8 has 8 in flight, concurrency 1 has 1", async () => {
    const fan: TaskGraphWire = toGraph([
      { id: "t0", deps: [], budget: 1, caps: [] },
      ...Array.from({ length: 8 }, (_, i) => ({ id: `t${i + 1}`, deps: [0], budget: 1, caps: [] })),
      { id: "t9", deps: [1, 2, 3, 4, 5, 6, 7, 8], budget: 1, caps: [] },
    ]);
    for (const [concurrency, want] of [[undefined, 8], [1, 1]] as const) {
      let inFlight = 0;
      let max = 0;
      const gates: (() => void)[] = [];
      const { plans, exec } = setup(async (task, inputs) => {
        inFlight++;
        max = Math.max(max, inFlight);
        await new Promise<void>((r) => gates.push(r));
        inFlight--;
        return taskValue(task.id, inputs);
      }, concurrency === undefined ? {} : { concurrency });
      const snap = plans.create(fan, SUB);
      const run = exec.run(snap.planId);
      while (gates.length > 0 || inFlight > 0) {
        await flushMicrotasks(10);
        gates.splice(0).forEach((g) => g());
        await flushMicrotasks(10);
      }
      const outcome = await run;
      expect(outcome.status).toBe("answered");
      expect(max).toBe(want);
    }
  });

  it("times a task out on the injected clock, replans, and re-runs only what failed", async () => {
    const calls: string[] = [];
    let hang = true;
    const g = toGraph([{ id: "t0", deps: [], budget: 1, caps: [] }, { id: "t1", deps: [], budget: 1, caps: [] }, { id: "t2", deps: [0, 1], budget: 1, caps: [] }]);
    const { plans, exec, clock, journal } = setup((task, inputs, ctx) => {
      calls.push(`${task.id}@${ctx.key}`);
      if (task.id === "t1" && hang) {
        hang = false;
        return new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(new Error("aborted"))));
      }
      return Promise.resolve(taskValue(task.id, inputs));
    }, { planner: new RulePlanner([]) });
    const snap = plans.create(g, SUB);
    const run = exec.run(snap.planId);
    await flushMicrotasks(10);
    expect(calls).toEqual(["t0@plan-1:t0:0", "t1@plan-1:t1:0"]);
    await clock.advanceAsync(60_000);
    const outcome = await run;
    expect(outcome.status).toBe("answered");
    expect(outcome.version).toBe(2);
    expect(calls).toEqual(["t0@plan-1:t0:0", "t1@plan-1:t1:0", "t1@plan-1:t1:1", "t2@plan-1:t2:0"]);
    const failed = journal.load(snap.planId).find((r) => r.type === "task" && r.state === "failed");
    expect(failed?.type === "task" ? failed.error?.code : undefined).toBe("E_TIMEOUT");
    expect(plans.history(snap.planId).map((p) => [p.version, p.parent])).toEqual([[1, null], [2, 1]]);
  });

  it("gives up after maxReplans and journals the failure", async () => {
    const g = toGraph([{ id: "t0", deps: [], budget: 1, caps: [] }]);
    const { plans, exec } = setup(() => Promise.reject(new Error("worker crashed")), { planner: new RulePlanner([]), maxReplans: 2 });
    const snap = plans.create(g, SUB);
    const outcome = await exec.run(snap.planId);
    expect(outcome.status).toBe("failed");
    expect(outcome.version).toBe(3);
    expect(outcome.error?.message).toMatch(/task "t0" failed: .*worker crashed.*no replans left/);
    // run again: the end record is the answer, nothing re-runs
    expect(await exec.run(snap.planId)).toEqual(outcome);
  });

  it("interrupted by a shutdown, journals nothing the interruption caused; the plan resumes and answers", async () => {
    // The workers are stopped under the run (what a kernel shutdown does): every dispatch in flight
    // fails, and so would each new one. Without the interruption that is a failed task, a replan per
    // replan left and a failed end in the journal (a plan lost to a clean stop).
    const calls: string[] = [];
    let stopped = false;
    const g = toGraph([{ id: "t0", deps: [], budget: 1, caps: [] }, { id: "t1", deps: [0], budget: 1, caps: [] }]);
    const dispatch: Dispatch = (task, inputs, ctx) => {
      calls.push(`${task.id}@${ctx.key}`);
      if (stopped) return Promise.reject(new Error("no worker bid for it (0 invited)"));
      return new Promise((resolve, reject) => {
        ctx.signal.addEventListener("abort", () => reject(new Error("the worker was stopped")));
        if (task.id === "t0") resolve(taskValue(task.id, inputs));
      });
    };
    const { plans, exec, journal, clock } = setup(dispatch, { planner: new RulePlanner([]), maxReplans: 2 });
    const snap = plans.create(g, SUB);
    const run = exec.run(snap.planId);
    await flushMicrotasks(10);
    expect(calls).toEqual(["t0@plan-1:t0:0", "t1@plan-1:t1:0"]);
    exec.interrupt();
    stopped = true;
    await expect(run).rejects.toMatchObject({ code: "E_SHUTDOWN" });
    const records = journal.load(snap.planId);
    expect(records.some((r) => r.type === "end")).toBe(false);
    expect(records.some((r) => r.type === "task" && r.state === "failed")).toBe(false);
    expect(plans.history(snap.planId).map((p) => p.version)).toEqual([1]);
    expect(calls).toHaveLength(2);
    // A run asked for after the interruption refuses too, journaling nothing.
    await expect(exec.run(snap.planId)).rejects.toMatchObject({ code: "E_SHUTDOWN" });
    // The next boot: a fresh executor over the same journal re-dispatches t1 under the same key.
    const again: string[] = [];
    const next = new Executor({ plans: new Plans(journal, clock, () => "unused"), journal, clock, dispatch: (task, inputs, ctx) => {
      again.push(`${task.id}@${ctx.key}`);
      return Promise.resolve(taskValue(task.id, inputs));
    } });
    const outcome = await next.run(snap.planId);
    expect(outcome.status).toBe("answered");
    expect(outcome.version).toBe(1);
    expect(again).toEqual(["t1@plan-1:t1:0"]);
  });

  it("commits replans by compare-and-set on the expected version", () => {
    const { plans } = setup(() => Promise.resolve({ v: 1 }));
    const g = toGraph([{ id: "t0", deps: [], budget: 1, caps: [] }]);
    const snap = plans.create(g, SUB);
    const v2 = plans.replan(snap.planId, 1, g, "first");
    expect(v2.parent).toBe(1);
    try {
      plans.replan(snap.planId, 1, g, "stale");
      expect.fail("stale replan accepted");
    } catch (e) {
      expect(isAiosError(e, "E_CONFLICT")).toBe(true);
    }
    expect(plans.head(snap.planId).version).toBe(2);
    expect(Object.isFrozen(plans.get(snap.planId, 1).graph)).toBe(true);
    // a replan is validated against the plan's submitter like the first version
    const over = toGraph([{ id: "t0", deps: [], budget: 2_000_000, caps: [] }]);
    expect(() => plans.replan(snap.planId, 2, over, "greedy")).toThrow(/past the submitter's 1000000/);
  });
});
