/**
 * The spec syntax for pipelines: an agent `{ kind: "code", logic: "ipc.pipeline", args: { pipeline:
 * "a |> b |> c" } }` composes the pipeline in init — so a contract mismatch fails the spawn, before
 * any message moves — and answers each request with the last stage's output. It registers the
 * pipeline's own contract (first input, last output), so pipelines nest as stages of others.
 */
import { z } from "zod";
import { AiosError } from "../core/index.js";
import type { AgentLogic } from "../abi/index.js";
import type { Ipc } from "./ipc.js";
import { composePipeline, type Pipeline } from "./pipeline.js";

const Args = z.object({ pipeline: z.string().min(1), allowUntyped: z.boolean().optional(), timeoutMs: z.number().int().positive().optional() });

interface State {
  readonly pipeline: Pipeline;
  readonly timeoutMs: number | undefined;
}

export function pipelineLogic(ipc: Ipc): AgentLogic<State> {
  return {
    init(ctx, raw) {
      const r = Args.safeParse(raw);
      if (!r.success) throw new AiosError("E_INVALID_SPEC", `args.${r.error.issues[0]?.path.join(".") ?? ""}: ${r.error.issues[0]?.message ?? "invalid"}`, { details: { path: "args" } });
      const me = ipc.port.agent(ctx.self);
      const pipeline = composePipeline(ipc, r.data.pipeline, r.data.allowUntyped === true ? { allowUntyped: true } : {}, me);
      ipc.contracts.set(ctx.self, { name: ctx.spec.name, ...(pipeline.input === undefined ? {} : { input: pipeline.input }), ...(pipeline.output === undefined ? {} : { output: pipeline.output }) });
      return { pipeline, timeoutMs: r.data.timeoutMs };
    },
    async receive(state, message, ctx) {
      // An envelope's payload is the input; a plain letter is taken whole, whatever its shape.
      const input = ctx.enveloped && isEnvelopeLike(message) ? message.payload : message;
      const out = await state.pipeline.run(input, { signal: ctx.signal, ...(state.timeoutMs === undefined ? {} : { timeoutMs: state.timeoutMs }) });
      ctx.reply(out);
      return state;
    },
  };
}

function isEnvelopeLike(m: unknown): m is { payload: unknown } {
  return typeof m === "object" && m !== null && "performative" in m && "conversation" in m && "payload" in m;
}
