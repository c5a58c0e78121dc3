/**
 * Behaviours the agent-step fast paths must keep (bench/models-local agentStepOverhead measures them):
 * runLlm's reused spec objects, LlmInvoke's parsed arguments surviving a stage that copies them, the
 * context manager still stepping in when a conversation outgrows its window, and the tool schemas an
 * agent sends: one shared list per spec, rebuilt when the registry changes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { boot, type Aios, type Subsystem } from "../../src/index.js";
import { ToolRegistry, defineTool, toolsSubsystem } from "../../src/tools/index.js";
import {
  ReplayProvider, modelsSubsystem, runLlm,
  type ChatDelta, type ChatOptions, type ChatRequest, type ChatResult, type ModelProvider, type ReplayTurnInput,
} from "../../src/models/index.js";

/** The replay provider, remembering what each call asked for (request and options). */
class Recording implements ModelProvider {
  readonly name = "rec";
  readonly calls: { req: ChatRequest; opts: ChatOptions }[] = [];
  private readonly inner: ReplayProvider;
  readonly contextSize: number;
  constructor(respond: (req: ChatRequest, turn: number) => ReplayTurnInput, contextSize = 128_000) {
    this.inner = new ReplayProvider({ name: "rec", respond });
    this.contextSize = contextSize;
  }
  chat(req: ChatRequest, opts: ChatOptions = {}): Promise<ChatResult> {
    this.calls.push({ req, opts });
    return this.inner.chat(req, opts);
  }
  stream(req: ChatRequest, opts?: ChatOptions): AsyncIterable<ChatDelta> {
    return this.inner.stream(req, opts);
  }
}

let os: Aios | undefined;
afterEach(async () => {
  await os?.shutdown();
  os = undefined;
});

const lastUser = (req: ChatRequest): string => [...req.messages].reverse().find((m) => m.role === "user")?.content ?? "";

describe("the agent step's fast paths keep their behaviour", () => {
  it("runLlm runs the same spec object with different goals, each run answering its own goal", async () => {
    os = await boot({ stack: "bare", add: [modelsSubsystem({ models: {}, providers: { rec: new Recording((req) => ({ text: `re: ${lastUser(req)}` })) } })] });
    const spec = { name: "echo", kind: "llm" as const, model: "rec", capabilities: ["llm:rec#invoke"] };
    const answers: string[] = [];
    for (const goal of ["a", "b", "a", "c", "b"]) answers.push((await runLlm(os, spec, { goal })).text);
    expect(answers).toEqual(["re: a", "re: b", "re: a", "re: c", "re: b"]);
    const concurrent = await Promise.all(["x", "y", "z"].map((goal) => runLlm(os!, spec, { goal })));
    expect(concurrent.map((a) => a.text)).toEqual(["re: x", "re: y", "re: z"]);
    expect(spec).toEqual({ name: "echo", kind: "llm", model: "rec", capabilities: ["llm:rec#invoke"] }); // the caller's spec is untouched
  });

  it("LlmInvoke keeps maxTokens, temperature and structured output when a stage copies the arguments", async () => {
    const rec = new Recording(() => ({ text: "{\"ok\":true}" }));
    let copied = 0;
    // Like the security plugin's secret substitution: the handler receives a plain copy of the arguments.
    const copying: Subsystem<"copying", undefined> = {
      name: "copying",
      needs: [],
      build: () => ({ service: undefined, stages: { effects: { prepare: (_c, _n, args) => (copied++, JSON.parse(JSON.stringify(args)) as unknown) } } }),
    };
    os = await boot({ stack: "bare", add: [copying, modelsSubsystem({ models: {}, providers: { rec } })] });
    const id = await os.spawn({ name: "raw", kind: "code", logic: { receive: (s: unknown) => s }, capabilities: ["llm:rec#invoke"] });
    const args = { model: "rec", messages: [{ role: "user", content: "hi" }], maxTokens: 7, temperature: 0.5, output: { schema: { type: "object" } } };
    await os.syscall(id, "LlmInvoke", args);
    expect(copied).toBe(1);
    expect(rec.calls[0]?.opts).toMatchObject({ maxTokens: 7, temperature: 0.5 });
    expect(rec.calls[0]?.req.output).toEqual({ schema: { type: "object" } });
  });

  it("a conversation that outgrows the window still goes through the context manager", async () => {
    const rec = new Recording((_req, turn) => (turn < 6 ? { toolCalls: [{ name: "pad", args: { n: turn } }] } : { text: "done" }), 400);
    const tools: Subsystem<"pad-tool", undefined> = {
      name: "pad-tool",
      needs: [],
      build: () => ({
        service: undefined,
        syscalls: [{
          name: "ToolCall", sideEffect: false, parse: (raw) => raw as never, requires: () => [],
          handler: () => Promise.resolve("x".repeat(400)), // ~100 tokens per result: six do not fit in 400
        }],
      }),
    };
    os = await boot({ stack: "bare", add: [tools, modelsSubsystem({ models: {}, providers: { rec }, context: { reserveTokens: 50 } })] });
    const contextEvent = os.events.once("llm.context"); // events reach subscribers asynchronously
    const a = await runLlm(os, { name: "long", kind: "llm", model: "rec", tools: ["pad"], capabilities: ["llm:rec#invoke"] }, { goal: "pad" });
    expect(a.text).toBe("done");
    expect((await contextEvent).data.dropped).toBeGreaterThan(0);
    expect(rec.calls.map((c) => c.req.messages.length)).toEqual([1, 3, 5, 5, 5, 5, 5]);
    // Every request the model saw fitted its window.
    for (const c of rec.calls) expect(c.req.messages.filter((m) => m.role === "tool").length).toBeLessThanOrEqual(2);
  });

  it("agents of one spec send the same tool list; a tool registered again is described afresh", async () => {
    const rec = new Recording((req) => (req.messages.some((m) => m.role === "tool") ? { text: "done" } : { toolCalls: [{ name: "add", args: { a: 1, b: 2 } }] }));
    const registry = new ToolRegistry();
    const add = (description: string) => defineTool({
      name: "add", description, input: z.strictObject({ a: z.number(), b: z.number() }), sideEffect: false, requires: () => [], execute: async ({ a, b }: { a: number; b: number }) => a + b,
    });
    registry.register(add("adds two numbers"));
    const tools = toolsSubsystem({ registry, file: false, http: false, shell: false, browser: false, spawn: false });
    os = await boot({ stack: "bare", add: [tools, modelsSubsystem({ models: {}, providers: { rec }, tools: registry })] });
    const spec = { name: "adder", kind: "llm" as const, model: "rec", tools: ["add"], capabilities: ["llm:rec#invoke", "tool:add#call"] };
    await runLlm(os, spec, { goal: "one" });
    await runLlm(os, spec, { goal: "two" });
    // Every turn of both agents carries the same (frozen) schema object: built once, validated once.
    const schemas = rec.calls.map((c) => c.req.tools?.[0]);
    expect(schemas).toHaveLength(4);
    for (const t of schemas) expect(t).toBe(schemas[0]);
    expect(Object.isFrozen(schemas[0])).toBe(true);
    expect(schemas[0]).toEqual({ name: "add", description: "adds two numbers", parameters: expect.objectContaining({ type: "object", required: ["a", "b"] }) });
    registry.register(add("adds, again"), { replace: true });
    await runLlm(os, spec, { goal: "three" });
    expect(rec.calls[4]?.req.tools?.[0]?.description).toBe("adds, again");
    // The same spec and goal as a run before the tool changed (one parsed spec, one agent program
    // kept for it): described afresh all the same.
    await runLlm(os, spec, { goal: "one" });
    expect(rec.calls[6]?.req.tools?.[0]?.description).toBe("adds, again");
    registry.register(add("adds, a third time"), { replace: true });
    await runLlm(os, spec, { goal: "one" });
    expect(rec.calls[8]?.req.tools?.[0]?.description).toBe("adds, a third time");
  });
});
