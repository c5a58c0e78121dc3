/**
 * Stateless MCP requests (a POST without Mcp-Session-Id that is not an `initialize` opening a
 * session) are answered straight from the surface's method table: no SDK Server or transport is
 * made for them. The SDK's stateless pattern builds a Server and a transport per request and, unless
 * both are closed, keeps them (typescript-sdk #2090); here there is nothing to keep. `initialize`
 * and `ping` are answered here too, so a purely stateless client works; server-to-client requests
 * (sampling, elicitation) are unavailable without a session.
 */
import { LATEST_PROTOCOL_VERSION, SUPPORTED_PROTOCOL_VERSIONS, ErrorCode, McpError, type JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { AiosError } from "../../core/index.js";
import { toMcpError } from "./errors.js";
import { capabilitiesOf, methodTable, type MethodHandler } from "./handlers.js";
import type { McpPrincipal, McpSurface } from "./surface.js";

type Reply = { jsonrpc: "2.0"; id: string | number; result: Record<string, unknown> } | { jsonrpc: "2.0"; id: string | number | null; error: { code: number; message: string; data?: unknown } };

export class StatelessRouter {
  private readonly table: Map<string, MethodHandler>;

  constructor(private readonly surface: McpSurface) {
    this.table = methodTable(surface);
  }

  /** Answers one JSON-RPC message or a batch; undefined when there is nothing to answer (notifications). */
  async answer(body: unknown, principal: McpPrincipal, signal: AbortSignal): Promise<Reply | Reply[] | undefined> {
    if (Array.isArray(body)) {
      const out = (await Promise.all(body.map((m) => this.one(m, principal, signal)))).filter((r): r is Reply => r !== undefined);
      return out.length === 0 ? undefined : out;
    }
    return this.one(body, principal, signal);
  }

  private async one(raw: unknown, principal: McpPrincipal, signal: AbortSignal): Promise<Reply | undefined> {
    const m = raw as Partial<JSONRPCMessage> & { id?: string | number; method?: unknown; params?: unknown };
    if (raw === null || typeof raw !== "object" || m.jsonrpc !== "2.0") return { jsonrpc: "2.0", id: null, error: { code: ErrorCode.InvalidRequest, message: "not a JSON-RPC 2.0 message" } };
    if (m.id === undefined) return undefined; // a notification (or a response): nothing to answer
    const id = m.id;
    const method = typeof m.method === "string" ? m.method : "";
    try {
      return { jsonrpc: "2.0", id, result: await this.dispatch(method, raw, principal, signal) };
    } catch (e) {
      const err = toMcpError(e);
      return { jsonrpc: "2.0", id, error: { code: err.code, message: err.message, ...(err.data === undefined ? {} : { data: err.data }) } };
    }
  }

  private async dispatch(method: string, raw: unknown, principal: McpPrincipal, signal: AbortSignal): Promise<Record<string, unknown>> {
    const params = ((raw as { params?: unknown }).params ?? {}) as Record<string, unknown>;
    if (method === "initialize") {
      const asked = params["protocolVersion"];
      const version = typeof asked === "string" && SUPPORTED_PROTOCOL_VERSIONS.includes(asked) ? asked : LATEST_PROTOCOL_VERSION;
      return { protocolVersion: version, capabilities: capabilitiesOf(this.surface), serverInfo: this.surface.info, ...(this.surface.instructions === undefined ? {} : { instructions: this.surface.instructions }) };
    }
    if (method === "ping" || method === "logging/setLevel") return {};
    const h = this.table.get(method);
    if (h === undefined) throw new McpError(ErrorCode.MethodNotFound, `method not found: ${method}`);
    const parsed = h.schema.safeParse(raw);
    if (!parsed.success) throw new AiosError("E_INVALID_ARG", `${method}: invalid params: ${parsed.error.issues[0]?.message ?? ""}`, { details: { path: "params" } });
    const meta = (params["_meta"] ?? {}) as { progressToken?: string | number };
    return h.run(params, {
      principal,
      signal,
      sessionId: undefined,
      progressToken: meta.progressToken,
      notify: () => Promise.resolve(), // no stream to carry it on a plain JSON answer
      ask: () => Promise.reject(new AiosError("E_UNAVAILABLE", "server-to-client requests need a session")),
    }, undefined);
  }
}
