/**
 * OpenAI-compatible Chat Completions provider (OpenAI, vLLM, llama.cpp server, Ollama, LM Studio):
 * POST {baseURL}/chat/completions, Bearer key, plain fetch (no SDK installed). Streaming uses SSE
 * `data:` chunks with `choices[0].delta` (content and indexed tool_call fragments) and a final
 * usage-only chunk (stream_options.include_usage), ended by `data: [DONE]`; a stream that stops
 * before [DONE] is a truncated stream (E_MODEL_OUTPUT), never a partial success.
 */
import { z } from "zod";
import { AiosError } from "../core/index.js";
import type { ChatDelta, ChatMessage, ChatOptions, ChatRequest, ChatResult, FinishReason, ModelProvider } from "./types.js";
import { cancelled, finalizeToolCalls, readJson, fromWireName, toWireName, httpError, malformed, post, readSse } from "./wire.js";
import { traceHeaders } from "../observe/index.js";

export interface OpenAIOptions {
  readonly name: string;
  readonly baseURL: string;
  readonly apiKey?: string;
  readonly model: string;
  readonly contextSize?: number;
}

const Usage = z.looseObject({ prompt_tokens: z.number(), completion_tokens: z.number() });
const WireToolCall = z.looseObject({
  id: z.string().optional(),
  function: z.looseObject({ name: z.string().optional(), arguments: z.string().optional() }),
});
const Completion = z.looseObject({
  model: z.string().optional(),
  choices: z.array(z.looseObject({
    message: z.looseObject({ content: z.string().nullable().optional(), tool_calls: z.array(WireToolCall).nullable().optional() }),
    finish_reason: z.string().nullable().optional(),
  })),
  usage: Usage.nullable().optional(),
});
const Chunk = z.looseObject({
  model: z.string().optional(),
  choices: z.array(z.looseObject({
    delta: z.looseObject({
      content: z.string().nullable().optional(),
      tool_calls: z.array(z.looseObject({
        index: z.number().int().min(0),
        id: z.string().optional(),
        function: z.looseObject({ name: z.string().optional(), arguments: z.string().optional() }).optional(),
      })).nullable().optional(),
    }).optional(),
    finish_reason: z.string().nullable().optional(),
  })).optional(),
  usage: Usage.nullable().optional(),
});

function toWire(m: ChatMessage): Record<string, unknown> {
  switch (m.role) {
    case "assistant":
      return m.toolCalls !== undefined && m.toolCalls.length > 0
        ? { role: "assistant", content: m.content === "" ? null : m.content, tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: "function", function: { name: toWireName(c.name), arguments: JSON.stringify(c.args) } })) }
        : { role: "assistant", content: m.content };
    case "tool":
      return { role: "tool", tool_call_id: m.toolCallId, content: m.content };
    default:
      return { role: m.role, content: m.content };
  }
}

function finish(reason: string | null | undefined, hasCalls: boolean): FinishReason {
  if (reason === "tool_calls" || reason === "function_call" || hasCalls) return "tool_calls";
  if (reason === "length") return "length";
  if (reason === "content_filter") return "content_filter";
  return "stop";
}

const overflow = (status: number, body: string): boolean => status === 400 && /context_length_exceeded|maximum context length|too many tokens/i.test(body);

export class OpenAIProvider implements ModelProvider {
  readonly name: string;
  readonly contextSize?: number;
  constructor(private readonly o: OpenAIOptions) {
    this.name = o.name;
    if (o.contextSize !== undefined) this.contextSize = o.contextSize;
  }

  private body(req: ChatRequest, opts: ChatOptions, stream: boolean): Record<string, unknown> {
    return {
      model: this.o.model,
      messages: req.messages.map(toWire),
      ...(req.tools !== undefined && req.tools.length > 0
        ? { tools: req.tools.map((t) => ({ type: "function", function: { name: toWireName(t.name), ...(t.description ? { description: t.description } : {}), parameters: t.parameters } })) }
        : {}),
      ...(req.output ? { response_format: { type: "json_schema", json_schema: { name: req.output.name ?? "output", schema: req.output.schema, strict: false } } } : {}),
      ...(opts.maxTokens !== undefined ? { max_tokens: opts.maxTokens } : {}),
      ...(opts.temperature !== undefined ? { temperature: opts.temperature } : {}),
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    };
  }

  private async send(req: ChatRequest, opts: ChatOptions, stream: boolean): Promise<Response> {
    const url = this.o.baseURL.replace(/\/+$/, "") + "/chat/completions";
    // W3C trace context of the LlmInvoke span this request is made for (empty while tracing is off).
    const headers: Record<string, string> = { ...traceHeaders(opts.trace), ...(this.o.apiKey ? { authorization: `Bearer ${this.o.apiKey}` } : {}) };
    const res = await post(this.name, url, headers, this.body(req, opts, stream), opts.signal);
    if (!res.ok) throw await httpError(this.name, res, overflow);
    return res;
  }

  async chat(req: ChatRequest, opts: ChatOptions = {}): Promise<ChatResult> {
    const res = await this.send(req, opts, false);
    const body = await readJson(this.name, res, Completion, opts.signal);
    const choice = body.choices[0];
    if (choice === undefined) throw malformed(this.name, "the response has no choices");
    const raw = (choice.message.tool_calls ?? []).map((c, i) => ({ id: c.id ?? `call_${i}`, name: fromWireName(c.function.name ?? ""), arguments: c.function.arguments ?? "" }));
    const toolCalls = finalizeToolCalls(this.name, raw, req.tools);
    return {
      text: choice.message.content ?? "",
      toolCalls,
      usage: { promptTokens: body.usage?.prompt_tokens ?? 0, completionTokens: body.usage?.completion_tokens ?? 0 },
      finishReason: finish(choice.finish_reason, toolCalls.length > 0),
      model: body.model ?? this.o.model,
    };
  }

  async *stream(req: ChatRequest, opts: ChatOptions = {}): AsyncGenerator<ChatDelta> {
    const res = await this.send(req, opts, true);
    if (res.body === null) throw malformed(this.name, "the streaming response has no body");
    let text = "";
    let model = this.o.model;
    let reason: string | null | undefined;
    let usage = { promptTokens: 0, completionTokens: 0 };
    let sawChoice = false;
    let done = false;
    const calls: { id: string; name: string; arguments: string }[] = [];
    try {
      for await (const ev of readSse(res.body, this.name)) {
        if (ev.data.trim() === "[DONE]") {
          done = true;
          break;
        }
        let json: unknown;
        try {
          json = JSON.parse(ev.data);
        } catch (e) {
          throw malformed(this.name, `a stream chunk is not JSON: ${ev.data.slice(0, 120)}`, e);
        }
        if (typeof json === "object" && json !== null && "error" in json) {
          throw new AiosError("E_MODEL", `model "${this.name}": the server reported an error mid-stream: ${JSON.stringify(json.error).slice(0, 300)}`, { details: { model: this.name } });
        }
        const c = Chunk.safeParse(json);
        if (!c.success) throw malformed(this.name, `unexpected chunk shape: ${c.error.issues[0]?.message ?? ""}`);
        if (c.data.model) model = c.data.model;
        if (c.data.usage) usage = { promptTokens: c.data.usage.prompt_tokens, completionTokens: c.data.usage.completion_tokens };
        const choice = c.data.choices?.[0];
        if (choice === undefined) continue;
        sawChoice = true;
        if (choice.finish_reason) reason = choice.finish_reason;
        const d = choice.delta;
        if (d?.content) {
          text += d.content;
          yield { type: "text", text: d.content };
        }
        for (const tc of d?.tool_calls ?? []) {
          const slot = (calls[tc.index] ??= { id: "", name: "", arguments: "" });
          if (tc.id) slot.id = tc.id;
          if (tc.function?.name) slot.name += tc.function.name;
          const args = tc.function?.arguments ?? "";
          slot.arguments += args;
          yield { type: "tool_call", index: tc.index, ...(tc.id ? { id: tc.id } : {}), ...(tc.function?.name ? { name: tc.function.name } : {}), argsDelta: args };
        }
      }
    } catch (e) {
      if (opts.signal?.aborted === true) throw cancelled(this.name, e);
      throw e;
    }
    if (!done) throw malformed(this.name, "the stream was truncated (no [DONE])");
    if (!sawChoice) throw malformed(this.name, "the stream carried no choices");
    const toolCalls = finalizeToolCalls(this.name, calls.filter((c) => c !== undefined).map((c) => ({ ...c, name: fromWireName(c.name) })), req.tools);
    yield { type: "done", result: { text, toolCalls, usage, finishReason: finish(reason, toolCalls.length > 0), model } };
  }
}
