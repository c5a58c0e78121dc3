/**
 * The MCP Streamable HTTP endpoint (`/mcp` on the gateway), as a function from a Web Request to a
 * Response. In order, for every request:
 * - DNS-rebinding protection: the Host must be a loopback name (or one configured), and an Origin,
 *   when sent, must be one too (403 otherwise);
 * - authentication: `authenticate` maps the bearer token to a principal whose capabilities bound
 *   everything the session may do (401 with WWW-Authenticate otherwise);
 * - routing: an `initialize` without Mcp-Session-Id opens a session (one SDK Server + transport,
 *   session.ts), a request naming a session goes to it (404 for an unknown or expired one, 403 when
 *   another principal presents it), and any other POST without a session is answered statelessly
 *   (stateless.ts) without allocating a server.
 * A session's SSE streams are resumable (event-log.ts): a client that lost one reconnects with
 * Last-Event-ID and gets what it missed.
 * Sessions idle for `idleMs` (on the injected clock) are closed; at most `maxSessions` live at once.
 */
import { randomUUID } from "node:crypto";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";
import type { Clock, TimerHandle } from "../../core/index.js";
import { SessionEventLog } from "./event-log.js";
import { McpSession } from "./session.js";
import { StatelessRouter } from "./stateless.js";
import type { McpPrincipal, McpSurface } from "./surface.js";

export interface McpEndpointOptions {
  readonly surface: McpSurface;
  /** The principal a bearer token names, or undefined to refuse it (token undefined: none sent). */
  readonly authenticate: (bearer: string | undefined) => McpPrincipal | undefined;
  readonly clock: Clock;
  /** Extra Host names allowed besides localhost, 127.0.0.1 and [::1] (any port). */
  readonly allowedHosts?: readonly string[];
  readonly idleMs?: number;
  readonly maxSessions?: number;
  /** The `retry` hint (ms) a client waits before resuming a dropped SSE stream. */
  readonly retryMs?: number;
}

interface Live {
  readonly session: McpSession;
  readonly transport: WebStandardStreamableHTTPServerTransport;
  lastSeen: number;
}

const LOOPBACK = ["localhost", "127.0.0.1", "[::1]"];

export class McpEndpoint {
  private readonly sessions = new Map<string, Live>();
  private readonly stateless: StatelessRouter;
  private readonly hosts: Set<string>;
  private sweeper: TimerHandle | undefined;
  private created = 0;

  constructor(private readonly o: McpEndpointOptions) {
    this.stateless = new StatelessRouter(o.surface);
    this.hosts = new Set([...LOOPBACK, ...(o.allowedHosts ?? [])]);
  }

  /** Live SDK Server instances (one per open session; stateless requests make none). */
  get serverInstances(): number {
    return this.sessions.size;
  }

  /** Server instances made since start (a leak check counts these). */
  get serversCreated(): number {
    return this.created;
  }

  async handle(req: Request): Promise<Response> {
    if (!this.hostAllowed(req)) return jsonError(403, -32000, "Forbidden: Host or Origin is not allowed (DNS rebinding protection)");
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.get("authorization") ?? "")?.[1];
    const principal = this.o.authenticate(bearer);
    if (principal === undefined) {
      return new Response(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32001, message: "Unauthorized: a bearer token is required" } }), {
        status: 401,
        headers: { "content-type": "application/json", "www-authenticate": 'Bearer realm="aios-mcp"' },
      });
    }
    const sid = req.headers.get("mcp-session-id");
    if (sid !== null) return this.toSession(sid, principal, req);
    if (req.method !== "POST") return jsonError(400, -32000, "Bad Request: Mcp-Session-Id header is required");
    let body: unknown;
    try {
      body = await req.json();
    } catch {
      return jsonError(400, -32700, "Parse error: the body is not JSON");
    }
    if (isInitialize(body)) return this.open(principal, req, body);
    const answer = await this.stateless.answer(body, principal, req.signal);
    return answer === undefined ? new Response(null, { status: 202 }) : new Response(JSON.stringify(answer), { status: 200, headers: { "content-type": "application/json" } });
  }

  async close(): Promise<void> {
    if (this.sweeper !== undefined) this.o.clock.clearTimeout(this.sweeper);
    this.sweeper = undefined;
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((l) => l.session.close().catch(() => undefined)));
  }

  private async toSession(sid: string, principal: McpPrincipal, req: Request): Promise<Response> {
    const live = this.sessions.get(sid);
    if (live === undefined) return jsonError(404, -32001, "Session not found");
    if (live.session.principal.id !== principal.id) return jsonError(403, -32000, "Forbidden: the session belongs to another principal");
    live.lastSeen = this.o.clock.now();
    return live.transport.handleRequest(req);
  }

  private async open(principal: McpPrincipal, req: Request, body: unknown): Promise<Response> {
    if (this.sessions.size >= (this.o.maxSessions ?? 1000)) return jsonError(503, -32000, "Too many open MCP sessions; close one (DELETE) or retry later");
    const session = new McpSession(this.o.surface, principal);
    this.created += 1;
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      // Resumable streams: event ids, a priming event with a retry hint, Last-Event-ID replay.
      eventStore: new SessionEventLog(),
      retryInterval: this.o.retryMs ?? 1000,
      onsessioninitialized: (id) => {
        this.sessions.set(id, { session, transport, lastSeen: this.o.clock.now() });
        this.sweep();
      },
      onsessionclosed: (id) => {
        this.sessions.delete(id);
        void session.close();
      },
    });
    await session.connect(transport);
    return transport.handleRequest(req, { parsedBody: body });
  }

  /** Closes sessions idle longer than idleMs; runs while any session is open. */
  private sweep(): void {
    if (this.sweeper !== undefined) return;
    const idle = this.o.idleMs ?? 30 * 60_000;
    this.sweeper = this.o.clock.setTimeout(() => {
      this.sweeper = undefined;
      const now = this.o.clock.now();
      for (const [id, l] of this.sessions) {
        if (now - l.lastSeen >= idle) {
          this.sessions.delete(id);
          void l.session.close();
        }
      }
      if (this.sessions.size > 0) this.sweep();
    }, Math.min(idle, 60_000));
  }

  private hostAllowed(req: Request): boolean {
    const host = req.headers.get("host");
    if (host === null || !this.hosts.has(hostName(host))) return false;
    const origin = req.headers.get("origin");
    if (origin === null) return true;
    try {
      return this.hosts.has(hostName(new URL(origin).host));
    } catch {
      return false;
    }
  }
}

function hostName(host: string): string {
  return host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : (host.split(":")[0] ?? host);
}

function isInitialize(body: unknown): boolean {
  const first: unknown = Array.isArray(body) ? body[0] : body;
  return first !== null && typeof first === "object" && (first as { method?: unknown }).method === "initialize";
}

function jsonError(status: number, code: number, message: string): Response {
  return new Response(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code, message } }), { status, headers: { "content-type": "application/json" } });
}
