/**
 * The LLM planner asks its model through the kernel's door (issue #13: no model call outside it). A
 * booted OS with the LLM planner on the configured scripted model `scripted` (a replay transcript: a
 * garbage answer, then a task graph) and tracing into an in-memory exporter; an agent with a token
 * budget creates a plan through its own PlanCreate. Each of the planner's two model calls (the answer
 * and its repair) is an LlmInvoke as that agent: a `chat scripted` span under the plan's `plan
 * create` span with the turn's tokens, the agent's budget usage grown by exactly those tokens, and the
 * door's `syscall.completed` record naming the agent. An agent without `llm:scripted#invoke` cannot have a plan made with
 * the model (E_CAP_DENIED): the planner holds no authority of its own.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { InMemorySpanExporter } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger, type AgentId } from "../../src/core/index.js";
import type { AgentLogic } from "../../src/abi/index.js";
import { LlmPlanner, type TaskGraphWire } from "../../src/planner/index.js";
import { boot, type Aios } from "../../src/sdk/index.js";
import { flushed, parentId, spanId } from "./trace-helpers.js";

const WORKER = resolve("examples/agents/market-worker.ts");
const TEXT = { type: "object", required: ["text"], properties: { text: { type: "string", minLength: 1 } } };
const GRAPH: TaskGraphWire = {
  goal: "Granite is hard",
  tasks: [{ id: "part1", kind: "work", description: "Granite is hard", inputs: { topic: { value: "Granite is hard" } }, outputSchema: TEXT, capabilities: [], budget: "1000", deadlineMs: 60_000 }],
  answer: "part1",
};
const TURNS = [
  { text: "Sure! First I will look at granite...", usage: { promptTokens: 40, completionTokens: 8 } },
  { text: JSON.stringify(GRAPH), usage: { promptTokens: 120, completionTokens: 60 } },
];
const idle: AgentLogic<null> = { init: () => null, receive: (s) => s };
const exporter = new InMemorySpanExporter();
let dir: string;
let os: Aios;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aios-planner-door-"));
  os = await boot({
    dataDir: dir, logger: silentLogger,
    models: { scripted: { provider: "replay", model: "scripted", turns: TURNS } },
    subsystems: { memory: false, embedder: false, mcp: false, planner: { planner: new LlmPlanner({ model: "scripted" }) }, observe: { tracing: { exporter } } },
  });
  await os.spawn({ name: "ann", kind: "code", module: WORKER, export: "marketWorker", capabilities: ["market#join", "market:**#bid"], args: { price: 100 } });
  await os.ledger.deposit("operator", 10_000_000n);
}, 60_000);

afterAll(async () => {
  await os.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

describe("the LLM planner through the door", () => {
  it("charges, audits and traces the planner's model calls as the plan's creator", async () => {
    const boss = await os.spawn({ name: "boss", kind: "code", logic: idle, capabilities: ["planner#plan", "llm:scripted#invoke", "ledger:operator#debit"], budget: { tokens: 10_000 } });
    expect(os.kernel.get(boss).usage.tokens).toBe(0);
    const calls: string[] = [];
    const stop = os.events.subscribe({ types: ["syscall.completed"] }, (e) => {
      if (e.type === "syscall.completed" && e.agent === boss && e.data.name === "LlmInvoke") calls.push(e.data.name);
    });
    const { planId } = await os.syscall(boss, "PlanCreate", { goal: "Granite is hard", payer: "operator" });
    const outcome = await os.subsystems.planner?.engine.start(planId);
    expect(outcome?.status).toBe("answered");
    // Both answers (the refused one and its repair) are the agent's calls, charged to its budget.
    expect(os.kernel.get(boss).usage.tokens).toBe(40 + 8 + 120 + 60);
    await flushed(os);
    const spans = exporter.getFinishedSpans();
    const plan = spans.find((s) => s.name === "plan create" && s.attributes["aios.plan.id"] === planId);
    expect(plan).toBeDefined();
    const chats = spans.filter((s) => s.name === "chat scripted");
    expect(chats).toHaveLength(2);
    for (const c of chats) {
      expect(parentId(c)).toBe(spanId(plan));
      expect(c.spanContext().traceId).toBe(plan?.spanContext().traceId);
      expect(c.attributes).toMatchObject({ "aios.syscall": "LlmInvoke", "gen_ai.request.model": "scripted" });
    }
    expect(chats.map((c) => c.attributes["gen_ai.usage.input_tokens"]).sort()).toEqual([120, 40]);
    // Recorded by the door as the agent's LlmInvoke calls (the event the audit, metrics and logs read).
    stop();
    expect(calls).toEqual(["LlmInvoke", "LlmInvoke"]);
  });

  it("needs the creator's own authority over the model", async () => {
    const clerk: AgentId = await os.spawn({ name: "clerk", kind: "code", logic: idle, capabilities: ["planner#plan", "ledger:operator#debit"] });
    await expect(os.syscall(clerk, "PlanCreate", { goal: "Basalt is dark", payer: "operator" })).rejects.toMatchObject({ code: "E_CAP_DENIED" });
  });
});
