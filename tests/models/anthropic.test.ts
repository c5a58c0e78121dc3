import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AiosError } from "../../src/core/index.js";
import { AnthropicProvider, type ChatDelta, type ChatRequest } from "../../src/models/index.js";
import { Loopback, json, sse } from "./http-fixture.js";

const server = new Loopback();
let p: AnthropicProvider;
beforeAll(async () => {
  await server.start();
  p = new AnthropicProvider({ name: "claude", baseURL: server.url, apiKey: "ak-test", model: "claude-test" });
});
afterAll(() => server.stop());

const tools = [{ name: "math.add", parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } } } }];
const req: ChatRequest = {
  messages: [
    { role: "system", content: "be brief" },
    { role: "user", content: "add" },
    { role: "assistant", content: "ok", toolCalls: [{ id: "tu_0", name: "math.add", args: { a: 1, b: 1 } }, { id: "tu_1", name: "math.add", args: { a: 2, b: 2 } }] },
    { role: "tool", toolCallId: "tu_0", name: "math.add", content: "2" },
    { role: "tool", toolCallId: "tu_1", name: "math.add", content: "4" },
  ],
  tools,
};

async function collect(s: AsyncIterable<ChatDelta>): Promise<ChatDelta[]> {
  const out: ChatDelta[] = [];
  for await (const d of s) out.push(d);
  return out;
}
async function failure(pr: Promise<unknown>): Promise<AiosError> {
  try {
    await pr;
  } catch (e) {
    expect(e).toBeInstanceOf(AiosError);
    return e as AiosError;
  }
  throw new Error("expected a failure");
}

const start = { event: "message_start", data: { type: "message_start", message: { id: "m1", type: "message", role: "assistant", model: "claude-test-1", content: [], stop_reason: null, usage: { input_tokens: 25, output_tokens: 1 } } } };

describe("Anthropic Messages provider", () => {
  it("sends system, alternating roles and merged tool_result blocks; parses tool_use and usage", async () => {
    server.handle = (_r, res) => json(res, 200, {
      id: "m", type: "message", role: "assistant", model: "claude-test-1", stop_reason: "tool_use",
      content: [{ type: "text", text: "Adding." }, { type: "tool_use", id: "tu_9", name: "math__add", input: { a: 2, b: 3 } }],
      usage: { input_tokens: 30, output_tokens: 12 },
    });
    const r = await p.chat(req, { maxTokens: 99 });
    expect(r).toEqual({ text: "Adding.", toolCalls: [{ id: "tu_9", name: "math.add", args: { a: 2, b: 3 } }], usage: { promptTokens: 30, completionTokens: 12 }, finishReason: "tool_calls", model: "claude-test-1" });
    const sent = server.received.at(-1)!;
    expect(sent.url).toBe("/v1/messages");
    expect(sent.headers["x-api-key"]).toBe("ak-test");
    expect(sent.headers["anthropic-version"]).toBe("2023-06-01");
    expect(sent.body.system).toBe("be brief");
    expect(sent.body.max_tokens).toBe(99);
    expect(sent.body.tools[0]).toEqual({ name: "math__add", input_schema: tools[0]!.parameters });
    expect((sent.body.messages as { role: string }[]).map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(sent.body.messages[2].content).toEqual([{ type: "tool_result", tool_use_id: "tu_0", content: "2" }, { type: "tool_result", tool_use_id: "tu_1", content: "4" }]);
  });

  it("streams text and input_json_delta tool calls", async () => {
    server.handle = (_r, res) => sse(res, [
      start,
      { event: "content_block_start", data: { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } } },
      { event: "ping", data: { type: "ping" } },
      { event: "content_block_delta", data: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Let me " } } },
      { event: "content_block_delta", data: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "add." } } },
      { event: "content_block_stop", data: { type: "content_block_stop", index: 0 } },
      { event: "content_block_start", data: { type: "content_block_start", index: 1, content_block: { type: "tool_use", id: "tu_5", name: "math__add", input: {} } } },
      { event: "content_block_delta", data: { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: "{\"a\": 2" } } },
      { event: "content_block_delta", data: { type: "content_block_delta", index: 1, delta: { type: "input_json_delta", partial_json: ", \"b\": 3}" } } },
      { event: "content_block_stop", data: { type: "content_block_stop", index: 1 } },
      { event: "message_delta", data: { type: "message_delta", delta: { stop_reason: "tool_use", stop_sequence: null }, usage: { output_tokens: 17 } } },
      { event: "message_stop", data: { type: "message_stop" } },
    ]);
    const ds = await collect(p.stream(req));
    expect(ds.filter((d) => d.type === "text").map((d) => (d as { text: string }).text).join("")).toBe("Let me add.");
    const done = ds.at(-1)!;
    if (done.type !== "done") throw new Error("no done");
    expect(done.result).toEqual({ text: "Let me add.", toolCalls: [{ id: "tu_5", name: "math.add", args: { a: 2, b: 3 } }], usage: { promptTokens: 25, completionTokens: 17 }, finishReason: "tool_calls", model: "claude-test-1" });
    expect(server.received.at(-1)!.body.stream).toBe(true);
  });

  it("gets structured output through a forced tool when no other tools are offered", async () => {
    server.handle = (_r, res) => json(res, 200, { model: "c", stop_reason: "tool_use", content: [{ type: "tool_use", id: "t", name: "final_answer", input: { sum: 5 } }], usage: { input_tokens: 3, output_tokens: 4 } });
    const r = await p.chat({ messages: [{ role: "user", content: "sum?" }], output: { schema: { type: "object", properties: { sum: { type: "number" } } } } });
    expect(JSON.parse(r.text)).toEqual({ sum: 5 });
    expect(r.toolCalls).toEqual([]);
    expect(server.received.at(-1)!.body.tool_choice).toEqual({ type: "tool", name: "final_answer" });
  });

  it("maps HTTP errors and mid-stream error events to the taxonomy", async () => {
    server.handle = (_r, res) => json(res, 429, { type: "error", error: { type: "rate_limit_error", message: "slow" } }, { "retry-after": "7" });
    let e = await failure(p.chat(req));
    expect([e.code, e.details["retryAfterMs"]]).toEqual(["E_RATE_LIMITED", 7000]);
    server.handle = (_r, res) => json(res, 401, { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } });
    expect((await failure(p.chat(req))).code).toBe("E_AUTH");
    server.handle = (_r, res) => json(res, 400, { type: "error", error: { type: "invalid_request_error", message: "prompt is too long: 210000 tokens > 200000 maximum" } });
    expect((await failure(p.chat(req))).code).toBe("E_CONTEXT_OVERFLOW");
    server.handle = (_r, res) => json(res, 529, { type: "error", error: { type: "overloaded_error", message: "Overloaded" } });
    expect((await failure(p.chat(req))).code).toBe("E_MODEL");
    server.handle = (_r, res) => sse(res, [start, { event: "error", data: { type: "error", error: { type: "overloaded_error", message: "Overloaded" } } }]);
    e = await failure(collect(p.stream(req)));
    expect(e.code).toBe("E_MODEL");
    expect(e.message).toContain("overloaded_error");
  });

  it("rejects malformed output: unknown tool, bad partial JSON, truncated stream, empty content", async () => {
    server.handle = (_r, res) => json(res, 200, { stop_reason: "tool_use", content: [{ type: "tool_use", id: "t", name: "shell", input: {} }], usage: { input_tokens: 1, output_tokens: 1 } });
    expect((await failure(p.chat(req))).message).toContain('unknown tool "shell"');
    server.handle = (_r, res) => sse(res, [
      start,
      { event: "content_block_start", data: { type: "content_block_start", index: 0, content_block: { type: "tool_use", id: "t", name: "math__add", input: {} } } },
      { event: "content_block_delta", data: { type: "content_block_delta", index: 0, delta: { type: "input_json_delta", partial_json: "{\"a\": " } } },
      { event: "message_delta", data: { type: "message_delta", delta: { stop_reason: "tool_use" }, usage: { output_tokens: 3 } } },
      { event: "message_stop", data: { type: "message_stop" } },
    ]);
    expect((await failure(collect(p.stream(req)))).code).toBe("E_MODEL_OUTPUT");
    server.handle = (_r, res) => sse(res, [start, { event: "content_block_delta", data: { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hi" } } }]);
    const e = await failure(collect(p.stream(req)));
    expect(e.code).toBe("E_MODEL_OUTPUT");
    expect(e.message).toContain("truncated");
    server.handle = (_r, res) => json(res, 200, { stop_reason: null, content: [], usage: { input_tokens: 1, output_tokens: 0 } });
    expect((await failure(p.chat(req))).code).toBe("E_MODEL_OUTPUT");
  });
});
