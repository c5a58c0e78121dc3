/**
 * a2a.send: an agent calls a remote A2A agent (the client half of issue #12 item 4). The official
 * @a2a-js/sdk client reads the remote's Agent Card and sends one message with SendMessage over
 * the binding the card prefers (JSON-RPC or HTTP+JSON, protocol 1.0), waiting for the task to
 * settle (or not, with `returnImmediately`); a `taskId` continues a task the remote left
 * input-required. Capabilities: `a2a:<host>#send` for the remote (checked by the dispatcher from the
 * URL), and every HTTP exchange — card and call — goes through the egress-checked client
 * (http-fetch.ts): `net:<host>:<port>#fetch` and the address-class grant for loopback or private
 * addresses, DNS pinned, no redirects. `headers` is a secret slot (`Authorization: Bearer
 * {{secret:REMOTE_TOKEN}}`). The caller's trace context rides the W3C `traceparent` header.
 */
import type { Message, Task } from "@a2a-js/sdk";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { AiosError, toAiosError } from "../core/index.js";
import { traceHeaders } from "../observe/index.js";
import { egressFetch } from "./http-fetch.js";
import { FetchUrl, systemResolver, targetOf, type Resolver } from "./net-policy.js";
import { defineTool, eraseTool, type AnyTool, type ToolContext } from "./tool.js";

export interface A2aToolOptions {
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
  /** DNS resolution (default: the system resolver). */
  readonly resolve?: Resolver;
}

const Input = z.strictObject({
  /** The remote's Agent Card URL, or its base URL (then `/.well-known/agent-card.json` is read). */
  url: FetchUrl,
  text: z.string().max(1 << 20),
  data: z.unknown().optional(),
  taskId: z.string().min(1).max(256).optional(),
  contextId: z.string().min(1).max(256).optional(),
  binding: z.enum(["JSONRPC", "HTTP+JSON"]).optional(),
  returnImmediately: z.boolean().default(false),
  headers: z.record(z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "not a valid header name"), z.string().max(8192).refine((v) => !/[\r\n]/.test(v), "contains a line break")).default({}),
  timeoutMs: z.number().int().positive().optional(),
});

const Output = z.object({
  kind: z.enum(["task", "message"]),
  taskId: z.string().optional(),
  contextId: z.string(),
  state: z.string().optional(),
  /** The text of the answer: artifacts' text parts, else the status or reply message's. */
  text: z.string(),
  result: z.unknown(),
});

const CARD = "/.well-known/agent-card.json";

/** The remote's host as the capability names it: `a2a:<host>#send`. */
export function a2aResource(url: string): string {
  return `a2a:${targetOf(url).host}`;
}

export function a2aTool(options: A2aToolOptions = {}): AnyTool {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const maxBytes = options.maxBytes ?? 4 << 20;
  const resolve = options.resolve ?? systemResolver;
  return eraseTool(
    defineTool({
      name: "a2a.send",
      description: "Send a message to a remote A2A agent (given its Agent Card URL) and return its answer; taskId continues an input-required task.",
      input: Input,
      output: Output,
      sideEffect: true,
      secretSlots: ["headers.*"],
      requires: (a) => [{ resource: a2aResource(a.url), action: "send" }],
      async execute(a, ctx) {
        const limit = Math.min(a.timeoutMs ?? timeoutMs, timeoutMs);
        const fetchImpl = guardedFetch(ctx, { ...a.headers, ...traceHeaders(ctx.trace) }, { maxBytes, timeoutMs: limit }, resolve);
        const cardUrl = new URL(a.url).pathname.endsWith(".json") ? a.url : `${a.url.replace(/\/+$/, "")}${CARD}`;
        try {
          // The SDK loads on the first a2a.send (about 0.1 CPU-s): a daemon that never calls out does not pay it at boot.
          const [{ SendMessageRequest, Task }, { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory, RestTransportFactory }] = await Promise.all([import("@a2a-js/sdk"), import("@a2a-js/sdk/client")]);
          const factory = new ClientFactory(
            ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
              transports: [new JsonRpcTransportFactory({ fetchImpl }), new RestTransportFactory({ fetchImpl })],
              cardResolver: new DefaultAgentCardResolver({ fetchImpl }),
              ...(a.binding === undefined ? {} : { preferredTransports: [a.binding] }),
            }),
          );
          const client = await factory.createFromUrl(cardUrl, "");
          const parts: unknown[] = [{ text: a.text }, ...(a.data === undefined ? [] : [{ data: a.data }])];
          const req = SendMessageRequest.fromJSON({
            message: { messageId: ctx.idempotencyKey ?? randomUUID(), role: "ROLE_USER", parts, ...(a.taskId === undefined ? {} : { taskId: a.taskId }), ...(a.contextId === undefined ? {} : { contextId: a.contextId }) },
            configuration: { returnImmediately: a.returnImmediately },
          });
          const r = await client.sendMessage(req, { signal: ctx.signal });
          return "status" in r ? fromTask(r, Task.toJSON(r)) : fromMessage(r);
        } catch (e) {
          const err = toAiosError(e);
          if (err.code !== "E_INTERNAL") throw err; // the egress check's own refusal, a timeout, ...
          throw new AiosError("E_TOOL", `a2a.send to ${a.url}: ${err.message}`, { cause: e, details: { url: a.url } });
        }
      },
    }),
  );
}

/** fetch over the egress-checked client: every request is checked, pinned and bounded; no redirects. */
function guardedFetch(ctx: ToolContext, extra: Record<string, string>, lim: { maxBytes: number; timeoutMs: number }, resolve: Resolver): typeof fetch {
  return async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((v, k) => (headers[k] = v));
    const body = typeof init?.body === "string" ? Buffer.from(init.body) : undefined;
    const res = await egressFetch(ctx, { url, method: init?.method ?? "GET", headers: { ...headers, ...extra }, ...(body === undefined ? {} : { body }), maxBytes: lim.maxBytes, timeoutMs: lim.timeoutMs, maxRedirects: 0 }, resolve);
    return new Response(res.status === 204 || res.status === 304 ? null : new Uint8Array(res.body), { status: res.status, headers: res.headers });
  };
}

function textOf(parts: readonly { content?: { $case: string; value: unknown } | undefined }[]): string[] {
  return parts.flatMap((p) => (p.content?.$case === "text" && typeof p.content.value === "string" ? [p.content.value] : []));
}

/** `json` is the task in its wire form (the SDK's `Task.toJSON`). */
function fromTask(t: Task, json: unknown): z.output<typeof Output> {
  const fromArtifacts = t.artifacts.flatMap((x) => textOf(x.parts));
  const status = t.status?.message === undefined ? [] : textOf(t.status.message.parts);
  const wire = json as { status?: { state?: string } };
  return { kind: "task", taskId: t.id, contextId: t.contextId, ...(wire.status?.state === undefined ? {} : { state: wire.status.state }), text: (fromArtifacts.length > 0 ? fromArtifacts : status).join("\n"), result: wire };
}

function fromMessage(m: Message): z.output<typeof Output> {
  return { kind: "message", contextId: m.contextId, text: textOf(m.parts).join("\n"), result: { messageId: m.messageId, text: textOf(m.parts) } };
}
