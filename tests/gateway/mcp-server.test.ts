/**
 * AIOS as an MCP server at /mcp on a real gateway over a booted system, driven by the SDK's own
 * client over Streamable HTTP: sessions authenticated by the API token or an operator-issued
 * capability token and bounded by its capabilities (a denied call is the door's E_CAP_DENIED,
 * audited as the session's caller), memory records as resources with a subscription, agent specs as
 * prompts, DNS-rebinding protection, and stateless requests that allocate no server (SDK #2090).
 */
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ResourceUpdatedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ControlPlane, mcpEndpointFor, startGateway, type Gateway, type McpEndpoint } from "../../src/gateway/index.js";
import { boot, type Aios } from "../../src/sdk/index.js";
import { encodeToken } from "../../src/security/index.js";
import { defineTool } from "../../src/tools/index.js";
import { silentLogger, type AnyKernelEvent } from "../../src/index.js";

let dir: string;
let os: Aios;
let gw: Gateway;
let endpoint: McpEndpoint;
const TOKEN = "test-api-token-0123456789";
const clients: Client[] = [];

beforeAll(async () => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "aios-mcp-server-")));
  mkdirSync(join(dir, "files"));
  writeFileSync(join(dir, "files", "a.txt"), "file a");
  os = await boot({ dataDir: join(dir, "data"), logger: silentLogger, subsystems: { embedder: false } });
  os.tools.register(defineTool({ name: "greet", description: "says hello", input: z.strictObject({ who: z.string() }), output: z.object({ greeting: z.string() }), sideEffect: false, requires: () => [], execute: (a) => Promise.resolve({ greeting: `hello ${a.who}` }) }));
  mkdirSync(join(dir, "data", "specs"));
  writeFileSync(join(dir, "data", "specs", "helper.yaml"), "name: helper\nkind: llm\nmodel: local\ninstructions: You are a careful helper.\ngoal: tidy the notes\n");
  endpoint = mcpEndpointFor(os, { apiToken: TOKEN, version: "test", operatorCapabilities: ["tool:greet#call", "memory:global#read"] });
  gw = await startGateway(new ControlPlane(os), { token: TOKEN, port: 0, mcp: endpoint });
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await gw.close();
  await endpoint.close();
  await os.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

async function connect(bearer: string): Promise<Client> {
  const c = new Client({ name: "test", version: "1" });
  await c.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${bearer}` } } }));
  clients.push(c);
  return c;
}

const post = (body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${gw.url}/mcp`, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream", authorization: `Bearer ${TOKEN}`, ...headers }, body: JSON.stringify(body) });

describe("MCP server at /mcp", { timeout: 30_000 }, () => {
  it("refuses requests without a valid token and from a foreign Host or Origin", async () => {
    expect((await post({ jsonrpc: "2.0", id: 1, method: "ping" }, { authorization: "Bearer nope" })).status).toBe(401);
    expect((await post({ jsonrpc: "2.0", id: 1, method: "ping" }, { origin: "http://evil.example" })).status).toBe(403);
    // A rebound name resolving to loopback: the Host header is what gives it away (fetch cannot set it).
    const rebound = await new Promise<number>((res, rej) => {
      const r = request({ host: gw.host, port: gw.port, path: "/mcp", method: "POST", headers: { host: `evil.example:${gw.port}`, "content-type": "application/json", authorization: `Bearer ${TOKEN}` } }, (m) => {
        m.resume();
        res(m.statusCode ?? 0);
      });
      r.on("error", rej);
      r.end(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" }));
    });
    expect(rebound).toBe(403);
  });

  it("serves the tools the session's capabilities allow; calls go through the door as the session", async () => {
    const c = await connect(TOKEN);
    expect((await c.listTools()).tools.map((t) => t.name)).toEqual(["greet"]);
    const greet = await c.callTool({ name: "greet", arguments: { who: "mcp" } });
    expect(greet).toMatchObject({ structuredContent: { greeting: "hello mcp" } });
    const audited: AnyKernelEvent[] = [];
    const sub = os.kernel.events.subscribe({ types: ["syscall.denied"] }, (e) => void audited.push(e));
    const denied = await c.callTool({ name: "file.read", arguments: { path: join(dir, "files", "a.txt") } });
    sub.unsubscribe();
    expect(denied).toMatchObject({ isError: true, content: [{ type: "text", text: expect.stringMatching(/^E_CAP_DENIED/) }] });
    expect(audited.map((e) => [e.agent, (e.data as { name: string }).name])).toEqual([["mcp:operator", "ToolCall"]]);
    const bad = await c.callTool({ name: "greet", arguments: { who: 7 } });
    expect(bad).toMatchObject({ isError: true, content: [{ text: expect.stringContaining("args.who") }] });
  });

  it("bounds a session opened with an operator-issued capability token, and refuses it once revoked", async () => {
    const token = os.caps.authority.mint({ holder: "desktop-client", caps: ["tool:file.read#call", `file:${dir}/files/**#read`], exp: os.caps.clock.now() + 3_600_000 });
    const c = await connect(encodeToken(token));
    expect((await c.listTools()).tools.map((t) => t.name)).toEqual(["file.read"]);
    expect(JSON.stringify(await c.callTool({ name: "file.read", arguments: { path: join(dir, "files", "a.txt") } }))).toContain("file a");
    expect(await c.callTool({ name: "greet", arguments: { who: "x" } })).toMatchObject({ isError: true });
    os.caps.authority.revocations.revoke(token.blocks[0]?.block.id ?? "");
    await expect(c.listTools()).rejects.toThrow(/401|Unauthorized/);
  });

  it("serves global memory records as resources and notifies a subscriber of an update", async () => {
    const rec = await os.memory.store({ type: "semantic_fact", scope: "global", content: { subject: "sky", predicate: "is", object: "blue" } });
    const c = await connect(TOKEN);
    const uri = `aios://memory/${rec.id}`;
    expect((await c.listResources()).resources.map((r) => r.uri)).toContain(uri);
    const read = await c.readResource({ uri });
    expect(JSON.parse((read.contents[0] as { text: string }).text)).toMatchObject({ content: { object: "blue" } });
    const updated = new Promise<string>((res) => c.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => res(n.params.uri)));
    await c.subscribeResource({ uri });
    await os.memory.update(rec.id, { content: { subject: "sky", predicate: "is", object: "grey" } });
    expect(await updated).toBe(uri);
    await expect(c.readResource({ uri: "aios://memory/nope" })).rejects.toThrow(/no resource/);
  });

  it("serves agent specs as prompts", async () => {
    const c = await connect(TOKEN);
    expect((await c.listPrompts()).prompts.map((p) => p.name)).toEqual(["helper"]);
    const p = await c.getPrompt({ name: "helper", arguments: { goal: "file the receipts" } });
    expect(p.messages[0]?.content).toEqual({ type: "text", text: "You are a careful helper.\n\nGoal: file the receipts" });
  });

  it("answers stateless requests without allocating a server per request", async () => {
    const before = { live: endpoint.serverInstances, made: endpoint.serversCreated };
    for (let i = 0; i < 50; i++) {
      const r = await post({ jsonrpc: "2.0", id: i, method: i % 2 === 0 ? "tools/list" : "tools/call", params: i % 2 === 0 ? {} : { name: "greet", arguments: { who: `n${i}` } } });
      expect(r.status).toBe(200);
      const body = (await r.json()) as { id: number; result: Record<string, unknown> };
      expect(body.id).toBe(i);
      if (i % 2 === 1) expect(body.result).toMatchObject({ structuredContent: { greeting: `hello n${i}` } });
    }
    expect({ live: endpoint.serverInstances, made: endpoint.serversCreated }).toEqual(before);
  });
});
