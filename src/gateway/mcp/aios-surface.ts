/**
 * AIOS as an MCP server (the surface the daemon serves at /mcp and `aios mcp serve --stdio`):
 * - tools: the tool registry's tools the principal may call (`tool:<name>#call`), each call a
 *   ToolCall syscall through the dispatcher with the principal as the caller, so schema,
 *   capability, policy, quota, scheduler, audit and events apply exactly as for an agent;
 * - resources: memory records at `aios://memory/<id>`, read with MemoryGet through the door; the
 *   list holds the most recent records announced in global or shared scopes that the principal may
 *   read; a subscription follows `memory.stored` events of that record;
 * - prompts: the agent specs in `specsDir` (YAML or JSON): a spec's instructions plus the goal asked.
 * The principal acts as a caller of its own (`mcp:<principal>`), not as any agent: it has no
 * private memory and its taint is its own.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import type { CallToolResult, Prompt, Resource, Tool } from "@modelcontextprotocol/sdk/types.js";
import { AiosError, isAiosError, toAiosError, type AgentId, type EventBus, type TenantId } from "../../core/index.js";
import { loadSpecFile, type AgentSpec, type CapabilityRequest, type TraceSpan } from "../../abi/index.js";
import type { DispatchCaller } from "../../kernel/index.js";
import type { ToolInfo } from "../../tools/index.js";
import type { McpPrincipal, McpRequestContext, McpSurface } from "./surface.js";

/** The narrow ports the surface needs from a booted system. */
export interface AiosMcpPorts {
  readonly version: string;
  invoke(caller: DispatchCaller, syscall: string, args: unknown): Promise<unknown>;
  allowed(caller: DispatchCaller, req: CapabilityRequest): boolean;
  tools(): readonly ToolInfo[];
  readonly events: EventBus;
  readonly specsDir?: string;
}

const URI = /^aios:\/\/memory\/([A-Za-z0-9_:.-]{1,256})$/;
const RECENT = 200;

export function aiosSurface(p: AiosMcpPorts): McpSurface {
  const callers = new Map<string, DispatchCaller>();
  const callerOf = (who: McpPrincipal, signal?: AbortSignal, trace?: TraceSpan): DispatchCaller => {
    let c = callers.get(who.id);
    if (c === undefined) {
      c = { agent: `mcp:${who.id}` as AgentId, tenant: "default" as TenantId, name: `mcp:${who.id}`, capabilities: who.capabilities, taint: new Set<string>(), priority: 0, callSeq: 0, durable: false };
      callers.set(who.id, c);
    }
    if (trace !== undefined) return { ...c, ...(signal === undefined ? {} : { signal }), trace };
    return signal === undefined ? c : { ...c, signal };
  };
  // Records recently stored in scopes a session can see (a bounded list, newest last).
  const recent = new Map<string, { scope: string; namespace: string; type: string }>();
  p.events.subscribe({ types: ["memory.stored"] }, (e) => {
    const d = e.data as { id: string; scope: string; namespace: string; type: string };
    if (d.scope === "agent") return;
    recent.delete(d.id);
    recent.set(d.id, { scope: d.scope, namespace: d.namespace, type: d.type });
    if (recent.size > RECENT) recent.delete(recent.keys().next().value ?? "");
  });

  const readRecord = async (uri: string, ctx: McpRequestContext): Promise<unknown> => {
    const id = URI.exec(uri)?.[1];
    if (id === undefined) throw new AiosError("E_NOT_FOUND", `no resource ${uri} (expected aios://memory/<id>)`, { details: { uri } });
    try {
      return await p.invoke(callerOf(ctx.principal, ctx.signal), "MemoryGet", { id });
    } catch (e) {
      if (isAiosError(e, "E_NOT_FOUND")) throw new AiosError("E_NOT_FOUND", `no resource ${uri}`, { details: { uri } });
      throw e;
    }
  };

  return {
    info: { name: "aios", version: p.version },
    instructions: "AIOS tools, memory records (aios://memory/<id>) and agent specs as prompts; every call is checked against this session's capabilities.",
    listTools(ctx) {
      const c = callerOf(ctx.principal);
      return Promise.resolve(p.tools().filter((t) => p.allowed(c, { resource: `tool:${t.name}`, action: "call", amount: 0 })).map(toMcpTool));
    },
    async callTool(name, args, ctx, trace) {
      let out: unknown;
      try {
        // A client's trace context: the ToolCall's span joins its trace.
        out = await p.invoke(callerOf(ctx.principal, ctx.signal, trace), "ToolCall", { tool: name, args });
      } catch (e) {
        const err = toAiosError(e);
        if (err.code === "E_NO_TOOL") throw err; // a protocol error: the client named no tool we have
        return { isError: true, content: [{ type: "text", text: `${err.code}: ${err.message}` }] };
      }
      return toMcpResult(out);
    },
    resources: {
      list(ctx) {
        const c = callerOf(ctx.principal);
        const out: Resource[] = [];
        for (const [id, r] of recent) {
          const resource = r.scope === "global" ? "memory:global" : `memory:shared/${r.namespace}`;
          if (p.allowed(c, { resource, action: "read", amount: 0 })) out.push({ uri: `aios://memory/${id}`, name: id, title: `${r.type} (${r.scope}${r.scope === "shared" ? `/${r.namespace}` : ""})`, mimeType: "application/json" });
        }
        return Promise.resolve(out.reverse());
      },
      templates: () => [{ uriTemplate: "aios://memory/{id}", name: "memory-record", title: "An AIOS memory record by id", mimeType: "application/json" }],
      async read(uri, ctx) {
        return { contents: [{ uri, mimeType: "application/json", text: JSON.stringify(await readRecord(uri, ctx)) }] };
      },
      async watch(uri, ctx, changed) {
        await readRecord(uri, ctx); // only what the principal may read can be watched
        const id = URI.exec(uri)?.[1];
        const sub = p.events.subscribe({ types: ["memory.stored"] }, (e) => {
          if ((e.data as { id: string }).id === id) changed();
        });
        return () => sub.unsubscribe();
      },
    },
    prompts: {
      async list() {
        return (await specs(p.specsDir)).map(([, s]): Prompt => ({
          name: s.name,
          ...(s.goal === undefined && s.instructions === undefined ? {} : { description: (s.goal ?? s.instructions ?? "").slice(0, 200) }),
          arguments: [{ name: "goal", description: "what the agent should do (default: the spec's goal)", required: false }],
        }));
      },
      async get(name, args) {
        const spec = (await specs(p.specsDir)).find(([, s]) => s.name === name)?.[1];
        if (spec === undefined) throw new AiosError("E_INVALID_ARG", `no agent spec named "${name}"`, { details: { path: "params.name" } });
        const goal = args["goal"] ?? spec.goal;
        const text = [spec.instructions, goal === undefined ? undefined : `Goal: ${goal}`].filter((x) => x !== undefined).join("\n\n");
        return { description: `agent spec ${spec.name}`, messages: [{ role: "user", content: { type: "text", text: text || spec.name } }] };
      },
    },
  };
}

async function specs(dir: string | undefined): Promise<[string, AgentSpec][]> {
  if (dir === undefined) return [];
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /\.(ya?ml|json)$/.test(f)).sort();
  } catch {
    return [];
  }
  const out: [string, AgentSpec][] = [];
  for (const f of files) {
    try {
      out.push([f, await loadSpecFile(join(dir, f))]);
    } catch {
      // a file that is not a valid spec is not a prompt
    }
  }
  return out;
}

function toMcpTool(t: ToolInfo): Tool {
  const input = isObjectSchema(t.inputSchema) ? t.inputSchema : { type: "object" as const };
  return {
    name: t.name,
    description: t.description,
    inputSchema: input,
    ...(isObjectSchema(t.outputSchema) ? { outputSchema: t.outputSchema } : {}),
    annotations: { readOnlyHint: !t.sideEffect },
  };
}

function isObjectSchema(s: unknown): s is { type: "object"; [k: string]: unknown } {
  return s !== null && typeof s === "object" && (s as { type?: unknown }).type === "object";
}

/** An MCP tier tool's result passes through; any other tool's output is text plus structured content. */
function toMcpResult(out: unknown): CallToolResult {
  if (out !== null && typeof out === "object" && Array.isArray((out as { content?: unknown }).content)) {
    const { taint: _taint, ...rest } = out as CallToolResult & { taint?: unknown };
    return rest;
  }
  const structured = out !== null && typeof out === "object" && !Array.isArray(out) ? (out as Record<string, unknown>) : undefined;
  return { content: [{ type: "text", text: JSON.stringify(out ?? null) }], ...(structured === undefined ? {} : { structuredContent: structured }) };
}
