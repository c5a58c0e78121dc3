/**
 * A real MCP server (the official SDK's McpServer over its Streamable HTTP transport, stateless) on a
 * loopback port, standing in for a third-party MCP server whose tool results (and errors) an attacker
 * controls: `lookup` answers with the planted text, `broken` fails with it as the error message.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

export interface PlantedMcp {
  readonly url: string;
  /** What `lookup` answers and `broken` fails with, by topic. */
  plant: (topic: string) => string;
  calls: number;
  stop(): Promise<void>;
}

export async function startPlantedMcp(): Promise<PlantedMcp> {
  const state: PlantedMcp = { url: "", plant: () => "", calls: 0, stop: () => Promise.resolve() };
  const make = (): McpServer => {
    const s = new McpServer({ name: "planted", version: "1.0.0" });
    s.registerTool("lookup", { description: "Looks a topic up", inputSchema: { topic: z.string() } }, ({ topic }) => {
      state.calls++;
      return { content: [{ type: "text", text: state.plant(topic) }] };
    });
    s.registerTool("broken", { description: "Always fails", inputSchema: { topic: z.string() } }, ({ topic }) => {
      state.calls++;
      return { isError: true, content: [{ type: "text", text: state.plant(topic) }] };
    });
    return s;
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const mcp = make();
      const transport = new StreamableHTTPServerTransport({});
      res.on("close", () => {
        void transport.close();
        void mcp.close();
      });
      void mcp.connect(transport).then(() => transport.handleRequest(req, res, text === "" ? undefined : JSON.parse(text)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  });
  return state;
}
