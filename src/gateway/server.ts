/**
 * The HTTP API server: Hono on @hono/node-server, bound to loopback. Every request — /openapi.json
 * included — must carry the bearer token (401 otherwise; /mcp checks its own, see gateway/mcp/); while the daemon drains, every request gets
 * 503 E_SHUTDOWN and open event streams are ended. Errors are `{ error }` with the AiosError code
 * mapped to a status (http-errors.ts). A taken port is E_CONFIG naming host and port.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { streamSSE } from "hono/streaming";
import { AiosError } from "../core/index.js";
import { errorBody } from "./http-errors.js";
import { attachEventsWs } from "./events-ws.js";
import { openApiDocument } from "./openapi.js";
import { ROUTES, type GatewayApi, type RouteDef, type RouteInput, type StreamRoute } from "./routes.js";
import { EventsQuery, parseInput } from "./schemas.js";
import { bearerToken, tokenMatches } from "./token.js";
import { mountDashboard, type DashboardOptions } from "./web/mount.js";

export const DEFAULT_PORT = 7878;
export const DEFAULT_HOST = "127.0.0.1";

export interface GatewayOptions {
  readonly token: string;
  /** Default 7878; 0 picks a free port (tests). */
  readonly port?: number;
  /** Default 127.0.0.1. The API is meant for loopback; anything else is the operator's decision. */
  readonly host?: string;
  readonly version?: string;
  readonly maxBodyBytes?: number;
  /** Bytes of events that may wait for one WebSocket client before it is dropped (default 4 MiB). */
  readonly maxWsBufferedBytes?: number;
  /** The MCP endpoint served at /mcp (gateway/mcp/); it authenticates its own requests. */
  readonly mcp?: { handle(req: Request): Promise<Response> };
  /** The A2A server (gateway/a2a/) at /.well-known/agent-card.json and /a2a/*; it authenticates its own requests. */
  readonly a2a?: { handle(req: Request): Promise<Response> };
  /** The web dashboard at / (gateway/web/), behind the same token through a login cookie. */
  readonly dashboard?: DashboardOptions;
  /**
   * Told of every error a request met that is not one of the taxonomy's (answered 500 E_INTERNAL):
   * a bug the operator must see, with its stack (the daemon reports it as a kernel error).
   */
  readonly onInternalError?: (e: unknown, where: string) => void;
}

/**
 * How deep a request body's arrays and objects may nest. The route schemas check values
 * recursively, so a body nested a hundred thousand levels deep overflowed the stack (500
 * E_INTERNAL) instead of being refused; no agent message or spec needs more than this.
 */
export const MAX_BODY_DEPTH = 256;

export interface Gateway {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  readonly draining: boolean;
  /** Stop admitting work: new requests get 503, open event streams end. */
  drain(): void;
  close(): Promise<void>;
}

async function readBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === "") return undefined;
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    throw new AiosError("E_INVALID_ARG", "body: not valid JSON", { details: { path: "body" } });
  }
  if (nestingDepth(text, MAX_BODY_DEPTH) > MAX_BODY_DEPTH) {
    throw new AiosError("E_INVALID_ARG", `body: arrays and objects nested more than ${MAX_BODY_DEPTH} levels deep`, { details: { path: "body", limit: MAX_BODY_DEPTH } });
  }
  return body;
}

/** The deepest nesting of arrays and objects in valid JSON text, counted up to just past `max`. */
export function nestingDepth(json: string, max: number): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < json.length; i++) {
    const ch = json.charCodeAt(i);
    if (ch === 0x22) {
      // A string: skip to its closing quote (a backslash escapes the next character).
      for (i++; i < json.length && json.charCodeAt(i) !== 0x22; i++) if (json.charCodeAt(i) === 0x5c) i++;
    } else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > deepest && (deepest = depth) > max) return deepest;
    } else if (ch === 0x5d || ch === 0x7d) depth--;
  }
  return deepest;
}

export function buildApp(api: GatewayApi, o: GatewayOptions, state: { draining: boolean; streams: Set<AbortController>; closers?: (() => void)[] }): Hono {
  const app = new Hono();
  const fail = (e: unknown, headers: Record<string, string> = {}): Response => {
    const { status, body } = errorBody(e);
    return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json; charset=UTF-8", ...headers } });
  };
  app.onError((e, c) => {
    const res = fail(e);
    if (res.status === 500) o.onInternalError?.(e, `${c.req.method} ${c.req.path}`);
    return res;
  });
  app.notFound((c) => fail(new AiosError("E_NOT_FOUND", `no route ${c.req.method} ${c.req.path}`)));
  // /mcp takes the API token or an operator-issued capability token, so it authenticates itself.
  const mcp = o.mcp;
  if (mcp !== undefined) app.all("/mcp", (c) => (state.draining ? fail(new AiosError("E_SHUTDOWN", "the daemon is draining; no new work is admitted")) : mcp.handle(c.req.raw)));
  // A2A takes the API token or a capability token, and its cards are public: it authenticates itself.
  const a2a = o.a2a;
  if (a2a !== undefined) {
    const serveA2a = (c: Context): Promise<Response> | Response => (state.draining ? fail(new AiosError("E_SHUTDOWN", "the daemon is draining; no new work is admitted")) : a2a.handle(c.req.raw));
    app.all("/.well-known/agent-card.json", serveA2a);
    app.all("/a2a/*", serveA2a);
  }
  // The dashboard authenticates by its session cookie, so it is mounted before the bearer check.
  if (o.dashboard !== undefined) {
    const dashboard = mountDashboard(app, api, o.token, o.dashboard, state);
    state.closers?.push(() => dashboard.close());
  }
  app.use("*", async (c, next) => {
    if (!tokenMatches(o.token, bearerToken(c.req.header("authorization")))) {
      return fail(new AiosError("E_AUTH", "a bearer token is required (Authorization: Bearer <contents of <dataDir>/api-token>)"), { "www-authenticate": 'Bearer realm="aios"' });
    }
    if (state.draining) return fail(new AiosError("E_SHUTDOWN", "the daemon is draining; no new work is admitted"));
    await next();
    return undefined;
  });
  app.use("*", bodyLimit({ maxSize: o.maxBodyBytes ?? 1 << 20, onError: () => fail(new AiosError("E_INVALID_ARG", "body: larger than the limit", { details: { path: "body" } })) }));
  const doc = openApiDocument(o.version ?? "0.0.0");
  app.get("/openapi.json", (c) => c.json(doc));
  // Prometheus text, not JSON, so it sits beside the route table; the bearer token applies as above
  // (a Prometheus scrape config sets it with `authorization: { credentials_file: <dataDir>/api-token }`).
  app.get("/metrics", async () => {
    const m = await api.metrics();
    return new Response(m.text, { headers: { "content-type": m.contentType } });
  });
  for (const r of ROUTES) app.on(r.method.toUpperCase(), r.path, (c) => handle(c, r));

  async function handle(c: Context, r: RouteDef): Promise<Response> {
    const query = c.req.query();
    if (r.operationId === "events" && (query["follow"] === "1" || query["follow"] === "true")) return follow(c, query);
    const input = { params: c.req.param() as Record<string, string>, query, body: r.method === "get" ? undefined : await readBody(c) };
    if (r.stream?.wants(input, c.req.header("accept")) === true) return stream(c, r.stream, input);
    const out = await r.run(api, input);
    return c.json((out === undefined ? { ok: true } : out) as object);
  }

  /** A route's event stream; like an event follow it ends when the client goes or the daemon drains. */
  function stream(c: Context, s: StreamRoute, input: RouteInput): Response {
    return streamSSE(c, async (sse) => {
      const ac = new AbortController();
      state.streams.add(ac);
      sse.onAbort(() => ac.abort());
      try {
        await s.run(api, input, (event, data) => (ac.signal.aborted ? Promise.resolve() : sse.writeSSE({ event, data: JSON.stringify(data) })), ac.signal);
      } finally {
        state.streams.delete(ac);
      }
    });
  }

  function follow(c: Context, query: Record<string, string>): Response {
    const q = parseInput(EventsQuery, query, "query");
    return streamSSE(c, async (stream) => {
      const ac = new AbortController();
      state.streams.add(ac);
      stream.onAbort(() => ac.abort());
      try {
        await api.follow(
          { ...(q.agent ? { agent: q.agent as never } : {}), ...(q.types ? { types: q.types } : {}), ...(q.minSeverity ? { minSeverity: q.minSeverity } : {}), ...(q.limit ? { limit: q.limit } : {}) },
          (e) => void stream.writeSSE({ event: "kernel", id: String(e.seq), data: JSON.stringify(e) }).catch(() => ac.abort()),
          ac.signal,
        );
      } finally {
        state.streams.delete(ac);
      }
    });
  }
  return app;
}

export async function startGateway(api: GatewayApi, o: GatewayOptions): Promise<Gateway> {
  const host = o.host ?? DEFAULT_HOST;
  const wanted = o.port ?? DEFAULT_PORT;
  const state = { draining: false, streams: new Set<AbortController>(), closers: [] as (() => void)[] };
  const app = buildApp(api, o, state);
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  const ws = attachEventsWs(server, api, { token: o.token, draining: () => state.draining, streams: state.streams, ...(o.maxWsBufferedBytes === undefined ? {} : { maxBufferedBytes: o.maxWsBufferedBytes }) });
  state.closers.push(() => ws.close());
  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      const msg = e.code === "EADDRINUSE" ? `port ${wanted} on ${host} is already in use (another daemon or program); choose another with --port` : `cannot listen on ${host}:${wanted}: ${e.message}`;
      reject(new AiosError("E_CONFIG", msg, { cause: e, details: { path: "port", port: wanted, host } }));
    };
    server.once("error", onError);
    server.listen(wanted, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const endStreams = (): void => {
    for (const ac of state.streams) ac.abort();
  };
  return {
    host,
    port,
    url: `http://${host}:${port}`,
    get draining() {
      return state.draining;
    },
    drain() {
      state.draining = true;
      endStreams();
    },
    close: () =>
      new Promise<void>((resolve) => {
        endStreams();
        for (const close of state.closers) close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
