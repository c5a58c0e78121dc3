/**
 * browser.navigate: loads a page in headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core) under the same egress rules as http.fetch. Chromium never touches the network
 * itself: every request the page makes is intercepted and fetched by egressFetch (allow-list,
 * address classes, pinned DNS), then handed back to the page. Redirects are followed by egressFetch
 * (every hop checked) and the final response is given to the page: Chromium does not re-intercept
 * the next hop of a redirect it was handed through route.fulfill, so it must never see one. As a safety net the browser is
 * pointed at a dead proxy (loopback included), so anything that escaped interception would fail;
 * WebSockets and service workers are refused outright. Each call gets a fresh context (no cookies,
 * cache or storage shared between calls); the browser process is shared and closed on shutdown.
 */
import { existsSync } from "node:fs";
// Types only: playwright-core (about a second of module loading) is imported on the first launch,
// so a stack that never browses never pays for it.
import type { Browser, Route } from "playwright-core";
import { z } from "zod";
import { AiosError, toAiosError } from "../core/index.js";
import { egressFetch } from "./http-fetch.js";
import { FetchUrl, netResource, systemResolver, targetOf, type Resolver } from "./net-policy.js";
import { defineTool, eraseTool, type AnyTool, type ToolContext } from "./tool.js";

export interface BrowserToolOptions {
  readonly executablePath?: string;
  readonly timeoutMs?: number;
  readonly maxTextBytes?: number;
  readonly maxResponseBytes?: number;
  readonly resolve?: Resolver;
}

export const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--disable-extensions",
  "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
];

const Input = z.strictObject({ url: FetchUrl, timeoutMs: z.number().int().positive().optional() });
const Output = z.object({ url: z.string(), status: z.number().nullable(), title: z.string(), text: z.string(), truncated: z.boolean(), blocked: z.array(z.string()) });

export interface BrowserTool {
  readonly tool: AnyTool;
  close(): Promise<void>;
}

export function browserTool(options: BrowserToolOptions = {}): BrowserTool {
  const executablePath = options.executablePath ?? "/usr/bin/chromium";
  const resolve = options.resolve ?? systemResolver;
  const maxText = options.maxTextBytes ?? 64 << 10;
  let browser: Promise<Browser> | undefined;
  const launch = (): Promise<Browser> => {
    browser ??= import("playwright-core").then(({ chromium }) => chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 })).catch((e: unknown) => {
      browser = undefined;
      throw new AiosError("E_TOOL", `cannot launch chromium at ${executablePath}: ${(e as Error).message.split("\n")[0] ?? ""}`, { cause: e });
    });
    return browser;
  };

  const tool = defineTool({
    name: "browser.navigate",
    description: "Load a web page in headless Chromium under the egress allow-list; returns its title and text.",
    input: Input,
    output: Output,
    sideEffect: true,
    requires: (a) => [{ resource: netResource(targetOf(a.url)), action: "fetch" }],
    async execute(a, ctx) {
      if (!existsSync(executablePath)) {
        throw new AiosError("E_TOOL", `browser.navigate: chromium is not installed at ${executablePath} (run scripts/ci-deps.sh)`, { details: { executablePath } });
      }
      const timeoutMs = Math.min(a.timeoutMs ?? options.timeoutMs ?? 30_000, options.timeoutMs ?? 30_000);
      const b = await launch();
      const context = await b.newContext({ serviceWorkers: "block", acceptDownloads: false, javaScriptEnabled: true });
      const blocked: string[] = [];
      let mainDenial: AiosError | undefined;
      try {
        await context.routeWebSocket(/.*/, (ws) => ws.close({ code: 1008, reason: "websockets are not allowed" }));
        await context.route("**/*", async (route) => {
          const denial = await serve(route, ctx, resolve, options.maxResponseBytes ?? 8 << 20, timeoutMs);
          if (denial !== undefined) {
            // Recorded before the abort, so page.goto's rejection finds the reason already there.
            blocked.push(route.request().url());
            if (route.request().isNavigationRequest() && route.request().frame().parentFrame() === null) mainDenial = denial;
            await route.abort("blockedbyclient").catch(() => undefined);
          }
        });
        const page = await context.newPage();
        let status: number | null = null;
        try {
          const res = await page.goto(a.url, { timeout: timeoutMs, waitUntil: "load" });
          status = res?.status() ?? null;
        } catch (e) {
          if (mainDenial !== undefined) throw mainDenial;
          throw new AiosError(/Timeout/i.test((e as Error).message) ? "E_TIMEOUT" : "E_TOOL", `browser.navigate ${a.url}: ${(e as Error).message.split("\n")[0] ?? ""}`, { cause: e });
        }
        if (mainDenial !== undefined) throw mainDenial;
        const title = await page.title();
        // A string expression: this module is compiled without DOM types.
        const raw: unknown = await page.evaluate("document.body ? document.body.innerText : ''");
        const full = typeof raw === "string" ? raw : "";
        const text = Buffer.from(full).subarray(0, maxText).toString("utf8");
        return { url: page.url(), status, title, text, truncated: Buffer.byteLength(full) > maxText, blocked };
      } finally {
        await context.close().catch(() => undefined);
      }
    },
  });

  return {
    tool: eraseTool(tool),
    async close() {
      const b = browser;
      browser = undefined;
      if (b !== undefined) await (await b.catch(() => undefined))?.close();
    },
  };
}

/** Fetches one intercepted request under the egress rules; returns the denial (unanswered), if refused. */
async function serve(route: Route, ctx: ToolContext, resolve: Resolver, maxBytes: number, timeoutMs: number): Promise<AiosError | undefined> {
  const req = route.request();
  try {
    const headers = Object.fromEntries(Object.entries(await req.allHeaders()).filter(([k]) => !k.startsWith(":") && k !== "accept-encoding"));
    const body = req.postDataBuffer();
    const res = await egressFetch(
      ctx,
      { url: req.url(), method: req.method(), headers: { ...headers, "accept-encoding": "identity" }, ...(body === null ? {} : { body }), maxBytes, timeoutMs, maxRedirects: 5 },
      resolve,
    );
    const out = Object.fromEntries(Object.entries(res.headers).filter(([k]) => k !== "content-length" && k !== "content-encoding" && k !== "transfer-encoding"));
    await route.fulfill({ status: res.status, headers: out, body: res.body });
    return undefined;
  } catch (e) {
    const err = toAiosError(e, "E_TOOL");
    return err.code === "E_CAP_DENIED" ? err : new AiosError(err.code, `${req.url()}: ${err.message}`, { cause: e });
  }
}
