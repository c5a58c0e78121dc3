/**
 * A plan version's task states rebuilt from the journal — the only source of truth, so a fresh run
 * and a run resumed after kill -9 start from the same place. For version v: the outputs carried from
 * version v-1 (a task whose definition and whole upstream are unchanged keeps its output: replanning
 * never redoes finished work), overlaid with v's own task records. A task journaled as dispatched but
 * with no result was in flight at a crash: it is waiting again, with the same attempt number, so its
 * re-dispatch carries the same idempotency key.
 */
import { canonicalJson, type SerializedError } from "../../core/index.js";
import type { PlanRecord, TaskRecord } from "./journal.js";
import { snapshotOf, type PlanSnapshot } from "./plans.js";
import { dependenciesOf, toWire, type TaskGraph } from "./schema.js";

export type TaskStatus = "waiting" | "running" | "done" | "failed";

export interface TaskState {
  status: TaskStatus;
  /** Failed attempts of this task id across the plan's versions. */
  attempt: number;
  output?: unknown;
  error?: SerializedError;
}

export interface RebuiltRun {
  readonly snapshot: PlanSnapshot;
  readonly states: Map<string, TaskState>;
  readonly end?: Extract<PlanRecord, { type: "end" }>;
}

/** Rebuilds the head version's states (and the end record, if the plan already ended). */
export function rebuild(records: readonly PlanRecord[]): RebuiltRun | undefined {
  const versions = records.filter((r): r is Extract<PlanRecord, { type: "version" }> => r.type === "version").sort((a, b) => a.version - b.version);
  if (versions.length === 0) return undefined;
  const failures = new Map<string, number>();
  for (const r of records) if (r.type === "task" && r.state === "failed") failures.set(r.taskId, (failures.get(r.taskId) ?? 0) + 1);
  let prev: { graph: TaskGraph; states: Map<string, TaskState> } | undefined;
  let snapshot: PlanSnapshot | undefined;
  for (const v of versions) {
    snapshot = snapshotOf(v);
    const states = new Map<string, TaskState>();
    for (const t of snapshot.graph.tasks) states.set(t.id, { status: "waiting", attempt: failures.get(t.id) ?? 0 });
    if (prev !== undefined) carry(prev.graph, prev.states, snapshot.graph, states);
    const own = records.filter((r): r is TaskRecord => r.type === "task" && r.version === v.version);
    for (const r of own) {
      const s = states.get(r.taskId);
      if (s === undefined) continue;
      if (r.state === "done") {
        s.status = "done";
        s.output = r.output;
      } else if (r.state === "failed") {
        s.status = "failed";
        if (r.error !== undefined) s.error = r.error;
      }
    }
    prev = { graph: snapshot.graph, states };
  }
  const end = records.find((r): r is Extract<PlanRecord, { type: "end" }> => r.type === "end");
  return { snapshot: snapshot as PlanSnapshot, states: (prev as { states: Map<string, TaskState> }).states, ...(end === undefined ? {} : { end }) };
}

/** Copies done outputs of tasks whose definition and upstream are unchanged into the next version. */
function carry(oldG: TaskGraph, oldS: ReadonlyMap<string, TaskState>, newG: TaskGraph, newS: Map<string, TaskState>): void {
  const oldDefs = new Map(toWire(oldG).tasks.map((t) => [t.id, canonicalJson(t)] as const));
  const newWire = new Map(toWire(newG).tasks.map((t) => [t.id, canonicalJson(t)] as const));
  const same = new Map<string, boolean>();
  const byId = new Map(newG.tasks.map((t) => [t.id, t] as const));
  const unchanged = (id: string): boolean => {
    const hit = same.get(id);
    if (hit !== undefined) return hit;
    same.set(id, false); // graphs are acyclic (validated); this only guards the recursion
    const t = byId.get(id);
    const ok = t !== undefined && oldDefs.get(id) === newWire.get(id) && oldS.get(id)?.status === "done" && dependenciesOf(t).every(unchanged);
    same.set(id, ok);
    return ok;
  };
  for (const t of newG.tasks) {
    const s = newS.get(t.id);
    if (s !== undefined && unchanged(t.id)) {
      s.status = "done";
      s.output = oldS.get(t.id)?.output;
    }
  }
}
