/**
 * The egress-checked HTTP client behind http.fetch and browser.navigate. Each hop: egress check
 * (net-policy.ts) -> connect to the pinned address only (a `lookup` that ignores DNS and returns the
 * checked address; Host header and TLS SNI still carry the name) -> on a redirect, the next hop is
 * checked from scratch. The whole exchange has one wall-clock deadline on the injected Clock, and
 * the body is read up to `maxBytes` (then the socket is dropped and `truncated` is set).
 */
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { AiosError } from "../core/index.js";
import { checkEgress, targetOf, type Pinned, type Resolver } from "./net-policy.js";
import type { ToolContext } from "./tool.js";

export interface FetchRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  readonly maxBytes: number;
  readonly timeoutMs: number;
  readonly maxRedirects: number;
  /** The first URL already passed the dispatcher's check (http.fetch); the browser's sub-requests did not. */
  readonly checkedByDispatcher?: boolean;
}

export interface FetchResponse {
  readonly url: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  readonly truncated: boolean;
  readonly redirects: string[];
  readonly address: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/**
 * Headers that may follow a redirect to another origin. Everything else is dropped there: not only
 * Authorization and Cookie but X-Api-Key and any other header a caller may have put a credential in
 * (an allow-list, because a deny-list of credential names is never complete).
 */
const CROSS_ORIGIN_SAFE = new Set(["accept", "accept-encoding", "accept-language", "user-agent", "cache-control", "content-type", "content-language"]);

export async function egressFetch(ctx: ToolContext, req: FetchRequest, resolve: Resolver): Promise<FetchResponse> {
  const deadline = new AbortController();
  const timer = ctx.clock.setTimeout(() => deadline.abort(), req.timeoutMs);
  const onAbort = (): void => deadline.abort();
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  try {
    let url = req.url;
    let method = req.method;
    let body = req.body;
    let headers: Record<string, string> = { ...req.headers };
    const redirects: string[] = [];
    for (;;) {
      const target = targetOf(url, redirects.length === 0 ? "args.url" : "redirect location");
      const pinned = await checkEgress(ctx, target, resolve, redirects.length === 0 && req.checkedByDispatcher === true);
      const res = await oneHop(pinned, method, headers, body, req.maxBytes, deadline.signal, req.timeoutMs);
      const location = res.headers["location"];
      if (!REDIRECTS.has(res.status) || location === undefined) return { ...res, url, redirects, address: pinned.address };
      if (redirects.length >= req.maxRedirects) {
        throw new AiosError("E_TOOL", `more than ${req.maxRedirects} redirects (last to ${location})`, { details: { redirects } });
      }
      const next = new URL(location, url);
      if (next.origin !== new URL(url).origin) {
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => CROSS_ORIGIN_SAFE.has(k.toLowerCase())));
      }
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && method === "POST")) {
        method = "GET";
        body = undefined;
      }
      redirects.push(next.toString());
      url = next.toString();
    }
  } catch (e) {
    if (deadline.signal.aborted && !(e instanceof AiosError && e.code === "E_CAP_DENIED")) {
      throw ctx.signal.aborted
        ? new AiosError("E_CANCELLED", `fetch of ${req.url} cancelled`, { cause: e })
        : new AiosError("E_TIMEOUT", `fetch of ${req.url} exceeded ${req.timeoutMs} ms`, { cause: e, details: { timeoutMs: req.timeoutMs } });
    }
    throw e;
  } finally {
    ctx.clock.clearTimeout(timer);
    ctx.signal.removeEventListener("abort", onAbort);
  }
}

type Hop = Omit<FetchResponse, "url" | "redirects" | "address">;

function oneHop(p: Pinned, method: string, headers: Record<string, string>, body: Buffer | undefined, maxBytes: number, signal: AbortSignal, timeoutMs: number): Promise<Hop> {
  // The only address this connection may reach: the one that passed the egress check.
  const pinnedLookup: LookupFunction = (_host, opts, cb) => {
    if (opts.all === true) cb(null, [{ address: p.address, family: p.family }]);
    else cb(null, p.address, p.family);
  };
  const make = p.url.protocol === "https:" ? httpsRequest : httpRequest;
  const clean = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== "host"));
  return new Promise<Hop>((resolve, reject) => {
    const r = make(
      {
        protocol: p.url.protocol,
        hostname: p.host,
        port: p.port,
        path: p.url.pathname + p.url.search,
        method,
        headers: clean,
        lookup: pinnedLookup,
        agent: false,
        signal,
        timeout: timeoutMs,
        ...(p.url.protocol === "https:" ? { servername: p.host } : {}),
      },
      (res) => void readCapped(res, maxBytes).then(resolve, reject),
    );
    r.on("timeout", () => r.destroy(new Error("socket timeout")));
    r.on("error", (e) => reject(signal.aborted ? e : new AiosError("E_TOOL", `${method} ${p.url.toString()} failed: ${e.message}`, { cause: e, details: { address: p.address } })));
    r.end(body);
  });
}

function readCapped(res: IncomingMessage, maxBytes: number): Promise<Hop> {
  return new Promise<Hop>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(", ") : v;
    const done = (): void => resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks), truncated });
    res.on("data", (b: Buffer) => {
      if (truncated) return;
      if (size + b.length > maxBytes) {
        chunks.push(b.subarray(0, maxBytes - size));
        size = maxBytes;
        truncated = true;
        res.destroy(); // stop reading: the rest is never buffered
        done();
        return;
      }
      chunks.push(b);
      size += b.length;
    });
    res.on("end", done);
    res.on("error", (e) => (truncated ? undefined : reject(e)));
    res.on("aborted", () => (truncated ? undefined : reject(new Error("response aborted"))));
  });
}
