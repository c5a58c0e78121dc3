/**
 * One HTTP request over node:http, answered as status + headers + a body to read whole or stream.
 * Not fetch(): the first fetch() in a process loads undici, ~0.25 s of CPU, more than the rest of
 * `aios ps` together (docs/adr/0025). Loopback, JSON bodies, an optional AbortSignal.
 */
import { request, type IncomingMessage } from "node:http";

export interface HttpReply {
  readonly status: number;
  readonly ok: boolean;
  header(name: string): string | undefined;
  /** The whole body as text. */
  text(): Promise<string>;
  /** The body as it arrives (for server-sent events). */
  readonly body: AsyncIterable<Buffer>;
}

export interface HttpRequestInit {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly signal?: AbortSignal;
}

export function httpRequest(url: string, init: HttpRequestInit): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const headers = { ...init.headers, ...(init.body === undefined ? {} : { "content-length": String(Buffer.byteLength(init.body)) }) };
    const req = request(url, { method: init.method, headers, ...(init.signal === undefined ? {} : { signal: init.signal }) }, (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      resolve({
        status,
        ok: status >= 200 && status < 300,
        header: (name) => {
          const v = res.headers[name.toLowerCase()];
          return Array.isArray(v) ? v.join(", ") : v;
        },
        text: async () => {
          const parts: Buffer[] = [];
          for await (const c of res) parts.push(c as Buffer);
          return Buffer.concat(parts).toString("utf8");
        },
        body: res as AsyncIterable<Buffer>,
      });
    });
    req.once("error", reject);
    req.end(init.body);
  });
}
