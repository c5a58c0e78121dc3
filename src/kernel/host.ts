/**
 * The SubsystemHost (abi/subsystem.ts) over a kernel: the one object every subsystem factory is
 * handed. Plain closures over the kernel's public operations, so a subsystem never holds the Kernel
 * class and cannot reach the process table, the guards' setters or any other internal.
 */
import type { AgentId } from "../core/index.js";
import type { AgentView, SubsystemHost } from "../abi/index.js";
import type { Kernel } from "./kernel.js";

export function subsystemHost(k: Kernel): SubsystemHost {
  const guards = k.guards;
  return {
    clock: k.clock,
    ids: k.ids,
    logger: k.logger,
    events: k.events,
    maxParkedSenders: k.limits.maxParkedSenders,
    guards: {
      get capabilities() {
        return guards.capabilities;
      },
      get audit() {
        return guards.audit;
      },
      get remoteMail() {
        return guards.remoteMail;
      },
    },
    agent: (id): AgentView | undefined => k.find(id),
    agents: (): Iterable<AgentView> => k.table.values(),
    setTaint(id, labels) {
      const p = k.find(id);
      if (p !== undefined) p.taint = labels;
    },
    deliver: (from, to, payload, onFull, reply, key) => k.deliver(from === undefined ? undefined : k.find(from), to, payload, onFull, reply, key),
    replayableSendId: (agent) => k.replayableSendId(agent),
    invoke: (caller, name, args) => k.dispatcher.invoke(caller, name, args),
    request: (to, payload, timeoutMs, from, trace) => k.request(from === undefined ? undefined : k.find(from), to, payload, timeoutMs, trace),
    spawnAs: (creator, spec) => k.spawnAs(creator, spec),
    wait: (id: AgentId) => k.wait(id),
    hasSyscall: (name) => k.syscalls.get(name) !== undefined,
    kernelError: (e, where) => k.kernelError(e, where),
    adoptAgents: (state) => k.recovery.adopt(state),
    evictAgents: (ids, reason) => k.evict(ids, reason),
    adoptMail: (to, letters) => k.adoptMail(to, letters),
    remoteDown: (d) => k.remoteDown(d),
    stopAgent: (id, reason) => k.stopAgent(id, reason),
    remoteMail: () => guards.journal?.enqueueRemote !== undefined,
    remoteTopics: () => guards.journal?.topics,
    remoteSkills: () => guards.journal?.skills,
  };
}
