/**
 * The scheduler's decisions as kernel events (DESIGN invariant 4). Every decision a pool or the quota
 * manager takes is one of these; emitters check `bus.wants(type)` first so an unobserved scheduler
 * pays one map look-up per decision and builds no event object.
 */
import type { ErrorCode } from "../core/index.js";

declare module "../core/index.js" {
  interface EventDataMap {
    "sched.enqueued": { pool: string; request: string; policy: string; priority: number; queued: number; resumed: boolean };
    "sched.granted": { pool: string; request: string; waitedMs: number; inUse: number; priority: number };
    "sched.preempted": { pool: string; request: string; by: string };
    "sched.yielded": { pool: string; request: string; heldMs: number };
    "sched.released": { pool: string; request: string; heldMs: number; tokens: number };
    "sched.cancelled": { pool: string; request: string; waitedMs: number };
    "sched.rejected": { pool: string; request?: string; stage: "queue" | "quota"; code: ErrorCode; reason: string };
    "sched.boosted": { agent: string; from: number; to: number; by: string };
  }
}

export {};
