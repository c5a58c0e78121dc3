/**
 * The lifecycle operations beyond spawn/pause/kill — clone, upgrade, merge, split, specialize —
 * and LLM runs, over the SDK facade. Each operation is the kernel's (hooks that may veto, events,
 * journal, audit of the transitions); this file only turns JSON into its arguments. A run spawns
 * an llm agent for the goal, forwards its model's text pieces (`model.token` events of that agent
 * alone) while it works, answers the result and ends the agent, also when the caller goes away.
 */
import { AiosError, type AgentId } from "../core/index.js";
import { loadSpecFile, parseSpec, type AgentSpecInput } from "../abi/index.js";
import type { AgentInfo } from "../kernel/index.js";
import type { LlmAnswer } from "../models/index.js";
import type { Aios } from "../sdk/index.js";
import { combineBy, splitBy } from "./ops-strategies.js";
import type { MergeInput, RunInput, SplitInput } from "./schemas-agents.js";

/**
 * A spec patch from a request body as the SDK's type. Not a validation: the kernel parses the
 * whole spec the patch produces (name, kind, capabilities, module roots) before anything changes.
 */
const patch = (o: Record<string, unknown>): Partial<AgentSpecInput> => o;

export interface AgentOpsApi {
  clone(id: string, overrides?: Record<string, unknown>): Promise<{ id: AgentId }>;
  upgrade(id: string, spec: Record<string, unknown>): Promise<AgentInfo>;
  merge(id: string, input: MergeInput): Promise<{ id: AgentId }>;
  split(id: string, input: SplitInput): Promise<{ ids: [AgentId, AgentId] }>;
  specialize(id: string, narrow: Record<string, unknown>): Promise<{ id: AgentId }>;
}

export interface RunsApi {
  /** Runs `goal` on a fresh llm agent; `onChunk` gets the model's text as it streams. */
  run(input: RunInput, onChunk?: (text: string) => void, signal?: AbortSignal): Promise<LlmAnswer & { readonly agent: AgentId }>;
}

export class AgentOpsPlane implements AgentOpsApi {
  constructor(private readonly os: Aios) {}

  async clone(id: string, overrides?: Record<string, unknown>): Promise<{ id: AgentId }> {
    return { id: await this.os.clone(id, overrides === undefined ? undefined : patch(overrides)) };
  }
  async upgrade(id: string, spec: Record<string, unknown>): Promise<AgentInfo> {
    await this.os.upgrade(id, { spec: patch(spec) });
    return this.os.status(id);
  }
  async merge(id: string, b: MergeInput): Promise<{ id: AgentId }> {
    return { id: await this.os.merge(id, b.with, { combine: combineBy(b.combine), ...(b.spec === undefined ? {} : { spec: patch(b.spec) as AgentSpecInput }) }) };
  }
  async split(id: string, b: SplitInput): Promise<{ ids: [AgentId, AgentId] }> {
    const specs = b.specs?.map((s) => (s === null ? undefined : (patch(s) as AgentSpecInput))) as [AgentSpecInput?, AgentSpecInput?] | undefined;
    return { ids: await this.os.split(id, { split: splitBy(b), ...(specs === undefined ? {} : { specs }) }) };
  }
  async specialize(id: string, narrow: Record<string, unknown>): Promise<{ id: AgentId }> {
    return { id: await this.os.specialize(id, patch(narrow)) };
  }
}

export class RunsPlane implements RunsApi {
  constructor(private readonly os: Aios) {}

  async run(b: RunInput, onChunk?: (text: string) => void, signal?: AbortSignal): Promise<LlmAnswer & { readonly agent: AgentId }> {
    const base = b.specPath !== undefined ? await loadSpecFile(b.specPath) : (b.spec ?? {});
    const spec = parseSpec({ ...base, kind: "llm", goal: b.goal }, "body.spec");
    const id = await this.os.spawn(spec);
    const unsubscribe = onChunk === undefined ? undefined : this.os.events.subscribe({ types: ["model.token"], agent: id }, (e) => {
      if (e.type === "model.token") onChunk((e.data as { text: string }).text);
    });
    const stop = (): void => void this.os.kill(id, "the run's caller went away").catch(() => false);
    signal?.addEventListener("abort", stop, { once: true });
    try {
      if (signal?.aborted === true) throw new AiosError("E_CANCELLED", "the run was cancelled before it started");
      const answer = (await this.os.request(id, { type: "start" }, { timeoutMs: b.timeoutMs ?? 600_000 })) as LlmAnswer;
      // The bus delivers on the next turn (setImmediate): let the last chunks arrive before unsubscribing.
      if (unsubscribe !== undefined) await new Promise<void>((r) => setImmediate(r));
      return { ...answer, agent: id };
    } finally {
      signal?.removeEventListener("abort", stop);
      unsubscribe?.();
      await this.os.kill(id, "run finished").catch(() => false);
    }
  }
}
