/**
 * Pipelines: `a |> b |> c` — each stage is an agent (id or registered name) answering requests;
 * the output of one is the input of the next. Stage contracts are the input/output schema ids the
 * agents declared with AgentRegister, and they are checked when the pipeline is composed: adjacent
 * stages must agree (a's output id equals b's input id), so a mismatch is an error before any
 * message moves, never a failure halfway through a run.
 */
import { AiosError } from "../core/index.js";
import type { Ipc } from "./ipc.js";
import { isLive, type AgentFacts } from "./port.js";
import { request } from "./requests.js";

export interface Stage {
  readonly agent: string;
  readonly name: string;
  readonly input?: string;
  readonly output?: string;
}

export interface ComposeOptions {
  /** Allow stages that declared no contract (their side of the check is skipped). Default false. */
  readonly allowUntyped?: boolean;
}

export interface RunOptions {
  /** Per stage. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface Pipeline {
  readonly stages: readonly Stage[];
  readonly input: string | undefined;
  readonly output: string | undefined;
  run(input: unknown, o?: RunOptions): Promise<unknown>;
}

/** Splits "a |> b |> c" into stage references. */
export function parsePipeline(text: string): string[] {
  const parts = text.split("|>").map((s) => s.trim());
  if (parts.length < 2 || parts.some((p) => p === "")) {
    throw new AiosError("E_INVALID_ARG", `pipeline: "${text}" is not of the form "a |> b [|> c ...]"`, { details: { path: "pipeline" } });
  }
  return parts;
}

function resolve(ipc: Ipc, ref: string, i: number): string {
  const byId = ipc.port.agent(ref);
  if (byId !== undefined && isLive(byId)) return byId.id;
  let named = [...ipc.contracts.entries()].filter(([id, c]) => c.name === ref && ipc.loadOf(id) !== undefined).map(([id]) => id);
  // Agents that declared nothing are still found by name (the contract check then names them).
  if (named.length === 0) named = [...ipc.port.agents()].filter((a) => a.name === ref && isLive(a)).map((a) => a.id);
  if (named.length === 1) return named[0] as string;
  const why = named.length === 0 ? "no live agent with that id or registered name" : `${named.length} registered agents share that name`;
  throw new AiosError("E_NO_AGENT", `pipeline stage ${i + 1} "${ref}": ${why}`, { details: { path: `stages.${i}` } });
}

export function composePipeline(ipc: Ipc, refs: readonly string[] | string, o: ComposeOptions = {}, from?: AgentFacts): Pipeline {
  const list = typeof refs === "string" ? parsePipeline(refs) : refs;
  if (list.length < 1) throw new AiosError("E_INVALID_ARG", "pipeline: at least one stage", { details: { path: "stages" } });
  const stages: Stage[] = list.map((ref, i) => {
    const agent = resolve(ipc, ref, i);
    const c = ipc.contracts.get(agent);
    if (c === undefined && o.allowUntyped !== true) {
      throw new AiosError("E_INVALID_ARG", `pipeline stage ${i + 1} "${ref}" declared no contract (AgentRegister with input/output schema ids)`, { details: { path: `stages.${i}` } });
    }
    return { agent, name: c?.name ?? ref, ...(c?.input === undefined ? {} : { input: c.input }), ...(c?.output === undefined ? {} : { output: c.output }) };
  });
  for (let i = 0; i + 1 < stages.length; i++) {
    const a = stages[i] as Stage;
    const b = stages[i + 1] as Stage;
    if (a.output !== undefined && b.input !== undefined && a.output !== b.input) {
      throw new AiosError("E_INVALID_ARG", `pipeline: stage ${i + 1} "${a.name}" outputs "${a.output}" but stage ${i + 2} "${b.name}" expects "${b.input}"`, {
        details: { path: `stages.${i + 1}`, output: a.output, input: b.input },
      });
    }
    if ((a.output === undefined || b.input === undefined) && o.allowUntyped !== true) {
      const side = a.output === undefined ? `stage ${i + 1} "${a.name}" declares no output schema` : `stage ${i + 2} "${b.name}" declares no input schema`;
      throw new AiosError("E_INVALID_ARG", `pipeline: ${side}; the contract between them cannot be checked`, { details: { path: `stages.${a.output === undefined ? i : i + 1}` } });
    }
  }
  const first = stages[0] as Stage;
  const last = stages[stages.length - 1] as Stage;
  return {
    stages,
    input: first.input,
    output: last.output,
    async run(input, r = {}) {
      const conversation = ipc.port.ids.conversation();
      let value = input;
      for (const s of stages) {
        value = await request(ipc, from, { to: s.agent, payload: value, conversation, ...(s.input === undefined ? {} : { schema: s.input }) }, {
          ...(r.timeoutMs === undefined ? {} : { timeoutMs: r.timeoutMs }),
          ...(r.signal === undefined ? {} : { signal: r.signal }),
          ...(s.output === undefined ? {} : { expect: s.output }),
        });
      }
      return value;
    },
  };
}
