/**
 * What an MCP server built from this module serves: a *surface* of tools, resources and prompts,
 * plus optional completions. The transport, sessions, authentication and the stateless path
 * (endpoint.ts) are one code path for every surface: AIOS's own (aios-surface.ts: tools through the
 * door, memory records, agent specs) and the conformance fixture's (the suite's expected names) are
 * two configurations of it, not two servers.
 */
import type {
  CallToolResult,
  CompleteRequest,
  CompleteResult,
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplate,
  Tool,
} from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import type { TraceSpan } from "../../abi/index.js";

/** Who a session is: a principal name and the capability strings that bound what it may do. */
export interface McpPrincipal {
  readonly id: string;
  readonly capabilities: readonly string[];
}

/** What a handler may do besides answering: notify the client and, in a session, ask it things. */
export interface McpRequestContext {
  readonly principal: McpPrincipal;
  readonly signal: AbortSignal;
  readonly sessionId: string | undefined;
  readonly progressToken: string | number | undefined;
  /** Sends a notification related to this request (logging, progress). */
  notify(method: string, params: Record<string, unknown>): Promise<void>;
  /**
   * Closes the SSE stream this request is answered on (a session only; the client resumes it with
   * Last-Event-ID and still gets the answer). Lets a long call free its connection.
   */
  readonly closeStream?: (() => void) | undefined;
  /** A server-to-client request (sampling, elicitation); E_UNAVAILABLE on a stateless request. */
  ask<S extends z.ZodType>(method: string, params: Record<string, unknown>, result: S): Promise<z.output<S>>;
}

export interface McpResources {
  list(ctx: McpRequestContext): Promise<Resource[]>;
  templates(): ResourceTemplate[];
  read(uri: string, ctx: McpRequestContext): Promise<ReadResourceResult>;
  /** Calls `changed` whenever the resource at `uri` changes; returns the unsubscribe. */
  watch(uri: string, ctx: McpRequestContext, changed: () => void): Promise<() => void>;
}

export interface McpPrompts {
  list(ctx: McpRequestContext): Promise<Prompt[]>;
  get(name: string, args: Record<string, string>, ctx: McpRequestContext): Promise<GetPromptResult>;
}

export interface McpSurface {
  readonly info: { readonly name: string; readonly version: string };
  readonly instructions?: string;
  listTools(ctx: McpRequestContext): Promise<Tool[]>;
  /** `trace`: the client's span from `params._meta` (tracing on), the parent of the call's span. */
  callTool(name: string, args: Record<string, unknown>, ctx: McpRequestContext, trace?: TraceSpan): Promise<CallToolResult>;
  readonly resources?: McpResources;
  readonly prompts?: McpPrompts;
  complete?(params: CompleteRequest["params"], ctx: McpRequestContext): Promise<CompleteResult["completion"]>;
}
