/**
 * One MCP server connection and its lifecycle, owned here and nowhere else:
 *   connecting -> ready -> dead -> (backoff on the injected clock) -> connecting ... -> closed.
 * A server that exits or drops its connection is dead; it is restarted after a delay that doubles
 * per consecutive failure (base..max), and the count resets once a connection stayed up `stableMs`.
 * A call while not ready fails at once with E_UNAVAILABLE (retryable), naming the server, its state
 * and, for a stdio server, the tail of its stderr. Every (re)connection and every
 * `notifications/tools/list_changed` re-reads the tool list and hands it to `onTools`.
 */
import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type {
  CallToolResult,
  ElicitRequest,
  ElicitResult,
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  Tool as McpToolDef,
} from "@modelcontextprotocol/sdk/types.js";
import { AiosError, type Clock, type TimerHandle } from "../../core/index.js";
import { traceMeta } from "../../observe/index.js";
import type { TraceSpan } from "../kernel-seam.js";
import type { McpHttpAuth } from "./oauth.js";
import { mcpSdk } from "./sdk.js";

export type ConnectionState =
  | { readonly status: "connecting"; readonly attempt: number }
  | { readonly status: "ready"; readonly since: number }
  | { readonly status: "dead"; readonly reason: string; readonly retryAt: number; readonly attempt: number }
  | { readonly status: "closed" };

export interface Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
  /** A connection that stayed up this long resets the failure count. */
  readonly stableMs: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 500, maxMs: 30_000, stableMs: 30_000 };

export interface ConnectionOptions {
  readonly name: string;
  /** Builds a fresh transport per attempt (a process for stdio, a session for HTTP). */
  readonly transport: () => Transport | Promise<Transport>;
  readonly clock: Clock;
  readonly backoff?: Backoff;
  readonly timeoutMs: number;
  readonly onTools: (tools: readonly McpToolDef[]) => void;
  readonly onState?: (state: ConnectionState) => void;
  readonly clientVersion?: string;
  /**
   * Answers the server's `elicitation/create`; declaring it declares the elicitation capability
   * (form mode, with the SDK filling in schema defaults the answer omits). Without it the client
   * declares none and a server cannot ask.
   */
  readonly elicit?: (params: ElicitRequest["params"]) => Promise<ElicitResult>;
}

/** A Streamable HTTP transport to `url` (async: the SDK is loaded on first use, see sdk.ts). */
export async function httpTransport(url: string, headers: Readonly<Record<string, string>>, auth?: McpHttpAuth): Promise<Transport> {
  const { StreamableHTTPClientTransport } = await mcpSdk();
  return new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { ...headers } }, ...auth });
}

export class McpConnection {
  private current: ConnectionState = { status: "connecting", attempt: 0 };
  private client: Client | undefined;
  private transport: Transport | undefined;
  private timer: TimerHandle | undefined;
  private failures = 0;
  private firstAttempt: Promise<void> | undefined;
  private readonly backoff: Backoff;

  constructor(private readonly o: ConnectionOptions) {
    this.backoff = o.backoff ?? DEFAULT_BACKOFF;
  }

  get state(): ConnectionState {
    return this.current;
  }

  /** The server's version info and capabilities once connected. */
  get server(): { name: string; version: string } | undefined {
    return this.client?.getServerVersion();
  }

  /** Starts the first connection; resolves when it succeeded or failed (a failure schedules a retry). */
  start(): Promise<void> {
    this.firstAttempt ??= this.connect();
    return this.firstAttempt;
  }

  async close(): Promise<void> {
    this.set({ status: "closed" });
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    const c = this.client;
    this.client = undefined;
    await c?.close().catch(() => undefined);
    await this.transport?.close().catch(() => undefined);
  }

  async callTool(name: string, args: Record<string, unknown>, signal: AbortSignal, trace?: TraceSpan): Promise<CallToolResult> {
    const c = this.ready();
    // Tracing on: the call's span rides in `_meta` (traceparent/tracestate), so the server's work joins our trace.
    const meta = traceMeta(trace);
    const r = await this.request(() => c.callTool(meta === undefined ? { name, arguments: args } : { name, arguments: args, _meta: meta }, undefined, { signal, timeout: this.o.timeoutMs }));
    return r as CallToolResult;
  }

  async listResources(): Promise<Resource[]> {
    const c = this.ready();
    const out: Resource[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.request(() => c.listResources(cursor === undefined ? {} : { cursor }, { timeout: this.o.timeoutMs }));
      out.push(...page.resources);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return out;
  }

  readResource(uri: string, signal: AbortSignal): Promise<ReadResourceResult> {
    const c = this.ready();
    return this.request(() => c.readResource({ uri }, { signal, timeout: this.o.timeoutMs }));
  }

  async listPrompts(): Promise<Prompt[]> {
    const c = this.ready();
    const out: Prompt[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.request(() => c.listPrompts(cursor === undefined ? {} : { cursor }, { timeout: this.o.timeoutMs }));
      out.push(...page.prompts);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return out;
  }

  getPrompt(name: string, args: Record<string, string>, signal: AbortSignal): Promise<GetPromptResult> {
    const c = this.ready();
    return this.request(() => c.getPrompt({ name, arguments: args }, { signal, timeout: this.o.timeoutMs }));
  }

  private ready(): Client {
    const s = this.current;
    if (s.status === "ready" && this.client !== undefined) return this.client;
    const why = s.status === "dead" ? `dead (${s.reason}); next restart at ${new Date(s.retryAt).toISOString()}` : s.status;
    throw new AiosError("E_UNAVAILABLE", `MCP server "${this.o.name}" is not available: ${why}`, {
      retryable: s.status !== "closed",
      details: { server: this.o.name, status: s.status },
    });
  }

  /** Maps SDK failures: a dropped connection is E_UNAVAILABLE, a timeout E_TIMEOUT; the rest E_TOOL. */
  private async request<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      if (e instanceof AiosError) throw e;
      const msg = e instanceof Error ? e.message : String(e);
      const code = (e as { code?: unknown }).code;
      if (code === -32001 || /timed out/i.test(msg)) throw new AiosError("E_TIMEOUT", `MCP server "${this.o.name}": ${msg}`, { cause: e, details: { server: this.o.name } });
      if (code === -32000 || /connection closed/i.test(msg)) throw new AiosError("E_UNAVAILABLE", `MCP server "${this.o.name}": ${msg}`, { cause: e, details: { server: this.o.name } });
      if (code === -32602) throw new AiosError("E_INVALID_ARG", `MCP server "${this.o.name}": ${msg}`, { cause: e, details: { server: this.o.name, path: "args" } });
      throw new AiosError("E_TOOL", `MCP server "${this.o.name}": ${msg}`, { cause: e, details: { server: this.o.name } });
    }
  }

  private isClosed(): boolean {
    return this.current.status === "closed";
  }

  private set(s: ConnectionState): void {
    if (this.current.status === "closed") return;
    this.current = s;
    this.o.onState?.(s);
  }

  private async connect(): Promise<void> {
    if (this.current.status === "closed") return;
    this.set({ status: "connecting", attempt: this.failures });
    const sdk = await mcpSdk();
    const transport = await this.o.transport();
    // Closed while the SDK or the transport was being made: nothing of this attempt stays open.
    if (this.isClosed()) {
      await transport.close().catch(() => undefined);
      return;
    }
    const { Client, ElicitRequestSchema, ToolListChangedNotificationSchema } = sdk;
    const elicit = this.o.elicit;
    const client = new Client({ name: "aios", version: this.o.clientVersion ?? "0.0.0" }, { capabilities: elicit === undefined ? {} : { elicitation: { form: { applyDefaults: true } } } });
    if (elicit !== undefined) client.setRequestHandler(ElicitRequestSchema, (req) => elicit(req.params));
    this.transport = transport;
    try {
      await client.connect(transport, { timeout: this.o.timeoutMs });
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => void this.refreshTools(client));
      // Set after connect: a failed handshake is handled below, not as a death.
      client.onclose = () => this.died(client, "the connection closed");
      this.client = client;
      this.set({ status: "ready", since: this.o.clock.now() });
      await this.refreshTools(client);
    } catch (e) {
      await client.close().catch(() => undefined);
      await transport.close().catch(() => undefined);
      this.scheduleRestart(`connect failed: ${describe(e, transport)}`);
    }
  }

  private async refreshTools(client: Client): Promise<void> {
    if (this.client !== client) return;
    try {
      const tools: McpToolDef[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout: this.o.timeoutMs });
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      if (this.client === client) this.o.onTools(tools);
    } catch {
      // A server that cannot list its tools keeps the last list; a dead one is handled by onclose.
    }
  }

  private died(client: Client, reason: string): void {
    if (this.client !== client || this.current.status === "closed") return;
    this.client = undefined;
    const s = this.current;
    if (s.status === "ready" && this.o.clock.now() - s.since >= this.backoff.stableMs) this.failures = 0;
    this.scheduleRestart(`${reason}${stderrOf(this.transport)}`);
  }

  private scheduleRestart(reason: string): void {
    if (this.current.status === "closed") return;
    const delay = Math.min(this.backoff.baseMs * 2 ** this.failures, this.backoff.maxMs);
    this.failures += 1;
    this.set({ status: "dead", reason, retryAt: this.o.clock.now() + delay, attempt: this.failures });
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      void this.connect();
    }, delay);
  }
}

function describe(e: unknown, t: Transport): string {
  return (e instanceof Error ? e.message : String(e)) + stderrOf(t);
}

function stderrOf(t: Transport | undefined): string {
  const tail = (t as { stderr?: unknown } | undefined)?.stderr;
  if (typeof tail !== "string" || tail.trim() === "") return "";
  return `; stderr: ${tail.trim().split("\n").slice(-3).join(" | ").slice(-400)}`;
}
