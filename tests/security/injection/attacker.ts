/**
 * The attacker's side of the secrets and taint tests (issue #15 items 4 and 5): a real loopback HTTP
 * server that records every request it receives and answers with whatever the test plants (a page
 * of instructions, a redirect, an error body, an echo of the request's headers); the encodings of a
 * secret an attacker would try to slip past the redactor; and a byte search of a data directory.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

export interface Hit {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export type Answer = (hit: Hit, res: ServerResponse) => void;

export class AttackerServer {
  readonly hits: Hit[] = [];
  private readonly routes = new Map<string, Answer>();
  private server: Server | undefined;
  url = "";
  port = 0;

  /** Answers `path` (exact, without the query) with `answer`; anything else is a 404. */
  on(path: string, answer: Answer): this {
    this.routes.set(path, answer);
    return this;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const hit: Hit = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
        this.hits.push(hit);
        const answer = this.routes.get(hit.url.split("?")[0] ?? "");
        if (answer === undefined) {
          res.statusCode = 404;
          res.end("not found");
        } else answer(hit, res);
      });
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.port = (server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}`;
    return this;
  }

  /** Requests on paths other than the ones listed (the attacker's collection points). */
  hitsOn(path: string): Hit[] {
    return this.hits.filter((h) => (h.url.split("?")[0] ?? "") === path);
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (s === undefined) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

export function page(text: string, status = 200, headers: Record<string, string> = {}): Answer {
  return (_h, res) => {
    res.writeHead(status, { "content-type": "text/plain", ...headers });
    res.end(text);
  };
}

/**
 * The forms of `value` a leak would take that the tests search for: the value, its reverse, hex,
 * base64 at each byte offset (the part that depends on the value only), URL-encoding, and every
 * run of 8 characters (a partial read).
 */
export function leakForms(value: string): string[] {
  const b = Buffer.from(value);
  const out = new Set<string>([value, [...value].reverse().join(""), b.toString("hex"), encodeURIComponent(value)]);
  for (const shift of [0, 1, 2]) {
    const s = Buffer.concat([Buffer.alloc(shift), b]).toString("base64");
    out.add(s.slice(shift === 0 ? 0 : shift + 1, Math.floor((shift + b.length) / 3) * 4));
  }
  for (let i = 0; i + 8 <= value.length; i++) out.add(value.slice(i, i + 8));
  return [...out];
}

/** Which of `needles` occur in `text`. */
export function found(text: string, needles: readonly string[]): string[] {
  return needles.filter((n) => text.includes(n));
}

/** Every file under `dir` with the needles found in its bytes (as latin1, so any byte sequence matches). */
export function grepTree(dir: string, needles: readonly string[]): { file: string; needles: string[] }[] {
  const out: { file: string; needles: string[] }[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) {
        const text = readFileSync(p).toString("latin1");
        const hits = needles.filter((n) => text.includes(Buffer.from(n).toString("latin1")));
        if (hits.length > 0) out.push({ file: p, needles: hits });
      }
    }
  };
  walk(dir);
  return out;
}

/** Files and directories under `dir` (and `dir`) whose mode lets anyone but the owner in. */
export function openToOthers(dir: string): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    const st = statSync(p);
    if ((st.mode & 0o077) !== 0) out.push(`${p} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const name of readdirSync(p)) walk(join(p, name));
  };
  walk(dir);
  return out;
}
