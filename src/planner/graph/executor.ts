/**
 * The executor: LLMCompiler's task-fetching unit over a validated plan. Every task is dispatched as
 * soon as all the tasks it consumes are done — in parallel, up to `concurrency` — through the
 * injected `dispatch` port (the market plugs in there). Type safety: the assembled inputs are checked
 * against the task's inputSchema before dispatch and the output against its outputSchema before any
 * consumer sees it; a mismatch fails the task. Each task has its deadline on the injected clock
 * (timeout aborts the dispatch's signal and fails it with E_TIMEOUT). When the version is quiet the
 * joiner answers, replans (at most `maxReplans` times, through the replanner, committed by CAS) or
 * fails. Every state change is journaled before it is acted on (dispatched before the call, done
 * before consumers start), and `run` starts from the journal, so the same call resumes a plan after
 * kill -9: finished tasks are not re-run; a task in flight at the crash is re-dispatched with the
 * same idempotency key (`planId:taskId:attempt`) for the port to de-duplicate. A shutdown does the
 * same (`interrupt`): the dispatches in flight are aborted, and nothing they end with is journaled —
 * no failure, replan or end — so the plan is open at the next boot, as after a crash, instead of
 * failing because its workers were stopped under it.
 */
import { AiosError, toAiosError, type Clock, type SerializedError } from "../../core/index.js";
import { compileJsonSchema } from "./json-check.js";
import { defaultJoiner, type Joiner, type JoinView } from "./joiner.js";
import type { PlanJournal, TaskRecord } from "./journal.js";
import type { ReplanContext } from "./planners.js";
import type { PlanSnapshot, Plans } from "./plans.js";
import { rebuild, type TaskState } from "./run-state.js";
import { dependenciesOf, type Task } from "./schema.js";

export interface DispatchContext {
  readonly planId: string;
  readonly version: number;
  readonly attempt: number;
  /** `planId:taskId:attempt`: the same across a crash and resume, new after a failure. */
  readonly key: string;
  readonly signal: AbortSignal;
}

export type Dispatch = (task: Task, inputs: Readonly<Record<string, unknown>>, ctx: DispatchContext) => Promise<unknown>;

export interface Replanner {
  /** A new raw graph for the plan (validated and committed by the executor). */
  replan(view: JoinView, reason: string, ctx?: ReplanContext): Promise<unknown>;
}

export interface ExecutorOptions {
  readonly plans: Plans;
  readonly journal: PlanJournal;
  readonly dispatch: Dispatch;
  readonly clock: Clock;
  readonly joiner?: Joiner;
  readonly replanner?: Replanner;
  readonly maxReplans?: number;
  /** Most tasks in flight at once (default: unbounded; 1 runs the graph sequentially). */
  readonly concurrency?: number;
  /** Called after every journaled task record (observers: events, tests). */
  readonly onRecord?: (rec: TaskRecord) => void;
  /** What the replanner is given for a plan (its span, the door to the models). */
  readonly replanContext?: (planId: string) => ReplanContext | undefined;
}

type Result = { ok: true; output: unknown } | { ok: false; error: AiosError };
interface Settled {
  readonly task: Task;
  readonly state: TaskState;
  readonly result: Result;
}

export interface PlanOutcome {
  readonly planId: string;
  readonly version: number;
  readonly status: "answered" | "failed";
  readonly answer?: unknown;
  readonly error?: SerializedError;
}

export class Executor {
  private readonly joiner: Joiner;
  private readonly maxReplans: number;
  private readonly concurrency: number;
  /** Set by interrupt(): runs journal nothing more and end with E_SHUTDOWN. */
  private interrupted = false;
  /** The abort controllers of the dispatches in flight (interrupt() aborts them). */
  private readonly calls = new Set<AbortController>();

  constructor(private readonly o: ExecutorOptions) {
    this.joiner = o.joiner ?? defaultJoiner;
    this.maxReplans = o.maxReplans ?? 2;
    this.concurrency = o.concurrency ?? Number.POSITIVE_INFINITY;
    if (!(this.concurrency >= 1)) throw new AiosError("E_INVALID_ARG", "executor concurrency: expected >= 1", { details: { path: "concurrency" } });
  }

  /**
   * The kernel is shutting down: every run stops where it is, journaling nothing more, and rejects
   * with E_SHUTDOWN; the plans stay open and resume at the next boot. Runs started later refuse.
   */
  interrupt(): void {
    if (this.interrupted) return;
    this.interrupted = true;
    const reason = shutdownError();
    for (const ac of this.calls) ac.abort(reason);
  }

  /** Runs (or resumes) a plan to its end and journals the outcome. */
  async run(planId: string): Promise<PlanOutcome> {
    for (;;) {
      if (this.interrupted) throw shutdownError(planId);
      const state = rebuild(this.o.journal.load(planId));
      if (state === undefined) throw new AiosError("E_NOT_FOUND", `plan ${planId}: no such plan`, { details: { path: "planId" } });
      const { snapshot, states, end } = state;
      if (end !== undefined) return outcomeOf(end);
      await this.drive(snapshot, states);
      if (this.interrupted) throw shutdownError(planId);
      const replansLeft = Math.max(0, this.maxReplans - (snapshot.version - 1));
      const view: JoinView = { snapshot, states, replansLeft };
      const d = this.joiner(view);
      if (d.action === "answer") return this.end(snapshot, "answered", d.answer);
      const reason = d.reason;
      if (d.action === "fail" || replansLeft === 0 || this.o.replanner === undefined) {
        const why = d.action === "replan" ? `${reason} (no replans left)` : reason;
        return this.end(snapshot, "failed", undefined, new AiosError("E_TOOL", `plan ${planId} v${snapshot.version}: ${why}`, { details: { path: "plan", planId } }).toJSON());
      }
      const raw = await this.o.replanner.replan(view, reason, this.o.replanContext?.(planId));
      this.o.plans.replan(planId, snapshot.version, raw, reason);
    }
  }

  /**
   * Dispatches ready tasks until nothing runs and nothing more may start (a failure stops new starts).
   * Group commit: each turn journals every record it produced in one transaction — the dispatched
   * records of the tasks it starts (before they are called) and the results that arrived since the
   * last turn (before any consumer sees them). One fsync per turn, not per record.
   */
  private async drive(snap: PlanSnapshot, states: Map<string, TaskState>): Promise<void> {
    const running = new Map<string, Promise<void>>();
    const settled: Settled[] = [];
    const base = (t: Task, s: TaskState) => ({ type: "task", planId: snap.planId, version: snap.version, taskId: t.id, attempt: s.attempt }) as const;
    for (;;) {
      // Interrupted: what the dispatches ended with is the shutdown's doing, not the tasks' (run() throws).
      if (this.interrupted) return;
      const recs: TaskRecord[] = [];
      for (const { task, state, result } of settled.splice(0)) {
        if (result.ok) {
          state.status = "done";
          state.output = result.output;
          recs.push({ ...base(task, state), state: "done", output: result.output, at: this.o.clock.now() });
        } else {
          state.status = "failed";
          state.error = result.error.toJSON();
          recs.push({ ...base(task, state), state: "failed", error: state.error, at: this.o.clock.now() });
        }
      }
      const starting: { task: Task; state: TaskState; inputs: Record<string, unknown> }[] = [];
      if (![...states.values()].some((s) => s.status === "failed")) {
        for (const task of snap.graph.tasks) {
          if (running.size + starting.length >= this.concurrency) break;
          const state = states.get(task.id);
          if (state?.status !== "waiting" || !dependenciesOf(task).every((d) => states.get(d)?.status === "done")) continue;
          const inputs = assemble(task, states);
          const bad = task.inputSchema === undefined ? undefined : compileJsonSchema(task.inputSchema, `task "${task.id}" inputSchema`)(inputs);
          if (bad !== undefined && !bad.ok) {
            // a type error upstream of this task: it is never dispatched
            state.status = "failed";
            state.error = new AiosError("E_INVALID_ARG", `task "${task.id}" inputs: do not match its inputSchema: ${bad.reason}`, { details: { path: `tasks.${task.id}.inputs`, task: task.id } }).toJSON();
            recs.push({ ...base(task, state), state: "failed", error: state.error, at: this.o.clock.now() });
            continue;
          }
          state.status = "running";
          starting.push({ task, state, inputs });
          recs.push({ ...base(task, state), state: "dispatched", at: this.o.clock.now() });
        }
      }
      this.record(recs);
      for (const { task, state, inputs } of starting) {
        const p = this.call(snap, task, state, inputs).then((result) => {
          running.delete(task.id);
          settled.push({ task, state, result });
        });
        running.set(task.id, p);
      }
      if (running.size === 0 && settled.length === 0) return;
      if (settled.length === 0) await Promise.race(running.values());
    }
  }

  /** One dispatch with its deadline and the output check; never rejects. */
  private async call(snap: PlanSnapshot, task: Task, s: TaskState, inputs: Record<string, unknown>): Promise<Result> {
    const ac = new AbortController();
    this.calls.add(ac);
    let timer: ReturnType<Clock["setTimeout"]> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = this.o.clock.setTimeout(() => {
        const e = new AiosError("E_TIMEOUT", `task "${task.id}": no result within its deadline of ${task.deadlineMs} ms`, { details: { path: `tasks.${task.id}.deadlineMs`, task: task.id } });
        reject(e); // first, so the race settles with E_TIMEOUT, not with the port's reaction to the abort
        ac.abort(e);
      }, task.deadlineMs);
    });
    let output: unknown;
    try {
      const ctx: DispatchContext = { planId: snap.planId, version: snap.version, attempt: s.attempt, key: `${snap.planId}:${task.id}:${s.attempt}`, signal: ac.signal };
      output = await Promise.race([this.o.dispatch(task, inputs, ctx), timeout]);
    } catch (e) {
      return { ok: false, error: toAiosError(e, "E_TOOL") };
    } finally {
      this.calls.delete(ac);
      if (timer !== undefined) this.o.clock.clearTimeout(timer);
    }
    const c = compileJsonSchema(task.outputSchema, `task "${task.id}" outputSchema`)(output);
    if (!c.ok) return { ok: false, error: new AiosError("E_INVALID_ARG", `task "${task.id}" output: does not match its outputSchema: ${c.reason}`, { details: { path: `tasks.${task.id}.output`, task: task.id } }) };
    return { ok: true, output };
  }

  private record(recs: readonly TaskRecord[]): void {
    if (recs.length === 0) return;
    this.o.journal.appendBatch(recs);
    for (const r of recs) this.o.onRecord?.(r);
  }

  private end(snap: PlanSnapshot, outcome: "answered" | "failed", answer?: unknown, error?: SerializedError): PlanOutcome {
    const rec = { type: "end", planId: snap.planId, version: snap.version, outcome, ...(answer === undefined ? {} : { answer }), ...(error === undefined ? {} : { error }), at: this.o.clock.now() } as const;
    this.o.journal.append(rec);
    return outcomeOf(rec);
  }
}

/** A run the shutdown stopped: the plan stays open for the next boot. */
function shutdownError(planId?: string): AiosError {
  return new AiosError("E_SHUTDOWN", planId === undefined ? "the planner is shutting down" : `plan ${planId}: interrupted by the shutdown; it resumes at the next boot`, {
    details: planId === undefined ? {} : { planId },
  });
}

function outcomeOf(end: { planId: string; version: number; outcome: "answered" | "failed"; answer?: unknown; error?: SerializedError }): PlanOutcome {
  return { planId: end.planId, version: end.version, status: end.outcome, ...(end.answer === undefined ? {} : { answer: end.answer }), ...(end.error === undefined ? {} : { error: end.error }) };
}

/** The task's input object: literal values as given, references resolved into producers' outputs. */
export function assemble(task: Task, states: ReadonlyMap<string, Readonly<TaskState>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, ref] of Object.entries(task.inputs)) {
    if ("value" in ref) {
      out[name] = ref.value;
      continue;
    }
    let v: unknown = states.get(ref.from)?.output;
    for (const seg of ref.path?.split(".") ?? []) v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[seg] : undefined;
    out[name] = v;
  }
  return out;
}
