/**
 * models benchmarks (issue #4 section 8):
 *  - localInference: real CPU inference with stories260K through LocalProvider — 1, 8, 32 and 128
 *    concurrent agents generating, each its own sequence in one shared context (node-llama-cpp
 *    batches the sequences' tokens into the same decode steps); aggregate tokens/s against the count.
 *  - agentStepOverhead: the issue's agent — one tool math.add(a, b) and a replay model that instantly
 *    answers with five tool calls (one per turn) then a final answer: 6 model turns + 5 tool calls = 11
 *    steps per run, through boot(), the dispatcher, LlmInvoke and ToolCall. Ephemeral and durable
 *    (SQLite journal), sequential and 1,000 runs at once. A run includes spawning and killing the agent.
 * Exported separately so bench/sched.ts can call them; also a Suite on its own (`models-local`).
 * Model path: $AIOS_MODEL_PATH or ../shared/models/stories260K.gguf (from the repo root).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { gc, type Emit, type Suite } from "./harness.js";
// The kernel's bare boot: exactly the plugins named here (the SDK boot adds the whole default stack).
import { boot, durableStorePlugin, type Plugin } from "../src/kernel/index.js";
import { LocalProvider, ReplayProvider, modelsPlugin, runLlm, type ChatRequest, type ReplayTurnInput } from "../src/models/index.js";
import { ToolRegistry, defineTool, toolCallSyscall } from "../src/tools/index.js";

export async function localInference(emit: Emit, args: readonly string[] = []): Promise<void> {
  const modelPath = resolve(process.env["AIOS_MODEL_PATH"] ?? "../shared/models/stories260K.gguf");
  const counts = args.includes("--quick") ? [1, 8] : [1, 8, 32, 128];
  const maxTokens = 64;
  for (const n of counts) {
    const p = new LocalProvider({ name: "stories260K", modelPath, threads: 1, contextSize: 128, maxSequences: n });
    await p.load();
    await p.chat({ messages: [{ role: "user", content: "Once" }] }, { maxTokens: 4 }); // warm-up
    const t0 = performance.now();
    const results = await Promise.all(
      Array.from({ length: n }, (_, i) => p.chat({ messages: [{ role: "user", content: `Once upon a time, child ${i} had a` }] }, { maxTokens, session: `agent-${i}` })),
    );
    const seconds = (performance.now() - t0) / 1000;
    const tokens = results.reduce((s, r) => s + r.usage.completionTokens, 0);
    const workload = `stories260K (260K params, GGUF) on CPU, threads=1, ${n} concurrent agents each generating up to ${maxTokens} tokens greedily, one context with ${n} sequences (batched decode)`;
    emit({ metric: `local_tokens_per_s_${n}_agents`, value: Math.round(tokens / seconds), unit: "tokens/s", workload });
    emit({ metric: `local_per_agent_tokens_per_s_${n}_agents`, value: Math.round(tokens / n / seconds), unit: "tokens/s", workload });
    await p.close();
  }
}

function addTool(): Plugin {
  const registry = new ToolRegistry();
  registry.register(defineTool({
    name: "math.add", description: "adds two numbers", input: z.strictObject({ a: z.number(), b: z.number() }),
    sideEffect: false, requires: () => [], execute: async ({ a, b }) => a + b,
  }));
  return { name: "bench-tools", install: (k) => k.syscalls.register(toolCallSyscall(registry, k)) };
}

function fiveAdds(req: ChatRequest): ReplayTurnInput {
  let calls = 0;
  let last = 0;
  for (const m of req.messages) if (m.role === "tool") {
    calls++;
    last = Number(m.content);
  }
  return calls < 5 ? { toolCalls: [{ name: "math.add", args: { a: last, b: 1 } }], usage: { promptTokens: 10, completionTokens: 5 } } : { text: String(last), usage: { promptTokens: 10, completionTokens: 1 } };
}

export async function agentStepOverhead(emit: Emit, args: readonly string[] = []): Promise<void> {
  const sequentialRuns = args.includes("--quick") ? 100 : 500;
  const modes = args.includes("--ephemeral") ? [false] : args.includes("--durable") ? [true] : [false, true];
  for (const durable of modes) {
    const dir = mkdtempSync(join(tmpdir(), "aios-models-bench-"));
    const tools = addTool();
    const models = modelsPlugin({ models: {}, providers: { replay: new ReplayProvider({ name: "replay", respond: fiveAdds }) } });
    const os = await boot({
      ...(durable ? { dataDir: dir, durable: true } : {}),
      plugins: [...(durable ? [durableStorePlugin({ dataDir: dir })] : []), tools, models],
    });
    const spec = { name: "adder", kind: "llm" as const, model: "replay", tools: ["math.add"], capabilities: ["tool:math.add#call", "llm:replay#invoke"], ephemeral: !durable, ...(durable ? { durable: true } : {}) };
    const mode = durable ? "durable (SQLite journal, synchronous=FULL group commit)" : "ephemeral (in memory)";
    const workload = `llm agent, replay model answering 5 add(a,b) tool calls one per turn then a final answer: 11 steps per run (6 LlmInvoke + 5 ToolCall), ${mode}; a run includes spawn and kill`;
    for (let i = 0; i < 20; i++) await runLlm(os, spec, { goal: "count" }); // warm-up
    gc();
    let t0 = performance.now();
    for (let i = 0; i < sequentialRuns; i++) {
      const a = await runLlm(os, spec, { goal: "count" });
      if (a.text !== "5") throw new Error(`unexpected answer ${a.text}`);
    }
    const perStepUs = ((performance.now() - t0) * 1000) / (sequentialRuns * 11);
    const stepTarget = durable ? 150 : 60;
    emit({ metric: `agent_step_${durable ? "durable" : "ephemeral"}_sequential`, value: Math.round(perStepUs * 10) / 10, unit: "us/step", workload: `${workload}; ${sequentialRuns} runs one after another`, target: `<= ${stepTarget} us`, pass: perStepUs <= stepTarget });
    gc();
    t0 = performance.now();
    const all = await Promise.all(Array.from({ length: 1000 }, () => runLlm(os, spec, { goal: "count" })));
    const seconds = (performance.now() - t0) / 1000;
    if (all.some((a) => a.text !== "5")) throw new Error("a concurrent run answered wrongly");
    emit({ metric: `agent_runs_1000_concurrent_${durable ? "durable" : "ephemeral"}`, value: Math.round(seconds * 1000) / 1000, unit: "s", workload: `${workload}; 1,000 runs started at once`, target: "<= 0.3 s", pass: seconds <= 0.3 });
    emit({ metric: `agent_step_${durable ? "durable" : "ephemeral"}_concurrent`, value: Math.round(((seconds * 1e6) / 11000) * 10) / 10, unit: "us/step", workload: `${workload}; 1,000 runs at once, wall time / 11,000 steps` });
    await os.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
}

const suite: Suite = async (emit, args) => {
  if (!args.includes("--no-local")) await localInference(emit, args);
  if (!args.includes("--no-steps")) await agentStepOverhead(emit, args);
};
export default suite;
