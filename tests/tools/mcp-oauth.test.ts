/**
 * The MCP client's pieces the conformance suite leans on, checked on their own: the headless
 * authorizer against a real loopback authorization endpoint (the code comes from its redirect, a
 * changed `state` or an `error` is refused), the unattended elicitation answer (a form's defaults
 * or nothing), and the config rules for `oauth` and `elicitation`.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isAiosError } from "../../src/core/index.js";
import { answerWithDefaults, followRedirect, mcpHttpAuth, parseServerConfig } from "../../src/tools/index.js";

let server: Server;
let base: string;

beforeAll(async () => {
  // /authorize?mode=ok|forge|deny|stay: redirects back with the code (echoing state), a forged state, an error, or not at all.
  server = createServer((req, res) => {
    const u = new URL(req.url ?? "/", "http://x");
    const back = new URL(u.searchParams.get("redirect_uri") ?? "http://127.0.0.1/cb");
    const mode = u.searchParams.get("mode");
    if (mode === "stay") return void res.writeHead(200, { "content-type": "text/html" }).end("<form>approve?</form>");
    if (mode === "deny") back.searchParams.set("error", "access_denied");
    else back.searchParams.set("code", "the-code");
    const state = u.searchParams.get("state");
    if (state !== null) back.searchParams.set("state", mode === "forge" ? "forged" : state);
    res.writeHead(302, { location: back.href }).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/authorize?redirect_uri=${encodeURIComponent("http://127.0.0.1:1/cb")}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

const refusal = async (p: Promise<unknown>): Promise<string> => {
  const e: unknown = await p.then(() => undefined, (x: unknown) => x);
  expect(isAiosError(e, "E_AUTH")).toBe(true);
  return (e as Error).message;
};

describe("headless OAuth authorization", () => {
  it("reads the code from the authorization server's redirect when state comes back unchanged", async () => {
    expect(await followRedirect()(new URL(`${base}&mode=ok&state=s123`))).toBe("the-code");
  });

  it("refuses a redirect with another state, an error, or no redirect at all", async () => {
    expect(await refusal(followRedirect()(new URL(`${base}&mode=forge&state=s123`)))).toMatch(/different state/);
    expect(await refusal(followRedirect()(new URL(`${base}&mode=deny`)))).toMatch(/access_denied/);
    expect(await refusal(followRedirect()(new URL(`${base}&mode=stay`)))).toMatch(/needs a person/);
  });
});

describe("unattended elicitation", () => {
  const form = (required: string[]) => ({
    message: "m",
    requestedSchema: { type: "object" as const, properties: { a: { type: "string" as const, default: "x" }, b: { type: "integer" as const } }, required },
  });

  it("accepts a form whose required fields all have defaults, with no content of its own", async () => {
    expect(await answerWithDefaults(form(["a"]))).toEqual({ action: "accept", content: {} });
    expect(await answerWithDefaults(form([]))).toEqual({ action: "accept", content: {} });
  });

  it("declines a form it could only answer by inventing a value, and URL-mode elicitation", async () => {
    expect(await answerWithDefaults(form(["a", "b"]))).toEqual({ action: "decline" });
    expect(await answerWithDefaults({ mode: "url", message: "sign in", url: "https://example.com/x", elicitationId: "e1" })).toEqual({ action: "decline" });
  });
});

describe("MCP server entries with oauth and elicitation", () => {
  it("takes oauth on a url server and names the field when it is on a stdio one", () => {
    const c = parseServerConfig("remote", { url: "https://mcp.example.com/mcp", oauth: { clientId: "id", clientSecret: "s" }, elicitation: "defaults" });
    expect(c.oauth).toEqual({ grant: "authorization_code", clientId: "id", clientSecret: "s" });
    expect(c.elicitation).toBe("defaults");
    expect(() => parseServerConfig("local", { command: ["x"], oauth: {} })).toThrow(/mcp\.servers\.local\.oauth: oauth applies to a url server only/);
    expect(() => parseServerConfig("remote", { url: "https://mcp.example.com/mcp", oauth: { clientMetadataUrl: "http://insecure.example.com/m.json" } })).toThrow(/mcp\.servers\.remote\.oauth\.clientMetadataUrl/);
    expect(() => parseServerConfig("remote", { url: "https://mcp.example.com/mcp", oauth: { grant: "client_credentials", clientId: "id", privateKeyPem: "not a key" } })).toThrow(/oauth\.privateKeyPem/);
  });

  it("asks client_credentials for an id and a secret or a private key, naming what is missing", async () => {
    const url = "https://mcp.example.com/mcp";
    await expect(mcpHttpAuth(url, { grant: "client_credentials", clientSecret: "s" })).rejects.toThrow(/needs clientId/);
    await expect(mcpHttpAuth(url, { grant: "client_credentials", clientId: "id" })).rejects.toThrow(/needs clientSecret or privateKeyPem/);
    expect(await mcpHttpAuth(url, { grant: "client_credentials", clientId: "id", clientSecret: "s", issuer: "https://as.example.com" })).toHaveProperty("authProvider");
    expect(await mcpHttpAuth(url, { grant: "authorization_code" })).toHaveProperty("fetch");
  });
});
