/**
 * `aios run <llm spec> --goal ...`: the model's answer streamed as it is written. On a daemon it is
 * `POST /v1/runs` with `stream: true` (server-sent `chunk` events, then `answer` or `error`); in
 * process it is `os.run` with the kernel's `model.token` events printed as they come. The text goes
 * to stdout as it streams, the step and token counts to stderr; with --json only the final answer
 * is printed (one document), so scripts never parse partial text.
 */
import { AiosError, fromSerialized } from "../core/index.js";
import type { AgentSpec } from "../abi/index.js";
import type { Aios } from "../sdk/index.js";
import type { HttpControl } from "./client.js";
import { errorEnvelope } from "./client.js";
import type { CliContext } from "./context.js";

interface Answer {
  readonly text: string;
  readonly output?: unknown;
  readonly steps: number;
  readonly usage: { readonly promptTokens: number; readonly completionTokens: number; readonly cost: number };
  readonly agent?: string;
}

function printAnswer(ctx: CliContext, a: Answer, streamed: boolean): void {
  if (ctx.out.json) ctx.out.data(a);
  else if (!streamed) ctx.out.line(a.text);
  else ctx.out.line("");
  ctx.out.note(`${a.steps} step(s), ${a.usage.promptTokens} prompt + ${a.usage.completionTokens} completion tokens${a.usage.cost > 0 ? `, cost ${a.usage.cost}` : ""}`);
}

/** On the daemon. Resolves false when the daemon has no /v1/runs (an older daemon): the caller falls back. */
export async function runLlmOnDaemon(ctx: CliContext, api: HttpControl, spec: AgentSpec, goal: string, timeoutMs?: number): Promise<boolean> {
  let answer: Answer | undefined;
  let streamed = false;
  try {
    await api.streamEvents("/v1/runs", { spec: { ...spec }, goal, stream: true, ...(timeoutMs === undefined ? {} : { timeoutMs }) }, (event, data) => {
      if (event === "chunk" && !ctx.out.json) {
        streamed = true;
        process.stdout.write((data as { text: string }).text);
      } else if (event === "answer") answer = data as Answer;
      else if (event === "error") {
        const env = errorEnvelope(data);
        throw env === undefined ? new AiosError("E_INTERNAL", "the run failed without an error body") : fromSerialized(env);
      }
    });
  } catch (e) {
    if (e instanceof AiosError && e.code === "E_NOT_FOUND" && /\/v1\/runs|route|no such/i.test(e.message)) return false;
    throw e;
  }
  if (answer === undefined) throw new AiosError("E_UNAVAILABLE", "the daemon ended the run's stream without an answer");
  printAnswer(ctx, answer, streamed);
  return true;
}

/** In this process: os.run, printing the model's tokens from the kernel's events. */
export async function runLlmInProcess(ctx: CliContext, os: Aios, spec: AgentSpec, goal: string, timeoutMs?: number): Promise<void> {
  let streamed = false;
  const unsubscribe = ctx.out.json
    ? undefined
    : os.events.subscribe({ types: ["model.token"] }, (e) => {
        streamed = true;
        process.stdout.write((e.data as { text: string }).text);
      });
  try {
    const a = await os.run({ ...spec, kind: "llm" }, { goal, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
    printAnswer(ctx, a, streamed);
  } finally {
    unsubscribe?.();
  }
}
