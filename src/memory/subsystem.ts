/**
 * memorySubsystem: the memory fabric as a factory (abi/subsystem.ts). It opens the fabric on the
 * host's clock and event bus, provides the memory syscalls, lets the door's capability checker
 * decide shared/global access for agents (the SDK's own calls, made as "system", keep the fabric's
 * default rules), takes per-agent quotas from each agent spec's `memory` block, sweeps expired
 * records on the kernel clock, and flushes working memory and closes the store at shutdown. Its
 * service (`memory`) is the fabric and the working memory.
 */
import type { Subsystem } from "../abi/index.js";
import { scopeResource } from "./access.js";
import { MemoryFabric, type MemoryFabricOptions } from "./fabric.js";
import { memoryAdminSyscalls } from "./admin-syscalls.js";
import { memorySyscalls } from "./syscalls.js";
import { WorkingMemory } from "./working.js";

export interface MemorySubsystemOptions extends Omit<MemoryFabricOptions, "clock" | "events" | "scopeAccess"> {
  /** Sweep expired records this often (kernel clock); off when absent. */
  readonly sweepIntervalMs?: number;
  /** Working-memory write-behind delay (default 1000 ms). */
  readonly workingFlushMs?: number;
}

export interface MemoryService {
  readonly fabric: MemoryFabric;
  readonly working: WorkingMemory;
}

export function memorySubsystem(options: MemorySubsystemOptions): Subsystem<"memory", MemoryService> {
  return {
    name: "memory",
    needs: [],
    async build(host) {
      const f = await MemoryFabric.open({
        ...options,
        clock: host.clock,
        events: host.events,
        ...(options.ids === undefined ? { ids: host.ids } : {}),
        scopeAccess: (actor, scope, action) => {
          const p = host.agent(actor.agent);
          return p === undefined ? undefined : host.guards.capabilities.check(p, { resource: scopeResource(scope), action }).allowed;
        },
        quotas: {
          ...options.quotas,
          lookup: (agent) => {
            const m = host.agent(agent)?.spec.memory;
            return m === undefined ? undefined : { ...(m.maxBytes === undefined ? {} : { maxBytes: m.maxBytes }), ...(m.maxRecords === undefined ? {} : { maxRecords: m.maxRecords }) };
          },
          // A child's records count against every agent above it that created it (a supervisor acts
          // for its creator and is skipped): a limit bounds the whole spawn tree.
          creators: (agent) => {
            const out: string[] = [];
            for (let p = host.agent(agent)?.parent ?? null; p !== null; p = p.parent) if (p.spec.kind !== "supervisor") out.push(p.id);
            return out;
          },
        },
      });
      const w = new WorkingMemory(f, host.clock, options.workingFlushMs, (e) => host.logger.warn({ err: e }, "working-memory flush failed"));
      let stopped = false;
      if (options.sweepIntervalMs !== undefined) {
        const every = options.sweepIntervalMs;
        const tick = (): void => {
          void f.sweep().catch((e: unknown) => host.logger.warn({ err: e }, "memory sweep failed")).finally(() => {
            if (!stopped) host.clock.setTimeout(tick, every);
          });
        };
        host.clock.setTimeout(tick, every);
      }
      return {
        service: { fabric: f, working: w },
        syscalls: [...memorySyscalls(f), ...memoryAdminSyscalls(f)],
        stop: async () => {
          stopped = true;
          try {
            await w.flush();
          } finally {
            await f.close();
          }
        },
      };
    },
  };
}
