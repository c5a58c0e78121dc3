/**
 * A granted slot. The holder releases it exactly once (further calls are no-ops), optionally telling
 * the tokens it really used so fair-share accounting is exact; a preemptible holder yields it when
 * its PreemptionToken is raised and gets it back later through the same Lease.
 */
import type { PreemptionToken } from "./preemption.js";

export interface Usage {
  /** Tokens the request actually consumed (prompt + completion); defaults to the estimate. */
  readonly tokens?: number;
}

export interface Lease {
  readonly request: string;
  readonly pool: string;
  readonly agent: string;
  /** Time spent queued before the (first) grant, in scheduler-clock ms. */
  readonly waitedMs: number;
  readonly preemption: PreemptionToken;
  release(usage?: Usage): void;
  /**
   * Gives the slot back after preemption was requested and resolves when it is granted again.
   * A no-op when no preemption is pending. Rejects with E_CANCELLED if the request is aborted while
   * re-queued (the lease is then finished) and E_SHUTDOWN when the pool closes.
   */
  yield(): Promise<void>;
}
