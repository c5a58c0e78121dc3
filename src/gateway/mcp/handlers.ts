/**
 * The MCP methods a surface answers, as one table shared by the session server (session.ts, on the
 * SDK's Server) and the stateless path (stateless.ts, which answers without any Server instance).
 * Subscriptions exist only in a session: `resources/updated` is sent on the session's own stream
 * after the subscribing request has been answered.
 */
import {
  CallToolRequestSchema,
  CompleteRequestSchema,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  ReadResourceRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type ServerCapabilities,
} from "@modelcontextprotocol/sdk/types.js";
import { AiosError } from "../../core/index.js";
import { remoteParent } from "../../observe/index.js";
import type { McpRequestContext, McpSurface } from "./surface.js";

/** What only a session has: a stream for unrelated notifications and its subscriptions. */
export interface SessionChannel {
  notify(method: string, params: Record<string, unknown>): Promise<void>;
  readonly subscriptions: Map<string, () => void>;
}

export interface MethodHandler {
  /** The SDK's schema of the whole request (method + params); parsing it validates the params. */
  readonly schema: typeof ListToolsRequestSchema | typeof CallToolRequestSchema | typeof ListResourcesRequestSchema | typeof ListResourceTemplatesRequestSchema
    | typeof ReadResourceRequestSchema | typeof SubscribeRequestSchema | typeof UnsubscribeRequestSchema | typeof ListPromptsRequestSchema
    | typeof GetPromptRequestSchema | typeof CompleteRequestSchema;
  run(params: Record<string, unknown>, ctx: McpRequestContext, session: SessionChannel | undefined): Promise<Record<string, unknown>>;
}

export function capabilitiesOf(s: McpSurface): ServerCapabilities {
  return {
    tools: { listChanged: false },
    logging: {},
    ...(s.resources === undefined ? {} : { resources: { subscribe: true, listChanged: false } }),
    ...(s.prompts === undefined ? {} : { prompts: { listChanged: false } }),
    ...(s.complete === undefined ? {} : { completions: {} }),
  };
}

const str = (v: unknown): string => (typeof v === "string" ? v : "");
const strings = (v: unknown): Record<string, string> =>
  v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).filter((e): e is [string, string] => typeof e[1] === "string")) : {};

export function methodTable(s: McpSurface): Map<string, MethodHandler> {
  const t = new Map<string, MethodHandler>();
  t.set("tools/list", { schema: ListToolsRequestSchema, run: async (_p, ctx) => ({ tools: await s.listTools(ctx) }) });
  t.set("tools/call", {
    schema: CallToolRequestSchema,
    run: async (p, ctx) => {
      const args = p["arguments"];
      // A client's trace context in `_meta` (traceparent/tracestate): the ToolCall's span joins its trace.
      const meta = p["_meta"];
      const tp = meta !== null && typeof meta === "object" ? (meta as Record<string, unknown>) : {};
      const parent = remoteParent(typeof tp["traceparent"] === "string" ? tp["traceparent"] : undefined, typeof tp["tracestate"] === "string" ? tp["tracestate"] : undefined);
      return { ...(await s.callTool(str(p["name"]), args !== null && typeof args === "object" ? (args as Record<string, unknown>) : {}, ctx, parent)) };
    },
  });
  const r = s.resources;
  if (r !== undefined) {
    t.set("resources/list", { schema: ListResourcesRequestSchema, run: async (_p, ctx) => ({ resources: await r.list(ctx) }) });
    t.set("resources/templates/list", { schema: ListResourceTemplatesRequestSchema, run: () => Promise.resolve({ resourceTemplates: r.templates() }) });
    t.set("resources/read", { schema: ReadResourceRequestSchema, run: async (p, ctx) => ({ ...(await r.read(str(p["uri"]), ctx)) }) });
    t.set("resources/subscribe", {
      schema: SubscribeRequestSchema,
      run: async (p, ctx, session) => {
        const uri = str(p["uri"]);
        if (session === undefined) throw new AiosError("E_INVALID_ARG", "resources/subscribe needs a session (initialize first and send Mcp-Session-Id)", { details: { path: "params.uri" } });
        if (!session.subscriptions.has(uri)) {
          const stop = await r.watch(uri, ctx, () => void session.notify("notifications/resources/updated", { uri }).catch(() => undefined));
          session.subscriptions.set(uri, stop);
        }
        return {};
      },
    });
    t.set("resources/unsubscribe", {
      schema: UnsubscribeRequestSchema,
      run: (p, _ctx, session) => {
        const uri = str(p["uri"]);
        session?.subscriptions.get(uri)?.();
        session?.subscriptions.delete(uri);
        return Promise.resolve({});
      },
    });
  }
  const pr = s.prompts;
  if (pr !== undefined) {
    t.set("prompts/list", { schema: ListPromptsRequestSchema, run: async (_p, ctx) => ({ prompts: await pr.list(ctx) }) });
    t.set("prompts/get", { schema: GetPromptRequestSchema, run: async (p, ctx) => ({ ...(await pr.get(str(p["name"]), strings(p["arguments"]), ctx)) }) });
  }
  const complete = s.complete?.bind(s);
  if (complete !== undefined) {
    t.set("completion/complete", {
      schema: CompleteRequestSchema,
      run: async (p, ctx) => ({ completion: await complete(CompleteRequestSchema.shape.params.parse(p), ctx) }),
    });
  }
  return t;
}
