/**
 * The HTTP+JSON/REST binding (spec section 11): resource URLs with custom verbs (`/message:send`,
 * `/tasks/{id}:cancel`), GET/POST/DELETE, query parameters in camelCase for GET (numbers and
 * booleans as decimal and lowercase strings, checked), errors in the AIP-193 shape
 * `{ error: { code, status, message, details } }` with the status of the spec's mapping table,
 * and streams as Server-Sent Events whose `data` is a StreamResponse and whose `id` is its seq.
 * Routing is by hand: Hono reads `:send` as a path parameter.
 */
import { AiosError } from "../../core/index.js";
import { a2aError, toWireError } from "./errors.js";
import type { A2aService, CallContext, StreamItem } from "./service.js";
import { sseResponse, type SseFrame } from "./sse.js";

export function restError(e: unknown, now: string, headers: Record<string, string> = {}): Response {
  const w = toWireError(e, now);
  return new Response(JSON.stringify({ error: { code: w.http, status: w.status, message: w.message, details: w.details } }), { status: w.http, headers: { "content-type": "application/json", ...headers } });
}

function ok(body: unknown): Response {
  return new Response(JSON.stringify(body), { status: 200, headers: { "content-type": "application/json" } });
}

const NOT_FOUND = (method: string, path: string): AiosError => new AiosError("E_NOT_FOUND", `no A2A REST operation ${method} ${path || "/"}`, { details: { path } });

/** Answers one REST request; `path` is what follows the binding's base URL. */
export async function answerRest(service: A2aService, ctx: CallContext, req: Request, path: string, url: URL, now: () => string, abort: AbortController): Promise<Response> {
  const method = req.method.toUpperCase();
  const seg = path.split("/").filter((s) => s !== "").map(decodeURIComponent);
  try {
    if (seg.length === 1 && method === "POST" && seg[0] === "message:send") return ok(await service.send(ctx, await body(req)));
    if (seg.length === 1 && method === "POST" && seg[0] === "message:stream") return stream(await service.stream(ctx, await body(req)), now, abort);
    if (seg.length === 1 && seg[0] === "extendedAgentCard" && method === "GET") throw a2aError("UnsupportedOperationError", "this agent declares no extended agent card (capabilities.extendedAgentCard is false)");
    if (seg[0] === "tasks") {
      if (seg.length === 1 && method === "GET") return ok(await service.list(ctx, listQuery(url)));
      const head = seg[1] ?? "";
      if (seg.length === 2) {
        if (method === "GET" && !head.includes(":")) return ok(await service.get(ctx, { id: head, ...intParam(url, "historyLength") }));
        if (method === "POST" && head.endsWith(":cancel")) return ok(await service.cancel(ctx, { ...(await body(req) as object), id: head.slice(0, -":cancel".length) }));
        if ((method === "POST" || method === "GET") && head.endsWith(":subscribe")) return stream(await service.subscribe(ctx, { id: head.slice(0, -":subscribe".length) }), now, abort);
      }
      if (seg[2] === "pushNotificationConfigs") {
        if (seg.length === 3 && method === "POST") return ok(await service.pushSet(ctx, { ...(await body(req) as object), taskId: head }));
        if (seg.length === 3 && method === "GET") return ok(await service.pushList(ctx, { taskId: head }));
        const cid = seg[3];
        if (seg.length === 4 && cid !== undefined && method === "GET") return ok(await service.pushGet(ctx, { taskId: head, id: cid }));
        if (seg.length === 4 && cid !== undefined && method === "DELETE") {
          await service.pushDelete(ctx, { taskId: head, id: cid });
          return ok({});
        }
      }
    }
    throw NOT_FOUND(method, path);
  } catch (e) {
    return restError(e, now());
  }
}

async function body(req: Request): Promise<unknown> {
  const text = await req.text();
  if (text.trim() === "") return {};
  try {
    const v = JSON.parse(text) as unknown;
    if (v === null || typeof v !== "object" || Array.isArray(v)) throw new Error("not an object");
    return v;
  } catch {
    throw new AiosError("E_INVALID_ARG", "body: expected a JSON object", { details: { path: "body" } });
  }
}

function stream(items: AsyncIterable<StreamItem>, now: () => string, abort: AbortController): Response {
  async function* frames(): AsyncIterable<SseFrame> {
    try {
      for await (const it of items) yield { id: String(it.seq), data: JSON.stringify(it.resp) };
    } catch (e) {
      const w = toWireError(e, now());
      yield { data: JSON.stringify({ error: { code: w.http, status: w.status, message: w.message, details: w.details } }) };
    }
  }
  return sseResponse(frames(), abort);
}

function intParam(url: URL, name: string): Record<string, number> {
  const v = url.searchParams.get(name);
  if (v === null) return {};
  if (!/^-?\d+$/.test(v)) throw new AiosError("E_INVALID_ARG", `${name}: expected a decimal integer, got "${v}"`, { details: { path: name } });
  return { [name]: Number(v) };
}

function listQuery(url: URL): Record<string, unknown> {
  const q: Record<string, unknown> = {};
  for (const k of ["contextId", "status", "pageToken", "statusTimestampAfter", "tenant"]) {
    const v = url.searchParams.get(k);
    if (v !== null) q[k] = v;
  }
  Object.assign(q, intParam(url, "pageSize"), intParam(url, "historyLength"));
  const inc = url.searchParams.get("includeArtifacts");
  if (inc !== null) {
    if (inc !== "true" && inc !== "false") throw new AiosError("E_INVALID_ARG", `includeArtifacts: expected true or false, got "${inc}"`, { details: { path: "includeArtifacts" } });
    q["includeArtifacts"] = inc === "true";
  }
  return q;
}
