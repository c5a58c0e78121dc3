/**
 * ipcSubsystem: ipc/ as a factory (abi/subsystem.ts). It builds the Ipc service over the host port
 * (deliver, the live agents), takes over SemanticSend (the kernel's plain-letter default stays
 * reachable: a SemanticSend without envelope fields is still a plain letter), provides SemanticRecv,
 * SemanticSubscribe, AgentRegister and the stream syscalls, the "ipc.pipeline" logic (spec syntax
 * for pipelines), and forgets ended agents' subscriptions, skills and inboxes. Keys come from the
 * `security` service's identities when it is present, else from a private in-memory store. When the
 * `store` service is present it re-seeds each durable agent's de-duplication window from what the
 * journal kept: the ids of its unacknowledged mail and of the last handled messages (store
 * SEEN_WINDOW), so a redelivered message is still dropped after a restart.
 */
import { Identities, MemoryKeyStore } from "../security/index.js";
import { isTerminal, type RecoveredState, type Subsystem } from "../abi/index.js";
import { adaptEmbedder, type IntentEmbedder } from "./intents.js";
import { Ipc, type IpcOptions } from "./ipc.js";
import { pipelineLogic } from "./pipeline-agent.js";
import { remoteMailGate } from "./remote-gate.js";
import type { IpcPort } from "./port.js";
import { keysFromIdentities, type MessageKeys } from "./signing.js";
import { ipcSyscalls } from "./syscalls.js";

export interface IpcSubsystemOptions extends Omit<IpcOptions, "keys" | "embedder"> {
  /** security/ identities to sign with (default: the `security` service's, when it is built before ipc). */
  readonly identities?: Identities;
  /** A key source other than identities (takes precedence). */
  readonly keys?: MessageKeys;
  /** Enables intent routing; memory/'s Embedder ({ dim, embed }) is accepted as it is. */
  readonly embedder?: IntentEmbedder | { readonly dim: number; embed(texts: readonly string[]): Promise<Float32Array[]> };
}

/** What ipc uses of the services before it, when they are there. */
export interface IpcUses {
  readonly security?: { readonly identities: Identities };
  readonly store?: { readonly recovered: RecoveredState };
}

/** Re-seeds durable agents' de-duplication windows from the journal's recovered state. */
function restoreSeenWindows(state: RecoveredState, ipc: Ipc): void {
  for (const a of state.agents) {
    const pending: string[] = [];
    for (const m of state.mailboxes.get(a.id) ?? []) if (m.key !== undefined) pending.push(m.key);
    if ((a.seen?.length ?? 0) + pending.length > 0) ipc.seen.import(a.id, [...(a.seen ?? []), ...pending]);
  }
}

export function ipcSubsystem(o: IpcSubsystemOptions = {}): Subsystem<"ipc", Ipc, IpcUses> {
  return {
    name: "ipc",
    needs: [],
    uses: ["security", "store"],
    build(host, uses) {
      const port: IpcPort = {
        clock: host.clock,
        ids: host.ids,
        events: host.events,
        deliver: (from, to, payload, onFull, reply, key) => host.deliver(from, to, payload, onFull, reply, key),
        remote: () => host.remoteMail(),
        topics: () => host.remoteTopics(),
        skills: () => host.remoteSkills(),
        agent: (id) => host.agent(id),
        replayableSendId: (agent) => host.replayableSendId(agent),
        agents: () => host.agents(),
      };
      const keys = o.keys ?? keysFromIdentities(o.identities ?? uses.security?.identities ?? new Identities(new MemoryKeyStore(), host.clock));
      const { identities: _i, keys: _k, embedder, ...rest } = o;
      const svc = new Ipc(port, { ...rest, keys, ...(embedder === undefined ? {} : { embedder: adaptEmbedder(embedder) }) });
      if (uses.store !== undefined) restoreSeenWindows(uses.store.recovered, svc);
      // Lifecycle events arrive asynchronously; until then routing skips ended agents by status.
      const sub = host.events.subscribe({ types: ["agent.transition"] }, (e) => {
        if (e.type !== "agent.transition" || e.agent === undefined || !isTerminal(e.data.to)) return;
        const p = host.agent(e.agent);
        // A supervised agent restarts under the same id: keep what it registered unless it is gone for good.
        if (p !== undefined && !isTerminal(p.status)) return;
        svc.forget(e.agent, p?.durable ?? false);
      });
      return {
        service: svc,
        // The deterministic backstop of the event above (the bus may drop events): gone for good,
        // so its de-duplication window goes too.
        gone: (agent) => svc.forget(agent, false),
        replaces: ipcSyscalls(svc),
        // Mail from other cluster nodes passes the same receive-side checks (docs/adr/0038).
        // Agents that require signed messages take no plain letter (docs/adr/0083): the gate is in
        // the kernel's door while some setting says "required".
        stages: { remoteMail: remoteMailGate(svc), plainMail: { refuses: (to) => svc.refusesPlain(to), watch: (f) => svc.signatures.watch(f) } },
        logics: { "ipc.pipeline": pipelineLogic(svc) },
        stop: () => sub.unsubscribe(),
      };
    },
  };
}
