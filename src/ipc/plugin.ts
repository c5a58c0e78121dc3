/**
 * ipcPlugin: joins ipc/ to the kernel through the Plugin seam. It builds the Ipc service over a
 * port made of the kernel's public API (deliver, find, the process table), takes over SemanticSend
 * (the kernel's plain-letter default stays reachable: a SemanticSend without envelope fields is
 * still a plain letter), registers SemanticRecv, SemanticSubscribe and AgentRegister, the
 * "ipc.pipeline" logic (spec syntax for pipelines), and forgets ended agents' subscriptions, skills
 * and inboxes. Keys come from security/ identities when given, else from a private in-memory store.
 * With a journal installed before it (the store plugin), install re-seeds each durable agent's
 * de-duplication window from what the journal kept: the ids of its unacknowledged mail and of the
 * last handled messages (store SEEN_WINDOW), so a redelivered message is still dropped after a restart.
 */
import { Identities, MemoryKeyStore } from "../security/index.js";
import { isTerminal } from "../abi/index.js";
import { type Kernel, type Plugin } from "../kernel/index.js";
import { adaptEmbedder, type IntentEmbedder } from "./intents.js";
import { Ipc, type IpcOptions } from "./ipc.js";
import { pipelineLogic } from "./pipeline-agent.js";
import type { IpcPort } from "./port.js";
import { keysFromIdentities, type MessageKeys } from "./signing.js";
import { ipcSyscalls } from "./syscalls.js";

export interface IpcPluginOptions extends Omit<IpcOptions, "keys" | "embedder"> {
  /** security/ identities, or a function returning them (securityPlugin's object exists only after its install). */
  readonly identities?: Identities | (() => Identities);
  /** A key source other than identities (takes precedence). */
  readonly keys?: MessageKeys;
  /** Enables intent routing; memory/'s Embedder ({ dim, embed }) is accepted as it is. */
  readonly embedder?: IntentEmbedder | { readonly dim: number; embed(texts: readonly string[]): Promise<Float32Array[]> };
}

export interface IpcPlugin extends Plugin {
  /** The installed service; throws before install(). */
  readonly ipc: Ipc;
}

const installed = new WeakMap<Kernel, Ipc>();

/** The journal's recovered state, read once at install (before agents are restored and run). */
async function restoreSeenWindows(kernel: Kernel, ipc: Ipc): Promise<void> {
  const journal = kernel.guards.journal;
  if (journal === undefined) return;
  const state = await journal.recover();
  for (const a of state.agents) {
    const pending: string[] = [];
    for (const m of state.mailboxes.get(a.id) ?? []) if (m.key !== undefined) pending.push(m.key);
    if ((a.seen?.length ?? 0) + pending.length > 0) ipc.seen.import(a.id, [...(a.seen ?? []), ...pending]);
  }
}

/** The Ipc service installed on a kernel (E_CONFIG when ipcPlugin is not installed). */
export function ipcOfKernel(k: Kernel): Ipc | undefined {
  return installed.get(k);
}

export function ipcPlugin(o: IpcPluginOptions = {}): IpcPlugin {
  let ipc: Ipc | undefined;
  return {
    name: "ipc",
    async install(kernel: Kernel) {
      const port: IpcPort = {
        clock: kernel.clock,
        ids: kernel.ids,
        events: kernel.events,
        deliver: (from, to, payload, onFull, reply, key) => kernel.deliver(from === undefined ? undefined : kernel.find(from), to, payload, onFull, reply, key),
        agent: (id) => kernel.find(id),
        agents: () => kernel.table.values(),
      };
      const ids = typeof o.identities === "function" ? o.identities() : o.identities;
      const keys = o.keys ?? keysFromIdentities(ids ?? new Identities(new MemoryKeyStore(), kernel.clock));
      const { identities: _i, keys: _k, embedder, ...rest } = o;
      const svc = new Ipc(port, { ...rest, keys, ...(embedder === undefined ? {} : { embedder: adaptEmbedder(embedder) }) });
      ipc = svc;
      installed.set(kernel, svc);
      for (const def of ipcSyscalls(kernel, svc)) kernel.syscalls.replace(def);
      kernel.registerLogic("ipc.pipeline", pipelineLogic(svc));
      await restoreSeenWindows(kernel, svc);
      // Lifecycle events arrive asynchronously; until then routing skips ended agents by status.
      const sub = kernel.events.subscribe({ types: ["agent.transition"] }, (e) => {
        if (e.type !== "agent.transition" || e.agent === undefined || !isTerminal(e.data.to)) return;
        const p = kernel.find(e.agent);
        // A supervised agent restarts under the same id: keep what it registered unless it is gone for good.
        if (p !== undefined && !isTerminal(p.status)) return;
        svc.forget(e.agent, p?.durable ?? false);
      });
      kernel.onShutdown(() => sub.unsubscribe());
    },
    get ipc(): Ipc {
      if (ipc === undefined) throw new Error("ipcPlugin: not installed yet");
      return ipc;
    },
  };
}
