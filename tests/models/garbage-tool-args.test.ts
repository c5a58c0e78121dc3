/**
 * A model answering garbage in its tool calls' arguments, from the model's side. Arguments nested
 * twenty thousand levels deep passed the providers' check (a JSON object) and crashed the agent
 * with "Maximum call stack size exceeded" in the loop guard's fingerprint; they would have done the
 * same in the tool's schema, the journal or the next prompt. The router now names them as the
 * model's malformed output (E_MODEL_OUTPUT), which is retried as any garbage answer is: a model
 * that answers sense on the retry finishes its run, one that never does fails it with the reason.
 * A code agent passing such arguments itself gets E_INVALID_ARG from the tool's check, which now
 * says what a stack overflow there means instead of only "Maximum call stack size exceeded".
 */
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { boot, isAiosError, type Aios, type Subsystem } from "../../src/index.js";
import { ToolRegistry, defineTool, toolCallSyscall } from "../../src/tools/index.js";
import { MAX_TOOL_ARGS_DEPTH, ReplayProvider, modelsSubsystem, runLlm, type ChatRequest, type ReplayTurnInput } from "../../src/models/index.js";

const registry = new ToolRegistry();
let calls = 0;
registry.register(defineTool({
  name: "echo",
  description: "answers its value",
  input: z.strictObject({ v: z.json() }),
  sideEffect: false,
  requires: () => [],
  execute: async ({ v }) => (calls++, v),
}));
const testTools: Subsystem<"test-tools", undefined> = { name: "test-tools", needs: [], build: (host) => ({ service: undefined, syscalls: [toolCallSyscall(registry, host)] }) };

const nested = (n: number): unknown => JSON.parse("[".repeat(n) + "]".repeat(n)) as unknown;
const spec = { name: "h", kind: "llm" as const, model: "scripted", instructions: "Echo.", tools: ["echo"], capabilities: ["tool:echo#call", "llm:*#invoke"] };

let os: Aios | undefined;
afterEach(async () => {
  await os?.shutdown();
  os = undefined;
});

async function start(respond: (r: ChatRequest, i: number) => ReplayTurnInput): Promise<Aios> {
  const scripted = new ReplayProvider({ name: "scripted", respond });
  os = await boot({ stack: "bare", add: [testTools, modelsSubsystem({ models: {}, providers: { scripted }, tools: registry })] });
  return os;
}

describe("a model whose tool call arguments nest too deep", () => {
  it("is retried as garbage, and the run finishes when the model then answers sense", async () => {
    calls = 0;
    const o = await start((req, i) => {
      if (i === 0) return { toolCalls: [{ name: "echo", args: { v: nested(20_000) } }] };
      if (req.messages.some((m) => m.role === "tool")) return { text: "done" };
      return { toolCalls: [{ name: "echo", args: { v: nested(MAX_TOOL_ARGS_DEPTH - 1) } }] };
    });
    const r = await runLlm(o, spec, { goal: "echo" });
    expect(r.text).toBe("done");
    // Only the sensible call ran: the limit counts the arguments' own object as one level.
    expect(calls).toBe(1);
  });

  it("fails the run with E_MODEL_OUTPUT naming the call and the limit when it never answers sense, cycles included", async () => {
    for (const args of [{ v: nested(20_000) }, (() => { const a: Record<string, unknown> = {}; a["self"] = a; return a; })()]) {
      calls = 0;
      const o = await start(() => ({ toolCalls: [{ name: "echo", args }] }));
      const e = await runLlm(o, spec, { goal: "echo" }).then(() => undefined, (x: unknown) => x);
      expect(isAiosError(e)).toBe(true);
      expect((e as Error).message).toMatch(new RegExp(`model "scripted": malformed output: tool call 0 \\(echo\\) arguments nest deeper than ${MAX_TOOL_ARGS_DEPTH} levels`));
      expect(calls).toBe(0);
      expect(o.ps().every((p) => p.status !== "running")).toBe(true);
      await o.shutdown();
      os = undefined;
    }
  });
});

describe("a code agent's tool call with arguments nested too deep", () => {
  it("is E_INVALID_ARG saying the value nests too deeply, and the agent runs on", async () => {
    const o = await boot({ stack: "bare", add: [testTools] });
    os = o;
    const a = await o.spawn({ name: "a", kind: "code", capabilities: ["tool:echo#call"], logic: { receive: (s: unknown) => s } });
    const e = await o.syscall(a, "ToolCall", { tool: "echo", args: { v: nested(20_000) } }).then(() => undefined, (x: unknown) => x);
    expect(e).toMatchObject({ code: "E_INVALID_ARG", message: "a value nests too deeply to handle (Maximum call stack size exceeded)" });
    expect(await o.syscall(a, "ToolCall", { tool: "echo", args: { v: [1] } })).toEqual([1]);
  });
});
