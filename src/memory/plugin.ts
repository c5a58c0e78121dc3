/**
 * memoryPlugin: joins the fabric to a kernel. It opens the fabric on the kernel's clock and event
 * bus, registers the memory syscalls, lets the kernel's capability checker decide shared/global
 * access for agents (the SDK's own calls, made as "system", keep the fabric's default rules),
 * takes per-agent quotas from each agent spec's `memory` block, sweeps expired records on the
 * kernel clock, and flushes working memory and closes the store at shutdown.
 */
import { AiosError } from "../core/index.js";
import type { Kernel, Plugin } from "../kernel/index.js";
import { scopeResource } from "./access.js";
import { MemoryFabric, type MemoryFabricOptions } from "./fabric.js";
import { memorySyscalls } from "./syscalls.js";
import { WorkingMemory } from "./working.js";

export interface MemoryPluginOptions extends Omit<MemoryFabricOptions, "clock" | "events" | "scopeAccess"> {
  /** Sweep expired records this often (kernel clock); off when absent. */
  readonly sweepIntervalMs?: number;
  /** Working-memory write-behind delay (default 1000 ms). */
  readonly workingFlushMs?: number;
}

export interface MemoryPlugin extends Plugin {
  readonly fabric: MemoryFabric;
  readonly working: WorkingMemory;
}

export function memoryPlugin(options: MemoryPluginOptions): MemoryPlugin {
  let fabric: MemoryFabric | undefined;
  let working: WorkingMemory | undefined;
  return {
    name: "memory",
    async install(kernel: Kernel) {
      const f = await MemoryFabric.open({
        ...options,
        clock: kernel.clock,
        events: kernel.events,
        ...(options.ids === undefined ? { ids: kernel.ids } : {}),
        scopeAccess: (actor, scope, action) => {
          const p = kernel.find(actor.agent);
          return p === undefined ? undefined : kernel.guards.capabilities.check(p, { resource: scopeResource(scope), action }).allowed;
        },
        quotas: {
          ...options.quotas,
          lookup: (agent) => {
            const m = kernel.find(agent)?.spec.memory;
            return m === undefined ? undefined : { ...(m.maxBytes === undefined ? {} : { maxBytes: m.maxBytes }), ...(m.maxRecords === undefined ? {} : { maxRecords: m.maxRecords }) };
          },
        },
      });
      fabric = f;
      const w = new WorkingMemory(f, kernel.clock, options.workingFlushMs, (e) => kernel.logger.warn({ err: e }, "working-memory flush failed"));
      working = w;
      for (const def of memorySyscalls(f)) kernel.syscalls.register(def);
      if (options.sweepIntervalMs !== undefined) {
        const every = options.sweepIntervalMs;
        const tick = (): void => {
          void f.sweep().catch((e: unknown) => kernel.logger.warn({ err: e }, "memory sweep failed")).finally(() => {
            if (!stopped) kernel.clock.setTimeout(tick, every);
          });
        };
        let stopped = false;
        kernel.clock.setTimeout(tick, every);
        kernel.onShutdown(() => void (stopped = true));
      }
      kernel.onShutdown(async () => {
        try {
          await w.flush();
        } finally {
          await f.close();
        }
      });
    },
    get fabric(): MemoryFabric {
      if (fabric === undefined) throw new AiosError("E_INTERNAL", "memoryPlugin: not installed yet");
      return fabric;
    },
    get working(): WorkingMemory {
      if (working === undefined) throw new AiosError("E_INTERNAL", "memoryPlugin: not installed yet");
      return working;
    },
  };
}
