/**
 * The plan journal port: an append-only record of plan versions and task state changes, so a plan in
 * flight survives kill -9 and continues (issue #14 "Everything is journaled"). Records are plain
 * JSON (budgets as decimal strings). Invariants every implementation keeps:
 *  - `appendVersion` is the compare-and-set: it stores version v only when the plan's head is v-1
 *    (v = 1: no version yet) and throws E_CONFLICT otherwise, atomically;
 *  - records come back from `load` in append order;
 *  - an acknowledged append is durable (the SQLite implementation commits with synchronous=FULL).
 * MemoryPlanJournal is the in-process implementation for tests and ephemeral plans.
 */
import { AiosError, type SerializedError } from "../../core/index.js";
import type { TaskGraphWire } from "./schema.js";

export interface VersionRecord {
  readonly type: "version";
  readonly planId: string;
  readonly version: number;
  readonly parent: number | null;
  readonly graph: TaskGraphWire;
  readonly submitter: { readonly capabilities: readonly string[]; readonly budget: string };
  readonly reason: string;
  readonly at: number;
}

export interface TaskRecord {
  readonly type: "task";
  readonly planId: string;
  readonly version: number;
  readonly taskId: string;
  readonly state: "dispatched" | "done" | "failed";
  /** Failed attempts of this task before this one (the dispatch key's suffix). */
  readonly attempt: number;
  readonly output?: unknown;
  readonly error?: SerializedError;
  /** A done record copied from an earlier version at replanning, not a new run. */
  readonly carried?: boolean;
  readonly at: number;
}

export interface EndRecord {
  readonly type: "end";
  readonly planId: string;
  readonly version: number;
  readonly outcome: "answered" | "failed";
  readonly answer?: unknown;
  readonly error?: SerializedError;
  readonly at: number;
}

export type PlanRecord = VersionRecord | TaskRecord | EndRecord;

export interface PlanJournal {
  /** Compare-and-set on the plan's head version; E_CONFLICT when `rec.version - 1` is not the head. */
  appendVersion(rec: VersionRecord): void;
  append(rec: TaskRecord | EndRecord): void;
  /** Several records in one atomic, durable commit (the executor's group commit), in order. */
  appendBatch(recs: readonly (TaskRecord | EndRecord)[]): void;
  load(planId: string): readonly PlanRecord[];
  /** Plans with a version and no end record (what a restarted daemon resumes). */
  openPlans(): readonly string[];
  close(): void;
}

export function conflict(planId: string, expected: number, head: number): AiosError {
  return new AiosError("E_CONFLICT", `plan ${planId}: expected version ${expected} but the head is ${head}`, { details: { path: "expectedVersion", planId, expected, head } });
}

export class MemoryPlanJournal implements PlanJournal {
  private readonly plans = new Map<string, PlanRecord[]>();

  appendVersion(rec: VersionRecord): void {
    const recs = this.plans.get(rec.planId) ?? [];
    const head = headOf(recs);
    if (head !== rec.version - 1) throw conflict(rec.planId, rec.version - 1, head);
    recs.push(structuredClone(rec));
    this.plans.set(rec.planId, recs);
  }

  append(rec: TaskRecord | EndRecord): void {
    const recs = this.plans.get(rec.planId);
    if (recs === undefined) throw new AiosError("E_NOT_FOUND", `plan ${rec.planId}: no such plan`, { details: { path: "planId" } });
    recs.push(structuredClone(rec));
  }

  appendBatch(recs: readonly (TaskRecord | EndRecord)[]): void {
    for (const r of recs) if (!this.plans.has(r.planId)) throw new AiosError("E_NOT_FOUND", `plan ${r.planId}: no such plan`, { details: { path: "planId" } });
    for (const r of recs) this.append(r);
  }

  load(planId: string): readonly PlanRecord[] {
    return structuredClone(this.plans.get(planId) ?? []);
  }

  openPlans(): readonly string[] {
    return [...this.plans].filter(([, recs]) => !recs.some((r) => r.type === "end")).map(([id]) => id);
  }

  close(): void {}
}

/** The highest version among the records (0 when there is none). */
export function headOf(recs: readonly PlanRecord[]): number {
  let head = 0;
  for (const r of recs) if (r.type === "version" && r.version > head) head = r.version;
  return head;
}
