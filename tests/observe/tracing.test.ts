/**
 * One LLM agent run traced end to end on a real booted OS (SDK boot with a data directory): the
 * model is the OpenAI-compatible provider talking to a scripted server on loopback (five calls of the
 * tool `add`, then a final answer), spans are collected by an in-memory exporter. The run is one
 * connected tree — `invoke_agent adder` with six `chat scripted` and five `execute_tool add` children
 * — each model request carried a W3C traceparent naming its own chat span, the GenAI attributes are
 * set, a streamed call records its time to first chunk, and an agent spawned by another agent's
 * AgentSpawn joins the spawner's trace. With tracing off
 * no span is made and no traceparent is sent. Spans are carried explicitly, so a traced run never
 * turns on Node's async-hook promise tracking (an AsyncLocalStorage's `run()` would, for every
 * promise of the process).
 */
import { executionAsyncResource } from "node:async_hooks";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SpanKind } from "@opentelemetry/api";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AgentLogic } from "../../src/abi/index.js";
import type { Aios } from "../../src/sdk/index.js";
import { Loopback, json, sse, type Received } from "../models/http-fixture.js";
import { bootTraced, byName, flushed, type TracedOs } from "./trace-helpers.js";

const server = new Loopback();
let dir: string;
let os: Aios | undefined;

/** The OpenAI wire format: five tool calls to `add` (running sum), then the answer. */
function answer(req: Received): unknown {
  const toolResults = (req.body.messages as { role: string; content: string }[]).filter((m) => m.role === "tool").map((m) => Number(m.content));
  const base = { id: `cmpl-${server.received.length}`, object: "chat.completion", model: "scripted-1", usage: { prompt_tokens: 20 + toolResults.length, completion_tokens: 7 } };
  if (toolResults.length < 5) {
    const args = JSON.stringify({ a: toolResults.at(-1) ?? 0, b: 1 });
    return { ...base, choices: [{ index: 0, finish_reason: "tool_calls", message: { role: "assistant", content: null, tool_calls: [{ id: `call_${toolResults.length}`, type: "function", function: { name: "add", arguments: args } }] } }] };
  }
  return { ...base, choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: `the sum is ${toolResults.at(-1)}` } }] };
}

const spec = { name: "adder", kind: "llm" as const, model: "scripted", instructions: "Add.", tools: ["add"], capabilities: ["tool:add#call", "llm:*#invoke"] };

/** Spawns an adder through AgentSpawn, asks it to start and replies with its id once it answered. */
const parent: AgentLogic<null, unknown> = {
  init: () => null,
  async receive(state, _msg, ctx) {
    const { id } = await ctx.sys.AgentSpawn({ spec: { ...spec, name: "child-adder", goal: "add" } });
    await ctx.request(id, { type: "start" });
    ctx.reply(id);
    return state;
  },
};

async function start(tracing: boolean): Promise<TracedOs> {
  const t = await bootTraced({ dataDir: join(dir, `data-${tracing ? "on" : "off"}-${Date.now()}`), modelUrl: server.url, logics: { parent }, tracing });
  os = t.os;
  return t;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aios-trace-"));
  await server.start();
  server.handle = (req, res) => json(res, 200, answer(req));
});
afterEach(async () => {
  await os?.shutdown();
  os = undefined;
  server.received.length = 0;
});
afterAll(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("observe: traces of an LLM agent run", () => {
  it("makes one connected tree: invoke_agent over six chat and five execute_tool spans, traceparent on every model request", async () => {
    const { os, exporter } = await start(true);
    // The door's run stage opens and closes the spans: the trace stage is the instance's Tracing.
    expect(os.kernel.guards.trace).toBe(os.subsystems.observe?.tracing);
    const result = await os.run(spec, { goal: "count to five" });
    expect(result.text).toBe("the sum is 5");
    await flushed(os);
    const spans = exporter.getFinishedSpans();
    const roots = byName(spans, "invoke_agent ");
    expect(roots.map((s) => s.name)).toEqual(["invoke_agent adder"]);
    const root = roots[0] as ReadableSpan;
    const chats = byName(spans, "chat ");
    const tools = byName(spans, "execute_tool ");
    expect(chats).toHaveLength(6);
    expect(tools).toHaveLength(5);
    for (const s of [...chats, ...tools]) {
      expect(s.spanContext().traceId).toBe(root.spanContext().traceId);
      expect(s.parentSpanContext?.spanId).toBe(root.spanContext().spanId);
      expect(s.startTime[0] * 1e9 + s.startTime[1]).toBeGreaterThanOrEqual(root.startTime[0] * 1e9 + root.startTime[1]);
    }
    expect(root.parentSpanContext).toBeUndefined();
    expect(root.attributes["gen_ai.operation.name"]).toBe("invoke_agent");
    expect(root.attributes["gen_ai.agent.name"]).toBe("adder");
    expect(root.attributes["aios.agent.status"]).toBe("killed"); // os.run ends its agent once it answered

    const chat = chats[0] as ReadableSpan;
    expect(chat.name).toBe("chat scripted");
    expect(chat.attributes).toMatchObject({
      "gen_ai.operation.name": "chat", "gen_ai.request.model": "scripted", "gen_ai.response.model": "scripted-1",
      "gen_ai.usage.input_tokens": 20, "gen_ai.usage.output_tokens": 7, "gen_ai.response.finish_reasons": ["tool_calls"],
    });
    expect((chats[5] as ReadableSpan).attributes["gen_ai.response.finish_reasons"]).toEqual(["stop"]);
    expect((tools[0] as ReadableSpan).attributes).toMatchObject({ "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "add", "aios.decision": "allowed" });

    // Every model request carried the traceparent of the chat span it ran under.
    expect(server.received).toHaveLength(6);
    const sent = server.received.map((r) => r.headers["traceparent"]);
    expect(sent).toEqual(chats.map((s) => `00-${s.spanContext().traceId}-${s.spanContext().spanId}-01`));
  });

  it("records the time to first chunk on a chat span when the call streams (someone watches the tokens)", async () => {
    const { os, exporter } = await start(true);
    const chunk = (delta: object, finish: string | null = null): { data: unknown } => ({ data: { id: "c1", object: "chat.completion.chunk", model: "scripted-1", choices: [{ index: 0, delta, finish_reason: finish }] } });
    server.handle = (req, res) => {
      expect(req.body.stream).toBe(true);
      sse(res, [chunk({ role: "assistant", content: "hello " }), chunk({ content: "world" }, "stop"), { data: { id: "c1", object: "chat.completion.chunk", model: "scripted-1", choices: [], usage: { prompt_tokens: 9, completion_tokens: 2 } } }, { data: "[DONE]" }]);
    };
    const tokens: string[] = [];
    const watch = os.events.subscribe({ types: ["model.token"] }, (e) => void tokens.push(e.type === "model.token" ? e.data.text : ""));
    try {
      const result = await os.run({ name: "talker", kind: "llm", model: "scripted", instructions: "Say hello.", capabilities: ["llm:*#invoke"] }, { goal: "greet" });
      expect(result.text).toBe("hello world");
      await flushed(os); // subscribers are called asynchronously
    } finally {
      watch();
      server.handle = (req, res) => json(res, 200, answer(req));
    }
    expect(tokens).toEqual(["hello ", "world"]);
    const chat = byName(exporter.getFinishedSpans(), "chat ")[0] as ReadableSpan;
    const ttft = chat.attributes["gen_ai.response.time_to_first_chunk"];
    expect(typeof ttft).toBe("number");
    const seconds = chat.duration[0] + chat.duration[1] / 1e9;
    expect(ttft as number).toBeGreaterThanOrEqual(0);
    expect(ttft as number).toBeLessThanOrEqual(seconds);
    expect(chat.attributes).toMatchObject({ "gen_ai.usage.input_tokens": 9, "gen_ai.usage.output_tokens": 2, "gen_ai.response.finish_reasons": ["stop"] });
  });

  it("puts an agent spawned through AgentSpawn under the spawning call's span", async () => {
    const { os, exporter } = await start(true);
    const p = await os.spawn({ name: "parent", kind: "code", logic: "parent", capabilities: ["agent#spawn", "agent:*#send", "tool:add#call", "llm:*#invoke"] });
    const child = (await os.request(p, "go")) as string;
    await os.kill(child);
    await os.kill(p);
    await flushed(os);
    const spans = exporter.getFinishedSpans();
    const create = byName(spans, "create_agent ")[0];
    const childRun = spans.find((s) => s.name === "invoke_agent parent/child-adder" && s.kind === SpanKind.INTERNAL);
    const parentRun = spans.find((s) => s.name === "invoke_agent parent");
    expect(create?.parentSpanContext?.spanId).toBe(parentRun?.spanContext().spanId);
    expect(childRun?.parentSpanContext?.spanId).toBe(create?.spanContext().spanId);
    expect(childRun?.spanContext().traceId).toBe(parentRun?.spanContext().traceId);
    // The parent's request carried its span to the child: the child's handling (and its 11 calls) sit under it.
    const ask = spans.find((s) => s.name === "invoke_agent parent/child-adder" && s.kind === SpanKind.CLIENT);
    const handling = spans.find((s) => s.name === "handle parent/child-adder");
    expect(ask?.parentSpanContext?.spanId).toBe(parentRun?.spanContext().spanId);
    expect(handling?.parentSpanContext?.spanId).toBe(ask?.spanContext().spanId);
    expect(handling?.links.map((l) => l.context.spanId)).toEqual([childRun?.spanContext().spanId]);
    expect(spans.filter((s) => s.parentSpanContext?.spanId === handling?.spanContext().spanId)).toHaveLength(11);
  });

  it("carries spans without async-hook promise tracking: a promise's continuation runs in no resource of its own", async () => {
    // With promise hooks on (what an AsyncLocalStorage's first run() enables on Node 20), a then-callback
    // runs with its promise as the execution resource; with them off it runs in the enclosing one.
    const promiseHooksOn = async (): Promise<boolean> => {
      let inner: unknown;
      await Promise.resolve().then(() => {
        inner = executionAsyncResource();
      });
      return inner instanceof Promise;
    };
    expect(await promiseHooksOn()).toBe(false);
    const { os, exporter } = await start(true);
    const p = await os.spawn({ name: "parent", kind: "code", logic: "parent", capabilities: ["agent#spawn", "agent:*#send", "tool:add#call", "llm:*#invoke"] });
    await os.kill((await os.request(p, "go")) as string);
    await os.kill(p);
    await flushed(os);
    // Spawn, request, handling, 6 chats and 5 tool calls were traced (the tree is the test above's) ...
    expect(byName(exporter.getFinishedSpans(), "handle ")).toHaveLength(1);
    expect(byName(exporter.getFinishedSpans(), "chat ")).toHaveLength(6);
    // ... and the process's promises are still untracked.
    expect(await promiseHooksOn()).toBe(false);
  });

  it("makes no spans and sends no traceparent when tracing is off", async () => {
    const { os, exporter } = await start(false);
    expect(os.subsystems.observe?.tracing).toBeUndefined();
    // No trace stage: a letter gets no context and a receive runs straight through (no lookup per message).
    expect(os.kernel.guards.trace).toBeUndefined();
    await os.run(spec, { goal: "count to five" });
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    expect(server.received).toHaveLength(6);
    for (const r of server.received) expect(r.headers["traceparent"]).toBeUndefined();
  });
});
