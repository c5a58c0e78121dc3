/**
 * schedSubsystem: sched/ as a factory (abi/subsystem.ts). It provides the door's scheduler stage (an
 * InferenceScheduler) and, when quotas are configured, its quota stage (a Quotas); closes the pools at
 * shutdown; its service (`sched`) keeps both reachable for the models' providers, which use the
 * richer lease API.
 */
import type { Subsystem } from "../abi/index.js";
import { parseConfig, SchedConfigSchema, type SchedConfigInput } from "./config.js";
import { Quotas } from "./quota.js";
import { InferenceScheduler } from "./scheduler.js";

export interface SchedService {
  readonly scheduler: InferenceScheduler;
  /** Undefined when quotas are off. */
  readonly quotas: Quotas | undefined;
}

/**
 * `schedSubsystem({ pools: { local: { capacity: 4, policy: "priority", agingMs: 2000 } },
 *   defaultPool: { capacity: 8, policy: "fifo" }, quotas: { agent: { rpm: 60, tpm: 100000 } } })`
 */
export function schedSubsystem(options: SchedConfigInput = {}): Subsystem<"sched", SchedService> {
  const cfg = parseConfig(SchedConfigSchema, options, "sched");
  return {
    name: "sched",
    needs: [],
    build(host) {
      const scheduler = new InferenceScheduler({
        clock: host.clock,
        events: host.events,
        pools: cfg.pools,
        tenantWeights: cfg.tenantWeights,
        ...(cfg.defaultPool === undefined ? {} : { defaultPool: cfg.defaultPool }),
      });
      const quotas = cfg.quotas === undefined ? undefined : new Quotas({ clock: host.clock, events: host.events, config: cfg.quotas });
      return {
        service: { scheduler, quotas },
        stages: { scheduler, ...(quotas === undefined ? {} : { quota: quotas }) },
        gone: (agent) => quotas?.forget(agent),
        stop: () => scheduler.close(),
      };
    },
  };
}
