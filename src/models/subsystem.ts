/**
 * modelsSubsystem: models/ as a factory (abi/subsystem.ts). It builds the router on the host's clock
 * and event bus, provides the LlmInvoke syscall and the `llm` agent kind, releases an agent's provider
 * sessions (local KV sequences, replay cursors) and prunes its per-agent accounting row when it ends,
 * and closes providers at shutdown. Its service (`models`) is the router. The tool schemas LLM agents
 * see come from `options.tools`, else from the `tools` service when one is built before it, plus the
 * memory tools (memory-tools.ts) when the memory syscalls are installed.
 * Configuration errors (bad entry, missing key, missing model file) fail build(), i.e. boot.
 */
import { AiosError, type AgentId } from "../core/index.js";
import { isTerminal, settledSpec, type AgentLogic, type AgentSpec, type AgentSpecInput } from "../abi/index.js";
import type { Subsystem } from "../abi/index.js";
import type { BreakerOptions } from "./breaker.js";
import { parseModelsConfig, type ModelsConfigInput } from "./config.js";
import type { OverflowStrategy } from "./context.js";
import { llmAgentLogic, type LlmAgentDeps, type LlmAnswer } from "./llm-agent.js";
import type { LlmState } from "./llm-state.js";
import { llmInvokeSyscall } from "./llm-syscall.js";
import { LocalProvider } from "./local.js";
import { memoryToolSchema, memoryToolSyscall } from "./memory-tools.js";
import { ModelRouter, type BackoffOptions } from "./router.js";
import { estimateTokens, type TokenCounter } from "./tokens.js";
import type { ModelProvider, ToolSchema } from "./types.js";

/** The slice of a tool registry the agent program needs (tools/ ToolRegistry fits). */
export interface ToolCatalog {
  list(): readonly { readonly name: string; readonly description?: string; readonly inputSchema: unknown }[];
}

export interface ModelsSubsystemOptions {
  readonly models: ModelsConfigInput;
  readonly routes?: unknown;
  /** Providers built in code (scripted replay, test doubles of a remote), by entry name. */
  readonly providers?: Readonly<Record<string, ModelProvider>>;
  /** The model LlmInvoke uses when the call names none (default: the first entry). */
  readonly defaultModel?: string;
  readonly tools?: ToolCatalog;
  readonly context?: { readonly strategy?: OverflowStrategy; readonly summarizer?: string; readonly reserveTokens?: number };
  readonly maxRepairs?: number;
  readonly loopLimit?: number;
  readonly maxSteps?: number;
  readonly maxTokens?: number;
  readonly breaker?: BreakerOptions;
  readonly backoff?: BackoffOptions;
  readonly env?: NodeJS.ProcessEnv;
  /** Load local models during boot so a broken file fails boot, not the first call (default true). */
  readonly preload?: boolean;
}

export interface ModelsService {
  /** The router (accounting, breakers). */
  readonly router: ModelRouter;
  /**
   * What an LLM agent of `model` with `tools` fits into its window: the window's size, the tokens
   * kept free for the answer, the model's token counter and the tool schemas sent every turn (the
   * dashboard's context-window budget per section).
   */
  context(model: string | undefined, tools: readonly string[]): { readonly contextSize: number; readonly reserveTokens: number; readonly count: TokenCounter; readonly tools: readonly ToolSchema[] };
}

export function modelsSubsystem(options: ModelsSubsystemOptions): Subsystem<"models", ModelsService, { tools?: ToolCatalog }> {
  const { models, routes } = parseModelsConfig(options.models, options.routes ?? {});
  return {
    name: "models",
    needs: [],
    uses: ["tools"],
    async build(host, uses) {
      const r = new ModelRouter({
        clock: host.clock, events: host.events, models, routes,
        ...(options.providers === undefined ? {} : { providers: options.providers }),
        ...(options.env === undefined ? {} : { env: options.env }),
        ...(options.breaker === undefined ? {} : { breaker: options.breaker }),
        ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
      });
      try {
        if (options.preload !== false) {
          for (const name of Object.keys(models)) {
            const p = r.provider(name);
            if (p instanceof LocalProvider) await p.load();
          }
        }
      } catch (e) {
        await r.close();
        throw e;
      }
      const defaultModel = options.defaultModel ?? Object.keys(models)[0] ?? Object.keys(options.providers ?? {})[0];
      /** The provider a model's window comes from: its first candidate's. */
      const windowProvider = (model: string): ModelProvider | undefined => r.provider(r.candidates(model)[0] ?? model);
      const deps: LlmAgentDeps = {
        clock: host.clock,
        events: host.events,
        window(model) {
          const p = windowProvider(model);
          return { contextSize: p?.contextSize ?? 128_000, count: p?.countTokens?.bind(p) ?? estimateTokens };
        },
        toolSchemas: toolSchemas(options.tools ?? uses.tools, (name) => host.hasSyscall(name)),
        strategy: options.context?.strategy ?? "drop_oldest",
        ...(options.context?.summarizer === undefined ? {} : { summarizer: options.context.summarizer }),
        reserveTokens: options.context?.reserveTokens ?? 1024,
        maxRepairs: options.maxRepairs ?? 2,
        loopLimit: options.loopLimit ?? 3,
        defaultMaxSteps: options.maxSteps ?? 32,
        ...(options.maxTokens === undefined ? {} : { maxTokens: options.maxTokens }),
      };
      // One logic per parsed spec (the kernel parses a spec object once, so every run of one spec
      // object has the same AgentSpec): the logic holds no agent's state, only what the spec and the
      // stack decide, so it is made again only when the tool list or the model's window changed.
      const logics = new WeakMap<AgentSpec, { readonly tools: readonly ToolSchema[]; readonly provider: unknown; readonly logic: AgentLogic<LlmState, unknown> }>();
      const logicFor = (spec: AgentSpec): AgentLogic<LlmState, unknown> => {
        const tools = deps.toolSchemas(spec.tools);
        const provider = spec.model === undefined ? undefined : windowProvider(spec.model);
        const kept = logics.get(spec);
        if (kept !== undefined && kept.tools === tools && kept.provider === provider) return kept.logic;
        const logic = llmAgentLogic(spec, deps);
        logics.set(spec, { tools, provider, logic });
        return logic;
      };
      const acc = r.accounting;
      acc.isLive = (id) => {
        const p = host.agent(id);
        return p !== undefined && !isTerminal(p.status);
      };
      let dropped = 0;
      const ends = host.events.subscribe({ types: ["agent.transition"] }, (e) => {
        if (e.type === "agent.transition" && e.agent !== undefined && isTerminal(e.data.to)) {
          r.release(e.agent);
          acc.prune(e.agent);
        }
        // A burst of ends can overflow this subscriber's buffer: the rows of the lost ones go by a sweep.
        if (ends.dropped !== dropped) {
          dropped = ends.dropped;
          acc.sweep();
        }
      });
      return {
        service: {
          router: r,
          context: (model, tools) => ({ ...deps.window(model ?? defaultModel ?? "default"), reserveTokens: deps.reserveTokens, tools: deps.toolSchemas(tools) }),
        },
        syscalls: [llmInvokeSyscall(r, defaultModel)],
        kinds: {
          llm: (spec: AgentSpec) => {
            if (spec.model !== undefined && !r.has(spec.model)) {
              throw new AiosError("E_INVALID_SPEC", `agent ${spec.name}: model: "${spec.model}" is not a configured model`, { details: { path: "model" } });
            }
            return logicFor(spec);
          },
        },
        stop: async () => {
          ends.unsubscribe();
          await r.close();
        },
      };
    },
  };
}

/**
 * spec.tools -> the frozen ToolSchema list an agent sends every turn. An LLM agent starts per run,
 * so this is on the run path: lists are kept per names array (a parsed spec's, shared by every
 * agent of the spec) and per schema object, and all of it is dropped when the catalog lists a
 * different array (a tool was registered or removed; tools/ ToolRegistry keeps its list until then).
 */
function toolSchemas(catalog: ToolCatalog | undefined, hasSyscall: (name: string) => boolean): (names: readonly string[]) => readonly ToolSchema[] {
  let listed: readonly ToolInfoLike[] | undefined;
  let byNames = new WeakMap<readonly string[], { readonly names: readonly string[]; readonly list: readonly ToolSchema[] }>();
  let byInfo = new WeakMap<ToolInfoLike, ToolSchema>();
  const one = (infos: readonly ToolInfoLike[], name: string): ToolSchema => {
    const memory = memoryToolSchema(name);
    if (memory !== undefined) {
      const syscall = memoryToolSyscall(name) ?? "";
      if (!hasSyscall(syscall)) throw new AiosError("E_INVALID_SPEC", `tools: "${name}" needs the memory subsystem (no ${syscall} syscall is installed)`, { details: { path: "tools", tool: name } });
      return memory;
    }
    if (catalog === undefined) return Object.freeze({ name, parameters: Object.freeze({ type: "object" }) });
    const t = infos.find((x) => x.name === name);
    if (t === undefined) throw new AiosError("E_INVALID_SPEC", `tools: "${name}" is not a registered tool`, { details: { path: "tools", tool: name } });
    let s = byInfo.get(t);
    if (s === undefined) {
      const params = typeof t.inputSchema === "object" && t.inputSchema !== null && !Array.isArray(t.inputSchema) ? (t.inputSchema as Record<string, unknown>) : { type: "object" };
      s = Object.freeze({ name, ...(t.description === undefined ? {} : { description: t.description }), parameters: params });
      byInfo.set(t, s);
    }
    return s;
  };
  return (names) => {
    const infos = catalog?.list() ?? NO_TOOLS;
    if (infos !== listed) {
      listed = infos;
      byNames = new WeakMap();
      byInfo = new WeakMap();
    }
    const hit = byNames.get(names);
    // The array's names as they were when it was kept: an array changed since then is listed afresh.
    if (hit !== undefined && hit.names.length === names.length && hit.names.every((n, i) => n === names[i])) return hit.list;
    const list = Object.freeze(names.map((n) => one(infos, n)));
    byNames.set(names, { names: [...names], list });
    return list;
  };
}

type ToolInfoLike = ReturnType<ToolCatalog["list"]>[number];
const NO_TOOLS: readonly ToolInfoLike[] = Object.freeze([]);

/** The SDK shape runLlm needs (the SDK facade hands it one). */
export interface AgentHost {
  /** `first`: called with the new id in the turn its spawn record is appended (kernel SpawnOptions). */
  spawn(spec: AgentSpecInput, options?: { readonly first?: (id: AgentId) => void }): Promise<AgentId>;
  request(id: string, payload: unknown, options?: { timeoutMs?: number }): Promise<unknown>;
  kill(id: string, reason?: string): Promise<boolean>;
}

/**
 * The spec a run spawns: for a spec frozen through and through (abi/settled-spec.ts), one object per
 * (input spec, goal). The kernel parses such a spec once per input object, and its capability
 * checkers cache per parsed capability list, so handing it the same object for repeated runs of one
 * spec skips the spec parse and the capability compilation on every run. A spec that can still change
 * gets a fresh object per run, parsed afresh: an edit between two runs is never silently ignored.
 */
const runSpecs = new WeakMap<object, Map<string, AgentSpecInput>>();
const RUN_SPECS_PER_INPUT = 64;

function runSpec(spec: AgentSpecInput, goal: string): AgentSpecInput {
  if (!settledSpec(spec)) return { ...spec, kind: "llm" as const, goal };
  let byGoal = runSpecs.get(spec);
  if (byGoal === undefined) runSpecs.set(spec, (byGoal = new Map<string, AgentSpecInput>()));
  let s = byGoal.get(goal);
  if (s === undefined) {
    s = Object.freeze({ ...spec, kind: "llm" as const, goal });
    // Bounded: a service running one spec with ever-new goals must not keep every goal alive.
    if (byGoal.size >= RUN_SPECS_PER_INPUT) byGoal.delete(byGoal.keys().next().value as string);
    byGoal.set(goal, s);
  }
  return s;
}

/** `os.run(spec, { goal })`: spawns an LLM agent, runs the goal to its answer, ends the agent. */
export async function runLlm(os: AgentHost, spec: AgentSpecInput, options: { goal?: string; timeoutMs?: number } = {}): Promise<LlmAnswer> {
  const goal = options.goal ?? spec.goal;
  if (goal === undefined) throw new AiosError("E_INVALID_ARG", "run: goal: give a goal (option or spec)", { details: { path: "goal" } });
  const timeoutMs = options.timeoutMs ?? 600_000;
  // The start request is made from the spawn's first turn, so for a durable agent its letter is
  // journaled in the spawn's group commit: one commit before the agent starts, not two in a row.
  let answer: Promise<unknown> | undefined;
  const ask = (id: AgentId): void => {
    answer = os.request(id, START, { timeoutMs });
    // Awaited below once the spawn succeeded; if the spawn fails the request is refused with it.
    answer.catch(() => undefined);
  };
  const id = await os.spawn(runSpec(spec, goal), { first: ask });
  try {
    return (await (answer ?? os.request(id, START, { timeoutMs }))) as LlmAnswer;
  } finally {
    await os.kill(id, "run finished").catch(() => false);
  }
}

const START = Object.freeze({ type: "start" });
