/**
 * The JSON-RPC 2.0 binding (spec section 9): one POST endpoint, PascalCase methods, results and
 * errors as JSON-RPC objects (A2A errors with their -320xx code and a google.rpc.ErrorInfo in
 * `data`), and the two streaming methods answered with Server-Sent Events whose `data` is a
 * JSON-RPC response wrapping a StreamResponse and whose `id` is the task event's seq. An error
 * before the stream starts is a plain JSON-RPC error; one during it is a last SSE frame.
 */
import { AiosError } from "../../core/index.js";
import { a2aError, toWireError } from "./errors.js";
import type { A2aService, CallContext, StreamItem } from "./service.js";
import { sseResponse, type SseFrame } from "./sse.js";

type RpcId = string | number | null;

const UNARY: Record<string, (s: A2aService, ctx: CallContext, params: unknown) => Promise<unknown>> = {
  SendMessage: (s, c, p) => s.send(c, p),
  GetTask: (s, c, p) => s.get(c, p),
  ListTasks: (s, c, p) => s.list(c, p),
  CancelTask: (s, c, p) => s.cancel(c, p),
  CreateTaskPushNotificationConfig: (s, c, p) => s.pushSet(c, p),
  GetTaskPushNotificationConfig: (s, c, p) => s.pushGet(c, p),
  ListTaskPushNotificationConfigs: (s, c, p) => s.pushList(c, p),
  DeleteTaskPushNotificationConfig: async (s, c, p) => {
    await s.pushDelete(c, p);
    return {};
  },
  GetExtendedAgentCard: () => Promise.reject(a2aError("UnsupportedOperationError", "this agent declares no extended agent card (capabilities.extendedAgentCard is false)")),
};

const STREAMING: Record<string, (s: A2aService, ctx: CallContext, params: unknown) => Promise<AsyncIterable<StreamItem>>> = {
  SendStreamingMessage: (s, c, p) => s.stream(c, p),
  SubscribeToTask: (s, c, p) => s.subscribe(c, p),
};

export interface RpcEnvelope {
  readonly id: RpcId;
  readonly method: string;
  readonly params: unknown;
}

/** Parses the body into one request, or the JSON-RPC error response to send instead. */
export function parseEnvelope(text: string, now: string): RpcEnvelope | Response {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return rpcError(null, { code: -32700, message: "Invalid JSON payload" });
  }
  if (body === null || typeof body !== "object" || Array.isArray(body)) return rpcError(null, { code: -32600, message: "Request payload validation error: expected one JSON-RPC request object" });
  const b = body as { jsonrpc?: unknown; id?: unknown; method?: unknown; params?: unknown };
  const id: RpcId = typeof b.id === "string" || typeof b.id === "number" ? b.id : null;
  if (b.jsonrpc !== "2.0" || typeof b.method !== "string" || (b.id !== undefined && b.id !== null && typeof b.id !== "string" && typeof b.id !== "number")) {
    return rpcError(id, { code: -32600, message: "Request payload validation error: jsonrpc must be \"2.0\", method a string, id a string or number", data: [{ "@type": "type.googleapis.com/google.rpc.ErrorInfo", reason: "INVALID_REQUEST", domain: "a2a-protocol.org", metadata: { timestamp: now } }] });
  }
  if (b.params !== undefined && (b.params === null || typeof b.params !== "object" || Array.isArray(b.params))) {
    return rpcError(id, { code: -32602, message: "Invalid parameters: params must be an object" });
  }
  return { id, method: b.method, params: b.params };
}

export async function answerRpc(service: A2aService, ctx: CallContext, env: RpcEnvelope, now: () => string, abort: AbortController): Promise<Response> {
  const unary = UNARY[env.method];
  const streaming = STREAMING[env.method];
  if (unary === undefined && streaming === undefined) return rpcError(env.id, { code: -32601, message: `Method not found: ${env.method}` });
  try {
    if (unary !== undefined) return rpcResult(env.id, await unary(service, ctx, env.params));
    if (streaming === undefined) throw new AiosError("E_INTERNAL", "no handler");
    const items = await streaming(service, ctx, env.params);
    return sseResponse(frames(items, env.id, now), abort);
  } catch (e) {
    return rpcError(env.id, wireOf(e, now()));
  }
}

async function* frames(items: AsyncIterable<StreamItem>, id: RpcId, now: () => string): AsyncIterable<SseFrame> {
  try {
    for await (const it of items) yield { id: String(it.seq), data: JSON.stringify({ jsonrpc: "2.0", id, result: it.resp }) };
  } catch (e) {
    yield { data: JSON.stringify({ jsonrpc: "2.0", id, error: wireOf(e, now()) }) };
  }
}

function wireOf(e: unknown, now: string): { code: number; message: string; data: readonly unknown[] } {
  const w = toWireError(e, now);
  return { code: w.rpc, message: w.message, data: w.details };
}

export function rpcResult(id: RpcId, result: unknown): Response {
  return Response.json({ jsonrpc: "2.0", id, result }, { headers: { "content-type": "application/json" } });
}

export function rpcError(id: RpcId, error: { code: number; message: string; data?: readonly unknown[] }, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ jsonrpc: "2.0", id, error }), { status, headers: { "content-type": "application/json", ...headers } });
}

export { wireOf as rpcWireError };
