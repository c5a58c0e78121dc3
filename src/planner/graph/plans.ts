/**
 * Plans as immutable, versioned snapshots (issue #14): version 1 is created from a validated graph;
 * replanning validates the new graph against the same submitter and commits version n+1 with parent
 * n by compare-and-set on the version the caller expected (E_CONFLICT when someone replanned first).
 * Snapshots are frozen and never change; the journal holds them all, so any version can be read.
 */
import { AiosError, type Clock } from "../../core/index.js";
import { headOf, type PlanJournal, type VersionRecord } from "./journal.js";
import { toWire, type TaskGraph } from "./schema.js";
import { validateGraph, type Submitter } from "./validate.js";

export interface PlanSnapshot {
  readonly planId: string;
  readonly version: number;
  readonly parent: number | null;
  readonly graph: TaskGraph;
  readonly submitter: Submitter;
  readonly reason: string;
  readonly at: number;
}

export class Plans {
  constructor(
    private readonly journal: PlanJournal,
    private readonly clock: Clock,
    private readonly newId: () => string,
  ) {}

  /** Validates `raw` and commits it as version 1 of a new plan. */
  create(raw: unknown, submitter: Submitter, reason = "created"): PlanSnapshot {
    const graph = validateGraph(raw, submitter);
    return this.commit(this.newId(), 1, null, graph, submitter, reason);
  }

  /** Validates `raw` and commits it as version expected+1; E_CONFLICT when the head is not `expected`. */
  replan(planId: string, expected: number, raw: unknown, reason: string): PlanSnapshot {
    const head = this.head(planId);
    if (head.version !== expected) throw new AiosError("E_CONFLICT", `plan ${planId}: expected version ${expected} but the head is ${head.version}`, { details: { path: "expectedVersion", planId, expected, head: head.version } });
    const graph = validateGraph(raw, head.submitter);
    return this.commit(planId, expected + 1, expected, graph, head.submitter, reason);
  }

  head(planId: string): PlanSnapshot {
    const recs = this.journal.load(planId);
    const v = headOf(recs);
    if (v === 0) throw new AiosError("E_NOT_FOUND", `plan ${planId}: no such plan`, { details: { path: "planId" } });
    return this.get(planId, v);
  }

  get(planId: string, version: number): PlanSnapshot {
    const rec = this.journal.load(planId).find((r): r is VersionRecord => r.type === "version" && r.version === version);
    if (rec === undefined) throw new AiosError("E_NOT_FOUND", `plan ${planId}: no version ${version}`, { details: { path: "version" } });
    return snapshotOf(rec);
  }

  /** Every version, oldest first. */
  history(planId: string): PlanSnapshot[] {
    return this.journal.load(planId).filter((r): r is VersionRecord => r.type === "version").map(snapshotOf);
  }

  private commit(planId: string, version: number, parent: number | null, graph: TaskGraph, submitter: Submitter, reason: string): PlanSnapshot {
    const at = this.clock.now();
    this.journal.appendVersion({
      type: "version", planId, version, parent, graph: toWire(graph),
      submitter: { capabilities: [...submitter.capabilities], budget: submitter.budget.toString() }, reason, at,
    });
    return Object.freeze({ planId, version, parent, graph, submitter: Object.freeze({ capabilities: Object.freeze([...submitter.capabilities]), budget: submitter.budget }), reason, at });
  }
}

/** A journaled version back as a snapshot (re-validated: the journal is data, not trusted code). */
export function snapshotOf(rec: VersionRecord): PlanSnapshot {
  const submitter: Submitter = { capabilities: rec.submitter.capabilities, budget: BigInt(rec.submitter.budget) };
  return Object.freeze({ planId: rec.planId, version: rec.version, parent: rec.parent, graph: validateGraph(rec.graph, submitter), submitter, reason: rec.reason, at: rec.at });
}
