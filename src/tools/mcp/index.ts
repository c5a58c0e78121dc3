/**
 * tools/mcp/: the MCP client, AIOS's third tool tier (after the builtin tools and QuickJS scripts).
 * Registered MCP servers (stdio inside bubblewrap, or Streamable HTTP) contribute their tools to the
 * tool registry as `mcp.<server>.<tool>`, called through the ToolCall syscall like every tool, and
 * their resources and prompts through the McpResource* / McpPrompt* syscalls. Public surface: here.
 */
export { mcpSubsystem, type McpSubsystemOptions } from "./subsystem.js";
export { McpHub, type McpHubOptions, type McpServerInfo } from "./hub.js";
export { McpConnection, httpTransport, DEFAULT_BACKOFF, type Backoff, type ConnectionState, type ConnectionOptions } from "./connection.js";
export { mcpHttpAuth, authorizingFetch, followRedirect, AuthorizationCodeClient, DEFAULT_REDIRECT_URL, type Authorizer, type McpOAuthOptions, type McpHttpAuth } from "./oauth.js";
export { answerWithDefaults } from "./elicitation.js";
export { parseServerConfig, McpServerConfigSchema, SERVER_NAME_RE, type McpServerConfig, type McpServerConfigInput } from "./config.js";
export { toolSegment, type McpToolResult } from "./mcp-tool.js";
export { zodFromJsonSchema } from "./json-schema.js";
export { mcpSyscalls } from "./syscalls.js";
