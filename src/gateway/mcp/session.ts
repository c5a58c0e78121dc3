/**
 * One stateful MCP session: the SDK's Server on a Web-standard Streamable HTTP transport (or on stdio
 * for `aios mcp serve --stdio`), answering from the surface's method table (handlers.ts). The
 * session's principal is fixed when it is created; every request of the session acts as it. Closing
 * the session drops its subscriptions.
 */
import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { RequestHandlerExtra } from "@modelcontextprotocol/sdk/shared/protocol.js";
import type { ServerNotification, ServerRequest } from "@modelcontextprotocol/sdk/types.js";
import type { z } from "zod";
import { toMcpError } from "./errors.js";
import { capabilitiesOf, methodTable, type SessionChannel } from "./handlers.js";
import type { McpPrincipal, McpRequestContext, McpSurface } from "./surface.js";

export class McpSession {
  readonly server: Server;
  private readonly channel: SessionChannel;

  constructor(surface: McpSurface, readonly principal: McpPrincipal) {
    this.server = new Server(surface.info, { capabilities: capabilitiesOf(surface), ...(surface.instructions === undefined ? {} : { instructions: surface.instructions }) });
    this.channel = {
      notify: (method, params) => this.server.notification({ method, params }),
      subscriptions: new Map(),
    };
    for (const [, h] of methodTable(surface)) {
      this.server.setRequestHandler(h.schema, async (req, extra) => {
        try {
          return await h.run(req.params as Record<string, unknown>, this.context(extra), this.channel);
        } catch (e) {
          throw toMcpError(e);
        }
      });
    }
    this.server.onclose = () => this.dropSubscriptions();
  }

  connect(transport: Transport): Promise<void> {
    return this.server.connect(transport);
  }

  async close(): Promise<void> {
    this.dropSubscriptions();
    await this.server.close();
  }

  private dropSubscriptions(): void {
    for (const stop of this.channel.subscriptions.values()) stop();
    this.channel.subscriptions.clear();
  }

  private context(extra: RequestHandlerExtra<ServerRequest, ServerNotification>): McpRequestContext {
    const token = extra._meta?.progressToken;
    return {
      principal: this.principal,
      signal: extra.signal,
      sessionId: extra.sessionId,
      progressToken: token,
      closeStream: extra.closeSSEStream,
      notify: (method, params) => extra.sendNotification({ method, params } as ServerNotification),
      ask: <S extends z.ZodType>(method: string, params: Record<string, unknown>, result: S) =>
        extra.sendRequest({ method, params } as ServerRequest, result as never),
    };
  }
}
