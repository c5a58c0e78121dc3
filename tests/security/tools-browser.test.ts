/**
 * browser.navigate with Debian's real chromium against a loopback page: allowed when loopback is
 * granted; refused (with the egress error, no request reaching the server) otherwise; sub-resources
 * and redirects to hosts outside the allow-list are blocked while the page itself loads.
 */
import { existsSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ToolRegistry, browserTool, type ResolvedAddress } from "../../src/tools/index.js";
import { ctxFor } from "../tools/helpers.js";

const hasChromium = existsSync("/usr/bin/chromium");
let server: Server;
let port = 0;
const seen: string[] = [];
beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req.url ?? "");
    if (req.url === "/") {
      res.setHeader("content-type", "text/html");
      res.end(`<html><head><title>AIOS test page</title></head><body><p>Hello, browser.</p><img src="http://evil.test:${port}/pixel.png"></body></html>`);
    } else if (req.url === "/hop") res.writeHead(302, { location: `http://evil.test:${port}/` }).end();
    else res.writeHead(404).end("nope");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});

const browser = browserTool({ timeoutMs: 20_000, resolve: async (h): Promise<ResolvedAddress[]> => (h === "evil.test" ? [{ address: "127.0.0.1", family: 4 }] : []) });
const reg = new ToolRegistry();
reg.register(browser.tool);
afterAll(async () => {
  await browser.close();
  await new Promise<void>((r) => server.close(() => r()));
});

const granted = (): string[] => ["tool:browser.navigate#call", `net:127.0.0.1:${port}#fetch`, "net-class:loopback#connect"];

describe.skipIf(!hasChromium)("browser.navigate", () => {
  it("loads a loopback page when loopback is granted, blocking a sub-resource on a host not allowed", async () => {
    seen.length = 0;
    const r = (await reg.execute("browser.navigate", { url: `http://127.0.0.1:${port}/` }, ctxFor(granted()))) as { title: string; text: string; status: number; blocked: string[] };
    expect(r.status).toBe(200);
    expect(r.title).toBe("AIOS test page");
    expect(r.text).toContain("Hello, browser.");
    expect(r.blocked).toContain(`http://evil.test:${port}/pixel.png`);
    expect(seen).toEqual(["/"]);
  }, 60_000);

  it("refuses the page without the loopback grant, and nothing reaches the server", async () => {
    seen.length = 0;
    const p = reg.execute("browser.navigate", { url: `http://127.0.0.1:${port}/` }, ctxFor(["tool:browser.navigate#call", `net:127.0.0.1:${port}#fetch`]));
    await expect(p).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    await expect(p).rejects.toThrow(/loopback/);
    expect(seen).toEqual([]);
  }, 60_000);

  it("refuses a host not on the allow-list up front and a redirect to one", async () => {
    await expect(reg.execute("browser.navigate", { url: "http://example.com/" }, ctxFor(granted()))).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    seen.length = 0;
    await expect(reg.execute("browser.navigate", { url: `http://127.0.0.1:${port}/hop` }, ctxFor(granted()))).rejects.toThrow(new RegExp(`net:evil.test:${port}#fetch denied`));
    expect(seen).toEqual(["/hop"]);
  }, 60_000);

  it("gives a clear E_TOOL error where chromium is absent", async () => {
    const missing = browserTool({ executablePath: "/nonexistent/chromium" });
    const r2 = new ToolRegistry();
    r2.register(missing.tool);
    await expect(r2.execute("browser.navigate", { url: `http://127.0.0.1:${port}/` }, ctxFor(granted()))).rejects.toMatchObject({ code: "E_TOOL", message: expect.stringMatching(/chromium is not installed/) });
  });
});
