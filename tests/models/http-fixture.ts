/**
 * A real loopback HTTP server for provider tests: each test sets `handle` to answer with the
 * provider's wire format (JSON or SSE) and can read the requests it received.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- request bodies are inspected ad hoc by the wire-format tests
  readonly body: any;
}

export class Loopback {
  handle: (req: Received, res: ServerResponse) => void = (_r, res) => res.end();
  readonly received: Received[] = [];
  private server: Server | undefined;
  url = "";

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        const r: Received = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: text === "" ? undefined : JSON.parse(text) };
        this.received.push(r);
        this.handle(r, res);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

/** Writes SSE records; `end: false` leaves the stream hanging up mid-way (truncation). */
export function sse(res: ServerResponse, records: readonly { event?: string; data: unknown }[], end = true): void {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  res.flushHeaders();
  for (const r of records) {
    const data = typeof r.data === "string" ? r.data : JSON.stringify(r.data);
    res.write(`${r.event === undefined ? "" : `event: ${r.event}\n`}data: ${data}\n\n`);
  }
  if (end) res.end();
  else setImmediate(() => res.destroy()); // after the headers and records went out
}
