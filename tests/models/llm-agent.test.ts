import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { boot, SimulatedClock, type Aios, type Subsystem } from "../../src/index.js";
import { ToolRegistry, defineTool, toolCallSyscall } from "../../src/tools/index.js";
import { ReplayProvider, modelsSubsystem, runLlm, type ChatRequest, type LlmAnswer, type ModelsSubsystemOptions, type ReplayTurnInput } from "../../src/models/index.js";
import { Loopback } from "./http-fixture.js";

const registry = new ToolRegistry();
let adds = 0;
registry.register(defineTool({
  name: "math.add",
  description: "adds two numbers",
  input: z.strictObject({ a: z.number(), b: z.number() }),
  sideEffect: false,
  requires: () => [],
  execute: async ({ a, b }) => {
    adds++;
    return a + b;
  },
}));
const testTools: Subsystem<"test-tools", undefined> = { name: "test-tools", needs: [], build: (host) => ({ service: undefined, syscalls: [toolCallSyscall(registry, host)] }) };

/** The agent: five add calls, one per turn, then a JSON answer with the running sum. */
function fiveAdds(req: ChatRequest): ReplayTurnInput {
  const results = req.messages.filter((m) => m.role === "tool").map((m) => Number(m.content));
  if (results.length < 5) return { toolCalls: [{ name: "math.add", args: { a: results.at(-1) ?? 0, b: 1 } }] };
  return { text: JSON.stringify({ sum: results.at(-1) }) };
}

const caps = ["tool:math.add#call", "llm:*#invoke"];
const spec = {
  name: "adder", kind: "llm" as const, model: "scripted", instructions: "Add.", tools: ["math.add"], capabilities: caps,
  output: { type: "object", properties: { sum: { type: "number" } }, required: ["sum"] },
};

let os: Aios | undefined;
afterEach(async () => {
  await os?.shutdown();
  os = undefined;
});

async function start(turns: ReplayTurnInput[] | ((r: ChatRequest, i: number) => ReplayTurnInput), extra: Partial<ModelsSubsystemOptions> = {}) {
  const scripted = new ReplayProvider({ name: "scripted", ...(typeof turns === "function" ? { respond: turns } : { turns }) });
  os = await boot({ stack: "bare", add: [testTools, modelsSubsystem({ models: {}, providers: { scripted }, tools: registry, ...extra })] });
  return { os, plugin: os.subsystems.models! };
}

describe("the LLM agent program (kind: llm) through boot()", () => {
  it("runs the tool-calling loop: five ToolCall syscalls, then a schema-valid structured answer", async () => {
    const { os, plugin } = await start(fiveAdds);
    adds = 0;
    const answer = await runLlm(os, spec, { goal: "count to five" });
    expect(answer.output).toEqual({ sum: 5 });
    expect(answer.steps).toBe(6);
    expect(adds).toBe(5);
    expect(answer.usage.promptTokens).toBeGreaterThan(0);
    expect(plugin.router.accounting.tenant("default").calls).toBe(6);
  });

  it("keeps the conversation across requests to a running agent", async () => {
    const seen: number[] = [];
    const { os } = await start((req) => {
      seen.push(req.messages.length);
      return { text: `turn ${seen.length}` };
    });
    const id = await os.spawn({ name: "chat", kind: "llm", model: "scripted", capabilities: caps });
    expect(((await os.request(id, "hello")) as LlmAnswer).text).toBe("turn 1");
    expect(((await os.request(id, { text: "again" })) as LlmAnswer).text).toBe("turn 2");
    expect(seen).toEqual([1, 3]); // user; user, assistant, user
  });

  it("repairs a malformed structured answer a bounded number of times", async () => {
    const { os } = await start([{ text: "the sum is five" }, { text: "```json\n{\"sum\": 5}\n```" }]);
    const a = await runLlm(os, spec, { goal: "sum" });
    expect(a.output).toEqual({ sum: 5 });
    expect(a.steps).toBe(2);
    const again = await start([{ text: "no" }, { text: "{\"sum\": \"five\"}" }, { text: "nope" }], { maxRepairs: 2 });
    await expect(runLlm(again.os, spec, { goal: "sum" })).rejects.toThrow(/failed its schema after 2 repairs/);
  });

  it("ends the agent with E_QUOTA when its token budget or max steps run out", async () => {
    const { os } = await start(fiveAdds);
    await expect(runLlm(os, { ...spec, budget: { tokens: 60 } }, { goal: "count" })).rejects.toThrow(/tokens budget exhausted/);
    await expect(runLlm(os, { ...spec, maxSteps: 3 }, { goal: "count" })).rejects.toThrow(/steps budget exhausted \(3 of 3\)/);
  });

  it("enforces the wall-time budget on the kernel's clock and the credits budget from the price table", async () => {
    const clock = new SimulatedClock();
    const scripted = new ReplayProvider({ name: "scripted", respond: (req) => {
      clock.advance(1_000); // each model turn takes a simulated second
      return fiveAdds(req);
    } });
    os = await boot({ stack: "bare", clock, add: [testTools, modelsSubsystem({ models: {}, providers: { scripted }, tools: registry })] });
    await expect(runLlm(os, { ...spec, budget: { wallTimeMs: 2_500 } }, { goal: "count" })).rejects.toThrow(/wallTimeMs budget exhausted \(3000 of 2500\)/);
    await os.shutdown();
    os = await boot({ stack: "bare", add: [testTools, modelsSubsystem({ models: { priced: { provider: "replay", model: "p", loop: true, price: { promptPer1k: 1000, completionPer1k: 1000 }, turns: [{ toolCalls: [{ name: "math.add", args: { a: 1, b: 2 } }], usage: { promptTokens: 1, completionTokens: 1 } }] } }, tools: registry })] });
    await expect(runLlm(os, { ...spec, model: "priced", budget: { credits: 5 } }, { goal: "spend" })).rejects.toThrow(/credits budget exhausted \(6 of 5\)/); // 2 credits per turn
  });

  it("needs the llm:<model>#invoke capability: a creator that cannot give it is refused at spawn", async () => {
    const { os } = await start(fiveAdds);
    // The operator holds everything, so its spec's model implies the capability (kernel/implied-caps.ts);
    // an agent without it cannot spawn an llm child on that model.
    const parent = await os.spawn({ name: "parent", kind: "code", logic: { receive: (s: null) => s }, capabilities: ["agent#spawn", "tool:math.add#call", "llm:other#invoke"] });
    await expect(os.syscall(parent, "AgentSpawn", { spec: { ...spec, capabilities: ["tool:math.add#call", "llm:other#invoke"] } })).rejects.toThrow(/model: "scripted" needs llm:scripted#invoke/);
  });

  it("breaks a loop of identical tool calls", async () => {
    adds = 0;
    const { os } = await start(() => ({ toolCalls: [{ name: "math.add", args: { a: 1, b: 1 } }] }), { loopLimit: 3 });
    await expect(runLlm(os, spec, { goal: "loop" })).rejects.toThrow(/loop: math.add called 5 times/);
    expect(adds).toBe(2); // the third and later identical calls were not run
  });

  it("streams tokens to the event bus while the model answers", async () => {
    const { os } = await start([{ text: "Once upon a time there was a sum." }]);
    const pieces: string[] = [];
    const done = new Promise<void>((resolve) => {
      os.events.subscribe({ types: ["model.token"] }, (e) => {
        if (e.type === "model.token") pieces.push(e.data.text);
        if (pieces.join("") === "Once upon a time there was a sum.") resolve();
      });
    });
    const a = await runLlm(os, { ...spec, output: undefined }, { goal: "tell" });
    await done;
    expect(a.text).toBe(pieces.join(""));
    expect(pieces.length).toBeGreaterThan(3);
  });

  it("cancels the in-flight model call when the agent is killed", async () => {
    const server = await new Loopback().start();
    let closed!: () => void;
    const aborted = new Promise<void>((r) => (closed = r));
    server.handle = (req, res) => res.on("close", () => closed()); // never answers
    try {
      os = await boot({ stack: "bare", add: [testTools, modelsSubsystem({ models: { remote: { provider: "openai", baseURL: server.url, model: "m" } } })] });
      const id = await os.spawn({ name: "slow", kind: "llm", model: "remote", capabilities: caps, goal: "wait" });
      const pending = os.request(id, { type: "start" });
      while (server.received.length === 0) await new Promise((r) => setImmediate(r));
      await os.kill(id, "test");
      await expect(pending).rejects.toThrow();
      await aborted; // the HTTP request was aborted, not left running
    } finally {
      await server.stop();
    }
  });

  it("fails boot with a clear error naming a broken model entry", async () => {
    await expect(boot({ stack: "bare", add: [modelsSubsystem({ models: { tiny: { provider: "local", model: "x", modelPath: "/missing.gguf" } } })] })).rejects.toThrow(/model "tiny": model file not found/);
    expect(() => modelsSubsystem({ models: { a: { provider: "replay", model: "a", maxConcurrency: 0 } } })).toThrow(/entry "a" field maxConcurrency/);
  });
});
