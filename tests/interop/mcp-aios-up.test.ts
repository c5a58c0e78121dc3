/**
 * A real `aios up` daemon (the CLI process) serving MCP at /mcp, driven by the MCP SDK's own
 * Streamable HTTP client the way any MCP host would connect: the API token opens a session, the
 * builtin tools are listed with their schemas, a call goes through the door (the operator's MCP
 * session holds no file capability, so file.read is refused as a tool result, not a crash), and a
 * request without the token gets 401 with a WWW-Authenticate challenge.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDaemon, type Daemon } from "../cli/helpers.js";

const dir = mkdtempSync(join(tmpdir(), "aios-mcp-up-"));
let daemon: Daemon;
let url: string;
let token: string;

beforeAll(async () => {
  daemon = await startDaemon(join(dir, "data"));
  url = `http://127.0.0.1:${daemon.port}/mcp`;
  token = readFileSync(join(dir, "data", "api-token"), "utf8").trim();
}, 120_000);

afterAll(async () => {
  daemon.proc.kill("SIGTERM");
  await daemon.exited;
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe("aios up serves MCP at /mcp to the SDK's client", { timeout: 60_000 }, () => {
  it("lists AIOS tools and answers a call through the door", async () => {
    const client = new Client({ name: "sdk-client", version: "1.0.0" });
    const transport = new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${token}` } } });
    await client.connect(transport);
    try {
      expect(client.getServerVersion()?.name).toBe("aios");
      expect(transport.sessionId).toMatch(/^[0-9a-f-]{36}$/);
      const tools = (await client.listTools()).tools;
      const read = tools.find((t) => t.name === "file.read");
      expect(read?.inputSchema.type).toBe("object");
      await client.ping();
      const r = await client.callTool({ name: "file.read", arguments: { path: join(dir, "nothing.txt") } });
      expect(r.isError).toBe(true);
      expect(JSON.stringify(r.content)).toContain("E_CAP_DENIED");
      expect((await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate)).toEqual(["aios://memory/{id}"]);
    } finally {
      await transport.terminateSession();
      await client.close();
    }
  });

  it("refuses a client without the token with 401 and a Bearer challenge", async () => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "x", version: "1" } } }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
  });
});
