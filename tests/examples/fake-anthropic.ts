/**
 * The same scripted model as fake-openai.ts behind Anthropic's Messages API wire format: `POST
 * /v1/messages` with `x-api-key` and `anthropic-version`, a top-level `system`, tools as
 * `{name, description, input_schema}`, tool calls as `tool_use` content blocks and results as
 * `tool_result` blocks in user turns, `stop_reason` and `usage` as the API sends them. Non-streaming
 * only (the agent loop does not stream unless someone watches model tokens): a streaming request
 * is answered 400, so a test would see it rather than a half-played conversation.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Conversation, Script, ToolResult } from "./fake-openai.js";

type Block = { type: string; text?: string; id?: string; name?: string; input?: Record<string, unknown>; tool_use_id?: string; content?: string };
interface Body {
  model: string;
  system?: string;
  messages: { role: "user" | "assistant"; content: Block[] }[];
  tools?: { name: string }[];
  stream?: boolean;
}

const dotted = (wire: string): string => wire.replace(/__/g, ".");

export class FakeAnthropic {
  readonly requests: { readonly body: Body; readonly headers: IncomingMessage["headers"] }[] = [];
  private server: Server | undefined;
  url = "";
  private calls = 0;

  constructor(private readonly script: Script, private readonly key = "sk-ant-test") {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server === undefined ? r() : this.server.close(() => r())));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (req.method !== "POST" || req.url !== "/v1/messages") return send(res, 404, { type: "error", error: { type: "not_found_error", message: `no route ${req.url}` } });
    if (req.headers["x-api-key"] !== this.key) return send(res, 401, { type: "error", error: { type: "authentication_error", message: "invalid x-api-key" } });
    if (req.headers["anthropic-version"] !== "2023-06-01") return send(res, 400, { type: "error", error: { type: "invalid_request_error", message: "anthropic-version: expected 2023-06-01" } });
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Body;
    this.requests.push({ body, headers: req.headers });
    if (body.stream === true) return send(res, 400, { type: "error", error: { type: "invalid_request_error", message: "this fake does not stream" } });
    let turn;
    try {
      turn = this.script(conversation(body));
    } catch (e) {
      return send(res, 400, { type: "error", error: { type: "invalid_request_error", message: `script error: ${(e as Error).message}` } });
    }
    const offered = new Set((body.tools ?? []).map((t) => t.name));
    const content: Block[] = [];
    if (turn.text !== undefined && turn.text !== "") content.push({ type: "text", text: turn.text });
    for (const c of turn.toolCalls ?? []) {
      const name = c.name.replace(/\./g, "__");
      if (!offered.has(name)) return send(res, 400, { type: "error", error: { type: "invalid_request_error", message: `script calls ${c.name}, not offered` } });
      content.push({ type: "tool_use", id: `toolu_${++this.calls}`, name, input: c.args });
    }
    send(res, 200, {
      id: `msg_${this.calls}`, type: "message", role: "assistant", model: body.model, content,
      stop_reason: (turn.toolCalls ?? []).length > 0 ? "tool_use" : "end_turn", stop_sequence: null,
      usage: { input_tokens: Math.ceil(JSON.stringify(body.messages).length / 4), output_tokens: 8 },
    });
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function conversation(body: Body): Conversation {
  const pending = new Map<string, { name: string; args: Record<string, unknown> }>();
  const results: ToolResult[] = [];
  const user: string[] = [];
  let turn = 0;
  for (const m of body.messages) {
    if (m.role === "assistant") turn++;
    for (const b of m.content) {
      if (b.type === "tool_use" && b.id !== undefined) pending.set(b.id, { name: dotted(b.name ?? ""), args: b.input ?? {} });
      else if (b.type === "tool_result" && b.tool_use_id !== undefined) {
        const call = pending.get(b.tool_use_id);
        if (call !== undefined) results.push({ ...call, content: b.content ?? "" });
      } else if (b.type === "text" && m.role === "user") user.push(b.text ?? "");
    }
  }
  return { model: body.model, system: body.system ?? "", user, turn, results, tools: (body.tools ?? []).map((t) => dotted(t.name)) };
}
