/**
 * Attacker's side of issue 15 item 10: a server the agent may fetch from redirects to another
 * origin the attacker runs (both real loopback servers on different ports). Credentials the agent
 * sent to the first (Authorization, Cookie, X-Api-Key, any custom header) must not reach the second;
 * a same-origin redirect keeps them.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ToolRegistry, httpTool } from "../../src/tools/index.js";
import { ctxFor } from "../tools/helpers.js";

let trusted: Server;
let attacker: Server;
let tPort = 0;
let aPort = 0;
const seenByAttacker: IncomingHttpHeaders[] = [];
const seenByTrusted: IncomingHttpHeaders[] = [];

beforeAll(async () => {
  attacker = createServer((req, res) => {
    seenByAttacker.push(req.headers);
    res.end("attacker page");
  });
  trusted = createServer((req, res) => {
    seenByTrusted.push(req.headers);
    if (req.url === "/away") res.writeHead(302, { location: `http://127.0.0.1:${aPort}/collect` }).end();
    else if (req.url === "/here") res.writeHead(307, { location: "/landing" }).end();
    else res.end("trusted page");
  });
  await new Promise<void>((r) => attacker.listen(0, "127.0.0.1", r));
  await new Promise<void>((r) => trusted.listen(0, "127.0.0.1", r));
  aPort = (attacker.address() as AddressInfo).port;
  tPort = (trusted.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((r) => trusted.close(() => r()));
  await new Promise<void>((r) => attacker.close(() => r()));
});

const reg = new ToolRegistry();
reg.register(httpTool({ maxBytes: 10_000, timeoutMs: 5000 }));
const caps = (): string[] => ["tool:http.fetch#call", `net:127.0.0.1:*#fetch`, "net-class:loopback#connect"];
const CREDS = { Authorization: "Bearer sk-live-123", Cookie: "session=abc", "X-Api-Key": "key-456", "X-Custom-Token": "tok-789", Accept: "text/plain" };

describe("http.fetch redirects and credentials", () => {
  it("drops every credential-bearing header on a redirect to another origin", async () => {
    const r = await reg.execute("http.fetch", { url: `http://127.0.0.1:${tPort}/away`, headers: CREDS }, ctxFor(caps()));
    expect(r).toMatchObject({ status: 200, body: "attacker page" });
    const got = seenByAttacker.at(-1) ?? {};
    for (const h of ["authorization", "cookie", "x-api-key", "x-custom-token"]) expect(got[h]).toBeUndefined();
    expect(got["accept"]).toBe("text/plain"); // harmless headers still follow
  });

  it("keeps them on a redirect within the same origin", async () => {
    await reg.execute("http.fetch", { url: `http://127.0.0.1:${tPort}/here`, headers: CREDS }, ctxFor(caps()));
    const landing = seenByTrusted.at(-1) ?? {};
    expect(landing["x-api-key"]).toBe("key-456");
    expect(landing["authorization"]).toBe("Bearer sk-live-123");
  });
});
