/**
 * A scripted OpenAI-compatible model server on loopback, speaking the real Chat Completions wire
 * format: `POST /v1/chat/completions` with a Bearer key, JSON or SSE (`stream: true`, usage chunk,
 * `data: [DONE]`), tool calls as `tool_calls` with wire names (`memory__store`) and JSON-string
 * arguments. The examples' tests point `examples/models.yaml` at it (OPENAI_BASE_URL), so an example
 * spec runs unchanged, as it would against a real endpoint; the shipped GGUF model cannot call
 * tools. A script decides each turn from the conversation so far — stateless, so concurrent agents
 * and a restarted agent each get the turn their own conversation calls for.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ToolResult {
  readonly name: string;
  readonly args: Record<string, unknown>;
  /** The tool message's content as the agent sent it (JSON text of the tool's result or error). */
  readonly content: string;
}

/** What the script sees of one request. */
export interface Conversation {
  readonly model: string;
  readonly system: string;
  /** The user messages, first = the goal. */
  readonly user: readonly string[];
  /** Assistant turns so far (0 on the first request). */
  readonly turn: number;
  /** Every tool call made so far with its result, in order. */
  readonly results: readonly ToolResult[];
  /** The tool names offered, dotted as the agent knows them. */
  readonly tools: readonly string[];
}

export interface ScriptTurn {
  readonly text?: string;
  readonly toolCalls?: readonly { readonly name: string; readonly args: Record<string, unknown> }[];
  /** Answer with this HTTP status and an error body instead. */
  readonly status?: number;
}

export type Script = (c: Conversation) => ScriptTurn;

interface WireMessage {
  role: string;
  content?: string | null;
  tool_calls?: { id: string; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

const dotted = (wire: string): string => wire.replace(/__/g, ".");
const wireName = (name: string): string => name.replace(/\./g, "__");

export class FakeOpenAI {
  readonly requests: { readonly body: { model: string; messages: WireMessage[]; tools?: { function: { name: string } }[]; stream?: boolean }; readonly auth: string }[] = [];
  /** Exceptions the script threw (each answered with HTTP 400). */
  readonly errors: unknown[] = [];
  private server: Server | undefined;
  url = "";
  private calls = 0;
  private failures: number[] = [];

  constructor(private readonly script: Script, private readonly key = "sk-test-key") {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1`;
    return this;
  }

  /** The next request is answered with this HTTP status (an endpoint's outage or refusal). */
  failNext(status: number): void {
    this.failures.push(status);
  }

  /** The conversation of the last request (what the model saw last: every tool result so far). */
  last(): Conversation {
    const r = this.requests.at(-1);
    if (r === undefined) throw new Error("the model got no request");
    return conversation(r.body);
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server === undefined ? r() : this.server.close(() => r())));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method !== "POST" || req.url !== "/v1/chat/completions") return send(res, 404, { error: { message: `no route ${req.method} ${req.url}` } });
    const auth = String(req.headers.authorization ?? "");
    if (auth !== `Bearer ${this.key}`) return send(res, 401, { error: { message: "Incorrect API key provided", type: "invalid_request_error", code: "invalid_api_key" } });
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as FakeOpenAI["requests"][number]["body"];
    this.requests.push({ body, auth });
    const failure = this.failures.shift();
    if (failure !== undefined) return send(res, failure, { error: { message: "the model is overloaded (scripted failure)", type: "invalid_request_error" } });
    let turn: ScriptTurn;
    try {
      turn = this.script(conversation(body));
    } catch (e) {
      // A broken script fails the run at once (400 is not retried), not after the test's timeout.
      this.errors.push(e);
      return send(res, 400, { error: { message: `script error: ${(e as Error).message}`, type: "invalid_request_error" } });
    }
    if (turn.status !== undefined) return send(res, turn.status, { error: { message: turn.text ?? "scripted failure", type: "invalid_request_error" } });
    const offered = new Set((body.tools ?? []).map((t) => t.function.name));
    const calls = (turn.toolCalls ?? []).map((c) => {
      // A real server only calls tools it was offered; a script that asks otherwise is a broken test.
      if (!offered.has(wireName(c.name))) throw new Error(`script calls ${c.name}, which the request did not offer (${[...offered].join(", ")})`);
      return { id: `call_${++this.calls}`, type: "function", function: { name: wireName(c.name), arguments: JSON.stringify(c.args) } };
    });
    const usage = { prompt_tokens: Math.ceil(JSON.stringify(body.messages).length / 4), completion_tokens: 8 + Math.ceil((turn.text ?? "").length / 4) };
    const finish = calls.length > 0 ? "tool_calls" : "stop";
    if (body.stream === true) {
      res.writeHead(200, { "content-type": "text/event-stream" });
      const chunk = (delta: unknown, finishReason: string | null): string => `data: ${JSON.stringify({ id: "chatcmpl-fake", object: "chat.completion.chunk", model: body.model, choices: [{ index: 0, delta, finish_reason: finishReason }] })}\n\n`;
      if (turn.text !== undefined && turn.text !== "") res.write(chunk({ role: "assistant", content: turn.text }, null));
      calls.forEach((c, index) => res.write(chunk({ tool_calls: [{ index, ...c }] }, null)));
      res.write(chunk({}, finish));
      res.write(`data: ${JSON.stringify({ id: "chatcmpl-fake", object: "chat.completion.chunk", model: body.model, choices: [], usage })}\n\n`);
      res.end("data: [DONE]\n\n");
      return;
    }
    send(res, 200, {
      id: "chatcmpl-fake", object: "chat.completion", created: 0, model: body.model,
      choices: [{ index: 0, finish_reason: finish, message: { role: "assistant", content: calls.length > 0 ? (turn.text ?? null) : (turn.text ?? ""), ...(calls.length > 0 ? { tool_calls: calls } : {}) } }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function conversation(body: FakeOpenAI["requests"][number]["body"]): Conversation {
  const pending = new Map<string, { name: string; args: Record<string, unknown> }>();
  const results: ToolResult[] = [];
  let turn = 0;
  for (const m of body.messages) {
    if (m.role === "assistant") {
      turn++;
      for (const c of m.tool_calls ?? []) pending.set(c.id, { name: dotted(c.function.name), args: JSON.parse(c.function.arguments) as Record<string, unknown> });
    } else if (m.role === "tool" && m.tool_call_id !== undefined) {
      const call = pending.get(m.tool_call_id);
      if (call !== undefined) results.push({ ...call, content: m.content ?? "" });
    }
  }
  return {
    model: body.model,
    system: body.messages.filter((m) => m.role === "system").map((m) => m.content ?? "").join("\n"),
    user: body.messages.filter((m) => m.role === "user").map((m) => m.content ?? ""),
    turn,
    results,
    tools: (body.tools ?? []).map((t) => dotted(t.function.name)),
  };
}
