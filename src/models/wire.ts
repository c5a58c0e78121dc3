/**
 * Shared wire plumbing for the HTTP providers: the SSE reader, HTTP status -> error taxonomy mapping,
 * fetch with cancellation, and tool-call finalisation (argument JSON parsed, names checked against
 * the request's tools). Every failure leaves here as an AiosError naming the model entry.
 */
import type { z } from "zod";
import { AiosError } from "../core/index.js";
import type { ToolCallRequest, ToolSchema } from "./types.js";

/** Parses an SSE body into {event, data} records; throws E_MODEL_OUTPUT if it ends mid-record. */
export async function* readSse(body: ReadableStream<Uint8Array>, entry: string): AsyncGenerator<{ event: string; data: string }> {
  const decoder = new TextDecoder();
  let buf = "";
  let event = "";
  let data: string[] = [];
  const reader = body.getReader();
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (e) {
        // The connection died mid-stream: a truncated stream (cancellation is told apart by callers).
        throw new AiosError("E_MODEL_OUTPUT", `model "${entry}": the stream was truncated: ${(e as Error).message}`, { cause: e, details: { model: entry } });
      }
      const { value, done } = chunk;
      if (done) break;
      buf += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl).replace(/\r$/, "");
        buf = buf.slice(nl + 1);
        if (line === "") {
          if (data.length > 0) yield { event: event || "message", data: data.join("\n") };
          event = "";
          data = [];
        } else if (line.startsWith(":")) continue; // comment / keep-alive
        else {
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") event = value;
          else if (field === "data") data.push(value);
        }
      }
    }
  } finally {
    reader.releaseLock();
  }
  if (data.length > 0 || buf.trim() !== "") {
    throw new AiosError("E_MODEL_OUTPUT", `model "${entry}": the stream ended in the middle of an event`, { details: { model: entry } });
  }
}

/** fetch() with errors mapped: network failure -> E_MODEL (unreachable), abort -> E_CANCELLED. */
export async function post(entry: string, url: string, headers: Record<string, string>, body: unknown, signal?: AbortSignal): Promise<Response> {
  try {
    return await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body), ...(signal ? { signal } : {}) });
  } catch (e) {
    if (signal?.aborted === true) throw cancelled(entry, e);
    throw new AiosError("E_MODEL", `model "${entry}": cannot reach ${url}: ${(e as Error).message}`, { cause: e, details: { model: entry, url } });
  }
}

export function cancelled(entry: string, cause?: unknown): AiosError {
  return new AiosError("E_CANCELLED", `model "${entry}": the call was cancelled`, { cause, details: { model: entry } });
}

/** Milliseconds from Retry-After (seconds or HTTP date) or OpenAI's retry-after-ms header. */
export function retryAfterMs(res: Response, now: number = Date.now()): number | undefined {
  const ms = res.headers.get("retry-after-ms");
  if (ms !== null && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const ra = res.headers.get("retry-after");
  if (ra === null) return undefined;
  if (/^\d+(\.\d+)?$/.test(ra.trim())) return Math.round(Number(ra) * 1000);
  const at = Date.parse(ra);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Maps a non-2xx response to the taxonomy. `overflow` says whether the body reports a too-long prompt. */
export async function httpError(entry: string, res: Response, overflow: (status: number, body: string) => boolean): Promise<AiosError> {
  const text = await res.text().catch(() => "");
  const snippet = text.slice(0, 300);
  const details = { model: entry, status: res.status, body: snippet };
  if (res.status === 401 || res.status === 403) {
    return new AiosError("E_AUTH", `model "${entry}": the server rejected the API key (HTTP ${res.status})`, { details });
  }
  if (res.status === 429) {
    const after = retryAfterMs(res);
    return new AiosError("E_RATE_LIMITED", `model "${entry}": rate limited (HTTP 429)${after === undefined ? "" : `, retry after ${after} ms`}`, {
      details: { ...details, ...(after === undefined ? {} : { retryAfterMs: after }) },
    });
  }
  if (overflow(res.status, text)) {
    return new AiosError("E_CONTEXT_OVERFLOW", `model "${entry}": the prompt does not fit the model's context window`, { details });
  }
  if (res.status >= 500) return new AiosError("E_MODEL", `model "${entry}": server error HTTP ${res.status}: ${snippet}`, { details });
  return new AiosError("E_MODEL", `model "${entry}": request rejected with HTTP ${res.status}: ${snippet}`, { retryable: false, details });
}

export function malformed(entry: string, what: string, cause?: unknown): AiosError {
  return new AiosError("E_MODEL_OUTPUT", `model "${entry}": malformed output: ${what}`, { cause, details: { model: entry } });
}

/** Reads a whole JSON response and checks its shape: a body that is not JSON or not that shape is E_MODEL_OUTPUT. */
export async function readJson<T>(entry: string, res: Response, schema: z.ZodType<T>, signal: AbortSignal | undefined): Promise<T> {
  let json: unknown;
  try {
    json = await res.json();
  } catch (e) {
    if (signal?.aborted === true) throw cancelled(entry, e);
    throw malformed(entry, "the response body is not JSON", e);
  }
  const p = schema.safeParse(json);
  if (!p.success) throw malformed(entry, `unexpected response shape: ${p.error.issues[0]?.message ?? ""}`);
  return p.data;
}

/** Parses raw tool calls: arguments must be a JSON object, the name one of the offered tools. */
export function finalizeToolCalls(
  entry: string,
  raw: readonly { id: string; name: string; arguments: string | Record<string, unknown> }[],
  tools: readonly ToolSchema[] | undefined,
): ToolCallRequest[] {
  // Every model turn comes here: a scan of the (short) tool list, not a set built per call.
  const out = new Array<ToolCallRequest>(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = finalizeToolCall(entry, raw[i] as (typeof raw)[number], i, tools);
  return out;
}

function offered(tools: readonly ToolSchema[] | undefined, name: string): boolean {
  if (tools === undefined) return false;
  for (let i = 0; i < tools.length; i++) if ((tools[i] as ToolSchema).name === name) return true;
  return false;
}

/** One call: its tool among those offered, its arguments a JSON object. */
function finalizeToolCall(entry: string, c: { id: string; name: string; arguments: string | Record<string, unknown> }, i: number, tools: readonly ToolSchema[] | undefined): ToolCallRequest {
  if (c.name === "" || !offered(tools, c.name)) throw malformed(entry, `tool call ${i} names unknown tool "${c.name}"`);
  let args: unknown = c.arguments;
  if (typeof c.arguments === "string") {
    try {
      args = c.arguments.trim() === "" ? {} : JSON.parse(c.arguments);
    } catch (e) {
      throw malformed(entry, `tool call ${i} (${c.name}) has arguments that are not valid JSON: ${c.arguments.slice(0, 120)}`, e);
    }
  }
  if (typeof args !== "object" || args === null || Array.isArray(args)) {
    throw malformed(entry, `tool call ${i} (${c.name}) arguments are not a JSON object`);
  }
  return { id: c.id || `call_${i}`, name: c.name, args: args as Record<string, unknown> };
}

/**
 * How deep a tool call's arguments may nest. No tool's input schema needs more; a model (or a
 * provider of the user's) answering deeper is answering garbage, and its arguments would overflow
 * the stack of whatever walks them next (the loop guard, the tool's schema, the journal, the prompt).
 */
export const MAX_TOOL_ARGS_DEPTH = 64;

/**
 * The model's answer as the router hands it on: E_MODEL_OUTPUT naming the call whose arguments are
 * not a plain object, or nest deeper than MAX_TOOL_ARGS_DEPTH (a cycle is deeper than any limit).
 */
export function checkToolCalls(entry: string, calls: readonly ToolCallRequest[]): void {
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i] as ToolCallRequest;
    const args: unknown = c.args;
    if (typeof args !== "object" || args === null || Array.isArray(args)) throw malformed(entry, `tool call ${i} (${c.name}) arguments are not a JSON object`);
    if (deeperThan(args, MAX_TOOL_ARGS_DEPTH)) throw malformed(entry, `tool call ${i} (${c.name}) arguments nest deeper than ${MAX_TOOL_ARGS_DEPTH} levels`);
  }
}

/** True when `v`'s arrays and objects nest more than `levels` deep (recursion bounded by `levels`). */
function deeperThan(v: unknown, levels: number): boolean {
  if (typeof v !== "object" || v === null) return false;
  if (levels === 0) return true;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (deeperThan(v[i], levels - 1)) return true;
    return false;
  }
  for (const k in v) if (deeperThan((v as Record<string, unknown>)[k], levels - 1)) return true;
  return false;
}

/** Tool names on the wire: both APIs allow only [A-Za-z0-9_-], ours are dotted ("fs.read"). */
export function toWireName(name: string): string {
  return name.replace(/\./g, "__");
}
export function fromWireName(name: string): string {
  return name.replace(/__/g, ".");
}
