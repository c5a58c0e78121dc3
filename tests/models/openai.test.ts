import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AiosError } from "../../src/core/index.js";
import { OpenAIProvider, type ChatDelta, type ChatRequest } from "../../src/models/index.js";
import { Loopback, json, sse } from "./http-fixture.js";

const server = new Loopback();
let p: OpenAIProvider;
beforeAll(async () => {
  await server.start();
  p = new OpenAIProvider({ name: "gpt", baseURL: server.url + "/v1", apiKey: "sk-test", model: "gpt-test" });
});
afterAll(() => server.stop());

const tools = [{ name: "math.add", description: "adds", parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } } } }];
const req: ChatRequest = {
  messages: [
    { role: "system", content: "be brief" },
    { role: "user", content: "add 2 and 3" },
    { role: "assistant", content: "", toolCalls: [{ id: "call_0", name: "math.add", args: { a: 1, b: 1 } }] },
    { role: "tool", toolCallId: "call_0", name: "math.add", content: "2" },
  ],
  tools,
};

async function collect(it: AsyncIterable<ChatDelta>): Promise<ChatDelta[]> {
  const out: ChatDelta[] = [];
  for await (const d of it) out.push(d);
  return out;
}

async function failure(p: Promise<unknown>): Promise<AiosError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AiosError);
    return e as AiosError;
  }
  throw new Error("expected a failure");
}

const chunk = (delta: unknown, finish: string | null = null) => ({ id: "c1", object: "chat.completion.chunk", model: "gpt-test", choices: [{ index: 0, delta, finish_reason: finish }] });

describe("OpenAI-compatible provider", () => {
  it("sends the Chat Completions wire format and parses tool calls and usage", async () => {
    server.handle = (_r, res) => json(res, 200, {
      id: "x", object: "chat.completion", model: "gpt-test-0613",
      choices: [{ index: 0, finish_reason: "tool_calls", message: { role: "assistant", content: null, tool_calls: [{ id: "call_1", type: "function", function: { name: "math__add", arguments: "{\"a\":2,\"b\":3}" } }] } }],
      usage: { prompt_tokens: 42, completion_tokens: 7, total_tokens: 49 },
    });
    const r = await p.chat(req, { maxTokens: 50, temperature: 0 });
    expect(r).toEqual({ text: "", toolCalls: [{ id: "call_1", name: "math.add", args: { a: 2, b: 3 } }], usage: { promptTokens: 42, completionTokens: 7 }, finishReason: "tool_calls", model: "gpt-test-0613" });
    const sent = server.received.at(-1)!;
    expect(sent.url).toBe("/v1/chat/completions");
    expect(sent.headers.authorization).toBe("Bearer sk-test");
    expect(sent.body.max_tokens).toBe(50);
    expect(sent.body.tools[0]).toEqual({ type: "function", function: { name: "math__add", description: "adds", parameters: tools[0]!.parameters } });
    expect(sent.body.messages[2]).toEqual({ role: "assistant", content: null, tool_calls: [{ id: "call_0", type: "function", function: { name: "math__add", arguments: "{\"a\":1,\"b\":1}" } }] });
    expect(sent.body.messages[3]).toEqual({ role: "tool", tool_call_id: "call_0", content: "2" });
  });

  it("asks for structured output with response_format json_schema", async () => {
    server.handle = (_r, res) => json(res, 200, { choices: [{ index: 0, finish_reason: "stop", message: { role: "assistant", content: "{\"sum\":5}" } }], usage: { prompt_tokens: 1, completion_tokens: 1 } });
    const r = await p.chat({ messages: [{ role: "user", content: "x" }], output: { schema: { type: "object" } } });
    expect(r.text).toBe("{\"sum\":5}");
    expect(server.received.at(-1)!.body.response_format).toEqual({ type: "json_schema", json_schema: { name: "output", schema: { type: "object" }, strict: false } });
  });

  it("streams text and tool-call deltas over SSE, with usage from the final chunk", async () => {
    server.handle = (_r, res) => sse(res, [
      { data: chunk({ role: "assistant", content: "Let me " }) },
      { data: chunk({ content: "add." }) },
      { data: chunk({ tool_calls: [{ index: 0, id: "call_9", type: "function", function: { name: "math__add", arguments: "" } }] }) },
      { data: chunk({ tool_calls: [{ index: 0, function: { arguments: "{\"a\":" } }] }) },
      { data: chunk({ tool_calls: [{ index: 0, function: { arguments: "2,\"b\":3}" } }] }) },
      { data: chunk({}, "tool_calls") },
      { data: { id: "c1", object: "chat.completion.chunk", model: "gpt-test", choices: [], usage: { prompt_tokens: 11, completion_tokens: 5 } } },
      { data: "[DONE]" },
    ]);
    const ds = await collect(p.stream(req));
    expect(ds.filter((d) => d.type === "text").map((d) => (d as { text: string }).text).join("")).toBe("Let me add.");
    expect(ds.filter((d) => d.type === "tool_call").map((d) => (d as { argsDelta: string }).argsDelta).join("")).toBe("{\"a\":2,\"b\":3}");
    const done = ds.at(-1)!;
    expect(done.type).toBe("done");
    if (done.type === "done") {
      expect(done.result.toolCalls).toEqual([{ id: "call_9", name: "math.add", args: { a: 2, b: 3 } }]);
      expect(done.result.usage).toEqual({ promptTokens: 11, completionTokens: 5 });
      expect(done.result.finishReason).toBe("tool_calls");
      expect(done.result.text).toBe("Let me add.");
    }
    expect(server.received.at(-1)!.body.stream_options).toEqual({ include_usage: true });
  });

  it("maps 429 to E_RATE_LIMITED with retryAfterMs from Retry-After", async () => {
    server.handle = (_r, res) => json(res, 429, { error: { message: "slow down", type: "rate_limit_exceeded" } }, { "retry-after": "2" });
    const e = await failure(p.chat(req));
    expect(e.code).toBe("E_RATE_LIMITED");
    expect(e.retryable).toBe(true);
    expect(e.details["retryAfterMs"]).toBe(2000);
  });

  it("maps 401 to E_AUTH, context_length_exceeded to E_CONTEXT_OVERFLOW, 5xx to E_MODEL", async () => {
    server.handle = (_r, res) => json(res, 401, { error: { message: "bad key" } });
    expect((await failure(p.chat(req))).code).toBe("E_AUTH");
    server.handle = (_r, res) => json(res, 400, { error: { message: "This model's maximum context length is 8192 tokens", code: "context_length_exceeded" } });
    expect((await failure(p.chat(req))).code).toBe("E_CONTEXT_OVERFLOW");
    server.handle = (_r, res) => json(res, 503, { error: { message: "overloaded" } });
    const e = await failure(p.chat(req));
    expect(e.code).toBe("E_MODEL");
    expect(e.retryable).toBe(true);
    expect(e.message).toContain('"gpt"');
  });

  it("rejects malformed output: bad JSON arguments, unknown tool, empty choices, non-JSON body", async () => {
    const calls = (name: string, args: string) => ({ choices: [{ index: 0, finish_reason: "tool_calls", message: { role: "assistant", content: null, tool_calls: [{ id: "c", type: "function", function: { name, arguments: args } }] } }] });
    server.handle = (_r, res) => json(res, 200, calls("math__add", "{\"a\":2,"));
    let e = await failure(p.chat(req));
    expect(e.code).toBe("E_MODEL_OUTPUT");
    expect(e.message).toContain("not valid JSON");
    server.handle = (_r, res) => json(res, 200, calls("rm_rf", "{}"));
    e = await failure(p.chat(req));
    expect(e.code).toBe("E_MODEL_OUTPUT");
    expect(e.message).toContain('unknown tool "rm.rf"'.replace("rm.rf", "rm_rf"));
    server.handle = (_r, res) => json(res, 200, { choices: [] });
    e = await failure(p.chat(req));
    expect(e.code).toBe("E_MODEL_OUTPUT");
    expect(e.message).toContain("no choices");
    server.handle = (_r, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end("<html>oops</html>");
    };
    expect((await failure(p.chat(req))).code).toBe("E_MODEL_OUTPUT");
  });

  it("rejects a truncated stream and a stream with bad tool-call JSON", async () => {
    server.handle = (_r, res) => sse(res, [{ data: chunk({ content: "Once" }) }]); // ends without [DONE]
    let e = await failure(collect(p.stream(req)));
    expect(e.code).toBe("E_MODEL_OUTPUT");
    expect(e.message).toMatch(/truncated|middle/);
    server.handle = (_r, res) => sse(res, [
      { data: chunk({ tool_calls: [{ index: 0, id: "c", function: { name: "math__add", arguments: "{oops" } }] }, "tool_calls") },
      { data: "[DONE]" },
    ]);
    e = await failure(collect(p.stream(req)));
    expect(e.code).toBe("E_MODEL_OUTPUT");
    server.handle = (_r, res) => sse(res, [{ data: chunk({ content: "Once" }) }], false); // connection dropped
    e = await failure(collect(p.stream(req)));
    expect(e.code).toBe("E_MODEL_OUTPUT");
    server.handle = (_r, res) => sse(res, [{ data: "[DONE]" }]);
    expect((await failure(collect(p.stream(req)))).message).toContain("no choices");
  });

  it("reports an unreachable server as E_MODEL naming the entry, and cancellation as E_CANCELLED", async () => {
    const dead = new OpenAIProvider({ name: "nowhere", baseURL: "http://127.0.0.1:1/v1", model: "m" });
    const e = await failure(dead.chat(req));
    expect(e.code).toBe("E_MODEL");
    expect(e.message).toContain('model "nowhere": cannot reach');
    server.handle = () => {}; // never answers
    const ctl = new AbortController();
    const pending = p.chat(req, { signal: ctl.signal });
    ctl.abort();
    expect((await failure(pending)).code).toBe("E_CANCELLED");
  });
});
