/**
 * How sched/ joins the kernel: installs an InferenceScheduler as `guards.scheduler` and a Quotas as
 * `guards.quota`, closes the pools at shutdown, and keeps both reachable (`plugin.scheduler`,
 * `plugin.quotas`) for the models module's providers, which use the richer lease API.
 */
import { AiosError } from "../core/index.js";
import type { Kernel, Plugin } from "../kernel/index.js";
import { parseConfig, SchedConfigSchema, type SchedConfigInput } from "./config.js";
import { Quotas } from "./quota.js";
import { InferenceScheduler } from "./scheduler.js";

export interface SchedPlugin extends Plugin {
  /** The installed scheduler (E_INTERNAL before install). */
  readonly scheduler: InferenceScheduler;
  /** The installed quota manager, or undefined when quotas are off. */
  readonly quotas: Quotas | undefined;
}

/**
 * `schedPlugin({ pools: { local: { capacity: 4, policy: "priority", agingMs: 2000 } },
 *   defaultPool: { capacity: 8, policy: "fifo" }, quotas: { agent: { rpm: 60, tpm: 100000 } } })`
 */
export function schedPlugin(options: SchedConfigInput = {}): SchedPlugin {
  const cfg = parseConfig(SchedConfigSchema, options, "sched");
  let scheduler: InferenceScheduler | undefined;
  let quotas: Quotas | undefined;
  return {
    name: "sched",
    get scheduler(): InferenceScheduler {
      if (scheduler === undefined) throw new AiosError("E_INTERNAL", "schedPlugin: not installed yet");
      return scheduler;
    },
    get quotas(): Quotas | undefined {
      return quotas;
    },
    install(kernel: Kernel): void {
      scheduler = new InferenceScheduler({
        clock: kernel.clock,
        events: kernel.events,
        pools: cfg.pools,
        tenantWeights: cfg.tenantWeights,
        ...(cfg.defaultPool === undefined ? {} : { defaultPool: cfg.defaultPool }),
      });
      kernel.guards.scheduler = scheduler;
      if (cfg.quotas !== undefined) {
        quotas = new Quotas({ clock: kernel.clock, events: kernel.events, config: cfg.quotas });
        kernel.guards.quota = quotas;
      }
      const s = scheduler;
      kernel.onShutdown(() => s.close());
    },
  };
}
