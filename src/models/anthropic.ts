/**
 * Anthropic Messages provider: POST {baseURL}/v1/messages with x-api-key and anthropic-version
 * 2023-06-01, plain fetch. System messages go to the top-level `system`; tool results are user turns
 * of `tool_result` blocks (consecutive ones merged, as the API requires alternating roles).
 * Streaming: message_start (input usage) -> content_block_start/delta/stop (text_delta,
 * input_json_delta) -> message_delta (stop_reason, output usage) -> message_stop; an `error` event
 * or a stream without message_stop is an error, never a partial success. Structured output with no
 * other tools is a forced tool call whose input is the answer (the API's documented JSON technique).
 */
import { z } from "zod";
import { AiosError } from "../core/index.js";
import type { ChatDelta, ChatMessage, ChatOptions, ChatRequest, ChatResult, FinishReason, ModelProvider, ToolSchema } from "./types.js";
import { cancelled, finalizeToolCalls, readJson, fromWireName, toWireName, httpError, malformed, post, readSse } from "./wire.js";

export interface AnthropicOptions {
  readonly name: string;
  readonly baseURL: string;
  readonly apiKey: string;
  readonly model: string;
  readonly contextSize?: number;
}

const OUTPUT_TOOL = "final_answer";
const Block = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text"), text: z.string() }),
  z.looseObject({ type: z.literal("tool_use"), id: z.string(), name: z.string(), input: z.unknown() }),
  z.looseObject({ type: z.literal("thinking") }),
]);
const Message = z.looseObject({
  model: z.string().optional(),
  content: z.array(Block),
  stop_reason: z.string().nullable().optional(),
  usage: z.looseObject({ input_tokens: z.number(), output_tokens: z.number() }),
});
const StreamEvent = z.looseObject({
  type: z.string(),
  index: z.number().int().min(0).optional(),
  message: z.looseObject({ model: z.string().optional(), usage: z.looseObject({ input_tokens: z.number().optional(), output_tokens: z.number().optional() }).optional() }).optional(),
  content_block: z.looseObject({ type: z.string(), text: z.string().optional(), id: z.string().optional(), name: z.string().optional() }).optional(),
  delta: z.looseObject({ type: z.string().optional(), text: z.string().optional(), partial_json: z.string().optional(), stop_reason: z.string().nullable().optional() }).optional(),
  usage: z.looseObject({ output_tokens: z.number().optional(), input_tokens: z.number().optional() }).optional(),
  error: z.looseObject({ type: z.string().optional(), message: z.string().optional() }).optional(),
});

type Wire = { role: "user" | "assistant"; content: Record<string, unknown>[] };

function toWire(messages: readonly ChatMessage[]): { system: string; messages: Wire[] } {
  const system: string[] = [];
  const out: Wire[] = [];
  const push = (role: Wire["role"], block: Record<string, unknown>): void => {
    const last = out[out.length - 1];
    if (last !== undefined && last.role === role) last.content.push(block);
    else out.push({ role, content: [block] });
  };
  for (const m of messages) {
    if (m.role === "system") system.push(m.content);
    else if (m.role === "user") push("user", { type: "text", text: m.content });
    else if (m.role === "tool") push("user", { type: "tool_result", tool_use_id: m.toolCallId, content: m.content });
    else {
      if (m.content !== "") push("assistant", { type: "text", text: m.content });
      for (const c of m.toolCalls ?? []) push("assistant", { type: "tool_use", id: c.id, name: toWireName(c.name), input: c.args });
    }
  }
  return { system: system.join("\n\n"), messages: out };
}

function finish(reason: string | null | undefined): FinishReason {
  if (reason === "tool_use") return "tool_calls";
  if (reason === "max_tokens") return "length";
  if (reason === "refusal") return "content_filter";
  return "stop";
}

const overflow = (status: number, body: string): boolean => (status === 400 || status === 413) && /prompt is too long|too many tokens|context window|request_too_large/i.test(body);

export class AnthropicProvider implements ModelProvider {
  readonly name: string;
  readonly contextSize?: number;
  constructor(private readonly o: AnthropicOptions) {
    this.name = o.name;
    if (o.contextSize !== undefined) this.contextSize = o.contextSize;
  }

  /** Forced output tool only when the request offers no other tools (tool_choice would block them). */
  private forced(req: ChatRequest): boolean {
    return req.output !== undefined && (req.tools === undefined || req.tools.length === 0);
  }

  private async send(req: ChatRequest, opts: ChatOptions, stream: boolean): Promise<Response> {
    const { system, messages } = toWire(req.messages);
    const forced = this.forced(req);
    const tools: ToolSchema[] = [...(req.tools ?? [])];
    if (forced && req.output) tools.push({ name: OUTPUT_TOOL, description: "Give the final answer.", parameters: req.output.schema });
    const outputHint = req.output && !forced ? `\n\nWhen you give the final answer, reply with only JSON matching this JSON Schema: ${JSON.stringify(req.output.schema)}` : "";
    const body = {
      model: this.o.model,
      max_tokens: opts.maxTokens ?? 1024,
      messages,
      ...(system + outputHint !== "" ? { system: system + outputHint } : {}),
      ...(tools.length > 0 ? { tools: tools.map((t) => ({ name: toWireName(t.name), ...(t.description ? { description: t.description } : {}), input_schema: t.parameters })) } : {}),
      ...(forced ? { tool_choice: { type: "tool", name: OUTPUT_TOOL } } : {}),
      ...(opts.temperature !== undefined ? { temperature: opts.temperature } : {}),
      ...(stream ? { stream: true } : {}),
    };
    const url = this.o.baseURL.replace(/\/+$/, "") + "/v1/messages";
    const res = await post(this.name, url, { "x-api-key": this.o.apiKey, "anthropic-version": "2023-06-01" }, body, opts.signal);
    if (!res.ok) throw await httpError(this.name, res, overflow);
    return res;
  }

  /** Turns the forced output tool's input back into the JSON text answer. */
  private result(req: ChatRequest, text: string, raw: { id: string; name: string; arguments: string | Record<string, unknown> }[], reason: string | null | undefined, usage: ChatResult["usage"], model: string): ChatResult {
    if (this.forced(req)) {
      const out = raw.find((c) => c.name === OUTPUT_TOOL);
      if (out === undefined) throw malformed(this.name, "the forced final_answer tool was not called");
      const json = typeof out.arguments === "string" ? out.arguments : JSON.stringify(out.arguments);
      return { text: json, toolCalls: [], usage, finishReason: "stop", model };
    }
    const toolCalls = finalizeToolCalls(this.name, raw, req.tools);
    return { text, toolCalls, usage, finishReason: toolCalls.length > 0 ? "tool_calls" : finish(reason), model };
  }

  async chat(req: ChatRequest, opts: ChatOptions = {}): Promise<ChatResult> {
    const res = await this.send(req, opts, false);
    const body = await readJson(this.name, res, Message, opts.signal);
    if (body.content.length === 0 && body.stop_reason !== "end_turn") throw malformed(this.name, "the response has no content");
    let text = "";
    const raw: { id: string; name: string; arguments: Record<string, unknown> | string }[] = [];
    for (const b of body.content) {
      if (b.type === "text") text += b.text;
      else if (b.type === "tool_use") {
        const input = b.input;
        raw.push({ id: b.id, name: fromWireName(b.name), arguments: typeof input === "object" && input !== null && !Array.isArray(input) ? (input as Record<string, unknown>) : JSON.stringify(input) });
      }
    }
    const usage = { promptTokens: body.usage.input_tokens, completionTokens: body.usage.output_tokens };
    return this.result(req, text, raw, body.stop_reason, usage, body.model ?? this.o.model);
  }

  async *stream(req: ChatRequest, opts: ChatOptions = {}): AsyncGenerator<ChatDelta> {
    const res = await this.send(req, opts, true);
    if (res.body === null) throw malformed(this.name, "the streaming response has no body");
    let text = "";
    let model = this.o.model;
    let reason: string | null | undefined;
    let promptTokens = 0;
    let completionTokens = 0;
    let stopped = false;
    const blocks = new Map<number, { id: string; name: string; arguments: string }>();
    const forced = this.forced(req);
    try {
      for await (const ev of readSse(res.body, this.name)) {
        let json: unknown;
        try {
          json = JSON.parse(ev.data);
        } catch (e) {
          throw malformed(this.name, `a stream event is not JSON: ${ev.data.slice(0, 120)}`, e);
        }
        const p = StreamEvent.safeParse(json);
        if (!p.success) throw malformed(this.name, `unexpected stream event: ${p.error.issues[0]?.message ?? ""}`);
        const e = p.data;
        const index = e.index ?? 0;
        if (e.type === "error") {
          const kind = e.error?.type ?? "error";
          const code = kind === "rate_limit_error" ? "E_RATE_LIMITED" : "E_MODEL";
          throw new AiosError(code, `model "${this.name}": the server reported ${kind} mid-stream: ${e.error?.message ?? ""}`, { details: { model: this.name, type: kind } });
        } else if (e.type === "message_start") {
          if (e.message?.model) model = e.message.model;
          promptTokens = e.message?.usage?.input_tokens ?? 0;
          completionTokens = e.message?.usage?.output_tokens ?? 0;
        } else if (e.type === "content_block_start" && e.content_block?.type === "tool_use") {
          blocks.set(index, { id: e.content_block.id ?? "", name: fromWireName(e.content_block.name ?? ""), arguments: "" });
          if (!forced) yield { type: "tool_call", index, ...(e.content_block.id ? { id: e.content_block.id } : {}), ...(e.content_block.name ? { name: e.content_block.name } : {}), argsDelta: "" };
        } else if (e.type === "content_block_delta" && e.delta?.type === "text_delta" && e.delta.text !== undefined) {
          text += e.delta.text;
          yield { type: "text", text: e.delta.text };
        } else if (e.type === "content_block_delta" && e.delta?.type === "input_json_delta") {
          const b = blocks.get(index);
          if (b === undefined) throw malformed(this.name, `input_json_delta for block ${index} that is not a tool_use`);
          b.arguments += e.delta.partial_json ?? "";
          if (forced) yield { type: "text", text: e.delta.partial_json ?? "" };
          else yield { type: "tool_call", index, argsDelta: e.delta.partial_json ?? "" };
        } else if (e.type === "message_delta") {
          if (e.delta?.stop_reason !== undefined) reason = e.delta.stop_reason;
          if (e.usage?.output_tokens !== undefined) completionTokens = e.usage.output_tokens;
          if (e.usage?.input_tokens !== undefined) promptTokens = e.usage.input_tokens;
        } else if (e.type === "message_stop") {
          stopped = true;
          break;
        }
      }
    } catch (e) {
      if (opts.signal?.aborted === true) throw cancelled(this.name, e);
      throw e;
    }
    if (!stopped) throw malformed(this.name, "the stream was truncated (no message_stop)");
    const raw = [...blocks.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b);
    yield { type: "done", result: this.result(req, text, raw, reason, { promptTokens, completionTokens }, model) };
  }
}
