/**
 * Wiring the MCP server to a booted system: the AIOS surface over the kernel's dispatcher (the same
 * door agents use), its capability checker, the tool registry and the event bus, authenticated by
 * the API token or an operator-issued capability token (auth.ts).
 */
import { join } from "node:path";
import type { Aios } from "../../sdk/index.js";
import { aiosSurface } from "./aios-surface.js";
import { mcpAuthenticator } from "./auth.js";
import { McpEndpoint } from "./endpoint.js";
import type { McpSurface } from "./surface.js";

export interface McpServeOptions {
  readonly apiToken: string;
  readonly version: string;
  /** What a session opened with the API token may do (auth.ts has the default). */
  readonly operatorCapabilities?: readonly string[];
  /** Agent specs served as prompts (default `<dataDir>/specs`). */
  readonly specsDir?: string;
  readonly idleMs?: number;
  readonly allowedHosts?: readonly string[];
}

export function systemSurface(os: Aios, o: { version: string; specsDir?: string }): McpSurface {
  const specsDir = o.specsDir ?? (os.dataDir === undefined ? undefined : join(os.dataDir, "specs"));
  return aiosSurface({
    version: o.version,
    invoke: (caller, syscall, args) => os.kernel.dispatcher.invoke(caller, syscall, args),
    allowed: (caller, req) => os.kernel.guards.capabilities.check(caller, req).allowed,
    tools: () => os.tools.list(),
    events: os.kernel.events,
    ...(specsDir === undefined ? {} : { specsDir }),
  });
}

export function mcpEndpointFor(os: Aios, o: McpServeOptions): McpEndpoint {
  const authority = os.subsystems.security?.authority;
  return new McpEndpoint({
    surface: systemSurface(os, o),
    authenticate: mcpAuthenticator({ apiToken: o.apiToken, ...(o.operatorCapabilities === undefined ? {} : { operatorCapabilities: o.operatorCapabilities }), ...(authority === undefined ? {} : { authority }) }),
    clock: os.kernel.clock,
    ...(o.idleMs === undefined ? {} : { idleMs: o.idleMs }),
    ...(o.allowedHosts === undefined ? {} : { allowedHosts: o.allowedHosts }),
  });
}
