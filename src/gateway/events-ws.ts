/**
 * Kernel events over WebSocket at /v1/events/ws, beside the SSE route: the same filters (agent,
 * types, minSeverity, limit for the recent events sent first), one text frame of JSON per event.
 * Auth: the API token in `Authorization: Bearer <token>`, or — for browsers, which cannot set that
 * header on a WebSocket — as the subprotocol pair `bearer, <token>` (the server answers `bearer`).
 * Never in the URL, which ends up in logs: a URL carrying a token is refused. Backpressure: a
 * client that does not read while more than `maxBufferedBytes` wait for it is closed with 1013
 * (try again later) instead of being buffered without bound.
 */
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { AiosError } from "../core/index.js";
import type { GatewayApi } from "./route-def.js";
import { errorBody } from "./http-errors.js";
import { EventsQuery, parseInput } from "./schemas.js";
import { bearerToken, tokenMatches } from "./token.js";

export const EVENTS_WS_PATH = "/v1/events/ws";
export const SLOW_CLIENT_CLOSE = 1013;

export interface EventsWsOptions {
  readonly token: string;
  /** Bytes waiting for one client before it is dropped (default 4 MiB). */
  readonly maxBufferedBytes?: number;
  readonly draining: () => boolean;
  readonly streams: Set<AbortController>;
}

function refuse(socket: Duplex, status: number, reason: string, e: unknown): void {
  const body = JSON.stringify(errorBody(e).body);
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=UTF-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
}

/** The token a WebSocket handshake presents: the Authorization header, else the `bearer, <token>` subprotocols. */
function presented(req: IncomingMessage): string | undefined {
  const h = bearerToken(req.headers.authorization);
  if (h !== undefined) return h;
  const protocols = String(req.headers["sec-websocket-protocol"] ?? "").split(",").map((p) => p.trim());
  const i = protocols.indexOf("bearer");
  return i >= 0 ? protocols[i + 1] : undefined;
}

export function attachEventsWs(server: Server, api: GatewayApi, o: EventsWsOptions): { close(): void } {
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has("bearer") ? "bearer" : false) });
  const max = o.maxBufferedBytes ?? 4 << 20;
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname !== EVENTS_WS_PATH) return refuse(socket, 404, "Not Found", new AiosError("E_NOT_FOUND", `no WebSocket route ${url.pathname}`));
    if (["token", "access_token", "auth", "bearer"].some((k) => url.searchParams.has(k))) {
      return refuse(socket, 400, "Bad Request", new AiosError("E_INVALID_ARG", "query: never put the token in the URL (it ends up in logs); send Authorization: Bearer or the subprotocols bearer, <token>", { details: { path: "query" } }));
    }
    if (!tokenMatches(o.token, presented(req))) return refuse(socket, 401, "Unauthorized", new AiosError("E_AUTH", "a bearer token is required (Authorization: Bearer <token>, or subprotocols bearer, <token>)"));
    if (o.draining()) return refuse(socket, 503, "Service Unavailable", new AiosError("E_SHUTDOWN", "the daemon is draining; no new work is admitted"));
    let q;
    try {
      q = parseInput(EventsQuery, Object.fromEntries(url.searchParams), "query");
    } catch (e) {
      return refuse(socket, 400, "Bad Request", e);
    }
    const filter = { ...(q.agent ? { agent: q.agent as never } : {}), ...(q.types ? { types: q.types } : {}), ...(q.minSeverity ? { minSeverity: q.minSeverity } : {}), ...(q.limit ? { limit: q.limit } : {}) };
    wss.handleUpgrade(req, socket, head, (ws: WebSocket) => {
      const ac = new AbortController();
      o.streams.add(ac);
      ws.on("close", () => ac.abort());
      ws.on("error", () => ac.abort());
      ac.signal.addEventListener("abort", () => {
        o.streams.delete(ac);
        if (ws.readyState === ws.OPEN) ws.close(1001, "the daemon is going away");
      }, { once: true });
      void api.follow(filter, (e) => {
        if (ws.readyState !== ws.OPEN) return;
        if (ws.bufferedAmount > max) {
          ws.close(SLOW_CLIENT_CLOSE, `too slow: more than ${max} bytes of events waited`);
          // Nothing more is sent; the socket goes when the close is acknowledged or times out.
          setTimeout(() => ws.terminate(), 5_000).unref();
          ac.abort();
          return;
        }
        ws.send(JSON.stringify(e));
      }, ac.signal);
    });
  };
  server.on("upgrade", onUpgrade);
  return {
    close: () => {
      server.off("upgrade", onUpgrade);
      for (const c of wss.clients) c.terminate();
      wss.close();
    },
  };
}
