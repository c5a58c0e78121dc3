/**
 * A loopback web server for the research example's tests: it serves examples/fixtures/pages (the
 * pages a user serves with `python3 -m http.server`) and logs every path it was asked for, so a test
 * can check that a cited URL was really fetched.
 */
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";

export const PAGES_DIR = join(import.meta.dirname, "..", "..", "examples", "fixtures", "pages");

export class PageServer {
  readonly served: string[] = [];
  private server: Server | undefined;
  url = "";

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      const name = path === "/" ? "index.html" : path.slice(1);
      if (!/^[a-z-]+\.html$/.test(name)) {
        res.writeHead(404).end("not found");
        return;
      }
      try {
        const html = readFileSync(join(PAGES_DIR, name));
        this.served.push(path);
        res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(html);
      } catch {
        res.writeHead(404).end("not found");
      }
    });
    await new Promise<void>((r) => this.server!.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server === undefined ? r() : this.server.close(() => r())));
  }
}

/** A page's visible text: tags dropped, whitespace collapsed (what the scripted model stores). */
export function pageText(html: string): string {
  return html.replace(/<head>[\s\S]*?<\/head>/, "").replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim();
}
