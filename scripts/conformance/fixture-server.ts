/**
 * Serves the conformance fixture (fixture-surface.ts) with AIOS's MCP endpoint (gateway/mcp's
 * McpEndpoint: sessions, stateless path, DNS-rebinding protection) at http://127.0.0.1:<port>/mcp.
 * The suite's server scenarios send no credentials, so this configuration authenticates every
 * request as one fixed principal; the daemon's /mcp requires a token (gateway/mcp/auth.ts).
 * Run directly it prints the URL and serves until SIGINT/SIGTERM.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { RealClock } from "../../src/core/index.js";
import { McpEndpoint } from "../../src/gateway/index.js";
import { conformanceSurface } from "./fixture-surface.js";

export interface FixtureServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startFixtureServer(port = 0): Promise<FixtureServer> {
  const endpoint = new McpEndpoint({
    surface: conformanceSurface(),
    authenticate: () => ({ id: "conformance", capabilities: [] }),
    clock: new RealClock(),
  });
  const server = createAdaptorServer({
    fetch: (req: Request) => (new URL(req.url).pathname === "/mcp" ? endpoint.handle(req) : Promise.resolve(new Response("not found", { status: 404 }))),
  }) as Server;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
  return {
    url,
    async close() {
      await endpoint.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

if (import.meta.url === `file://${process.argv[1] ?? ""}`) {
  const s = await startFixtureServer(Number(process.env["PORT"] ?? 0));
  process.stdout.write(`${s.url}\n`);
  const stop = (): void => void s.close().then(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
