/**
 * gateway/mcp/: AIOS as an MCP server. One server implementation (sessions on the SDK's Server and
 * Streamable HTTP transport, a stateless path without any Server, auth, DNS-rebinding protection)
 * serving a *surface*: AIOS's own (tools through the door, memory records, agent specs) or the
 * conformance fixture's. Mounted at `/mcp` by the gateway; `aios mcp serve --stdio` for desktop clients.
 */
export type { McpSurface, McpPrincipal, McpRequestContext, McpResources, McpPrompts } from "./surface.js";
export { McpEndpoint, type McpEndpointOptions } from "./endpoint.js";
export { McpSession } from "./session.js";
export { SessionEventLog } from "./event-log.js";
export { StatelessRouter } from "./stateless.js";
export { aiosSurface, type AiosMcpPorts } from "./aios-surface.js";
export { mcpAuthenticator, DEFAULT_OPERATOR_CAPABILITIES, type AuthOptions } from "./auth.js";
export { mcpEndpointFor, systemSurface, type McpServeOptions } from "./system.js";
export { toMcpError } from "./errors.js";
