/**
 * The plan engine: goal -> planner -> validated version 1 -> executor, and the resume of every open
 * plan after a restart. It owns no state of its own: plans and task states live in the journal, so
 * `resumeOpen()` on a fresh engine over the same journal continues whatever was in flight. Outcomes
 * of plans started here are kept in memory for `outcome()` until read by the caller (the lead's
 * surface: PlanCreate/PlanStatus, os.plan, `aios plan`).
 */
import { AiosError, type Clock, type SerializedError } from "../../core/index.js";
import { Executor, type Dispatch, type PlanOutcome } from "./executor.js";
import type { Joiner } from "./joiner.js";
import type { PlanJournal, TaskRecord } from "./journal.js";
import type { Planner, ReplanContext } from "./planners.js";
import { Plans, type PlanSnapshot } from "./plans.js";
import { rebuild, type TaskStatus } from "./run-state.js";
import type { Submitter } from "./validate.js";

export interface PlanEngineOptions {
  readonly journal: PlanJournal;
  readonly planner: Planner;
  readonly dispatch: Dispatch;
  readonly clock: Clock;
  readonly newId: () => string;
  readonly joiner?: Joiner;
  readonly maxReplans?: number;
  readonly concurrency?: number;
  /** Called after every journaled task record (events for the market view). */
  readonly onRecord?: (rec: TaskRecord) => void;
  /** Called when a run started here ends (answered or failed). */
  readonly onOutcome?: (outcome: PlanOutcome) => void;
  /** What the planner is given when it revises a plan (the plan's span, the door to the models). */
  readonly replanContext?: (planId: string) => ReplanContext | undefined;
}

export interface PlanStatusView {
  readonly planId: string;
  readonly version: number;
  readonly status: "running" | "answered" | "failed";
  readonly tasks: Readonly<Record<string, TaskStatus>>;
  readonly answer?: unknown;
  readonly error?: SerializedError;
}

export class PlanEngine {
  readonly plans: Plans;
  private readonly executor: Executor;
  private readonly inFlight = new Map<string, Promise<PlanOutcome>>();

  constructor(private readonly o: PlanEngineOptions) {
    this.plans = new Plans(o.journal, o.clock, o.newId);
    this.executor = new Executor({
      plans: this.plans, journal: o.journal, dispatch: o.dispatch, clock: o.clock, replanner: o.planner,
      ...(o.joiner === undefined ? {} : { joiner: o.joiner }),
      ...(o.maxReplans === undefined ? {} : { maxReplans: o.maxReplans }),
      ...(o.concurrency === undefined ? {} : { concurrency: o.concurrency }),
      ...(o.onRecord === undefined ? {} : { onRecord: o.onRecord }),
      ...(o.replanContext === undefined ? {} : { replanContext: o.replanContext }),
    });
  }

  /**
   * Plans the goal and commits version 1 (validation errors throw here, before anything runs). `ctx`:
   * the PlanCreate's span and the door to the models, for the planner.
   */
  async create(goal: string, submitter: Submitter, ctx: ReplanContext = {}): Promise<PlanSnapshot> {
    const raw = await this.o.planner.plan(goal, { ...ctx, submitter });
    return this.plans.create(raw, submitter);
  }

  /** Starts (or joins) the run of a plan; the promise settles with its outcome. */
  start(planId: string): Promise<PlanOutcome> {
    const hit = this.inFlight.get(planId);
    if (hit !== undefined) return hit;
    const p = this.executor.run(planId).finally(() => this.inFlight.delete(planId));
    if (this.o.onOutcome !== undefined) {
      const report = this.o.onOutcome;
      p.then(report, () => undefined);
    }
    this.inFlight.set(planId, p);
    return p;
  }

  /** create + start + wait. */
  async plan(goal: string, submitter: Submitter): Promise<PlanOutcome> {
    const snap = await this.create(goal, submitter);
    return this.start(snap.planId);
  }

  /**
   * The kernel is shutting down (before its agents are stopped): runs stop where they are and
   * journal nothing more, so their plans resume at the next boot (Executor.interrupt).
   */
  interrupt(): void {
    this.executor.interrupt();
  }

  /** Resumes every plan the journal holds without an end record. */
  resumeOpen(): Promise<PlanOutcome[]> {
    return Promise.all(this.o.journal.openPlans().map((id) => this.start(id)));
  }

  status(planId: string): PlanStatusView {
    const r = rebuild(this.o.journal.load(planId));
    if (r === undefined) throw new AiosError("E_NOT_FOUND", `plan ${planId}: no such plan`, { details: { path: "planId" } });
    const tasks: Record<string, TaskStatus> = {};
    for (const [id, s] of r.states) tasks[id] = s.status;
    const status = r.end === undefined ? "running" : r.end.outcome;
    return {
      planId, version: r.snapshot.version, status, tasks,
      ...(r.end?.answer === undefined ? {} : { answer: r.end.answer }), ...(r.end?.error === undefined ? {} : { error: r.end.error }),
    };
  }
}
