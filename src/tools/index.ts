/**
 * tools/: the tool registry, the builtin tools (file, http, shell under bubblewrap, agent spawn,
 * browser), the QuickJS tier for user tools written in JavaScript, and the ToolCall syscall.
 * Every tool call is checked twice: up front by the dispatcher (`tool:<name>#call` plus the tool's
 * own requests) and again inside the tool on the canonical resource (descriptor-walked path, resolved address,
 * redirect hop), both through the kernel's capability checker. Public surface: this file only.
 */
export { defineTool, eraseTool, isValidToolName, type Tool, type AnyTool, type ToolContext } from "./tool.js";
export { ToolRegistry, describeTool, type ToolInfo, type ParsedToolCall } from "./registry.js";
export { makeToolContext, type ContextParts } from "./context.js";
export { toolCallSyscall, type ToolCallOptions } from "./syscall.js";
export type { ToolHost } from "./kernel-seam.js";
export { fileTools, type FileToolOptions } from "./file-tools.js";
export { shellTool, parseDuration, parseList, type ShellToolOptions } from "./shell-tool.js";
export { runSandboxed, DEFAULT_BWRAP, type SandboxResult, type SandboxRunOptions } from "./shell-sandbox.js";
export { bwrapArgs, SANDBOX_PATH, type BwrapPlan, type SandboxLimits, type SandboxMount } from "./bwrap-args.js";
export { httpTool, type HttpToolOptions } from "./http-tool.js";
export { a2aTool, a2aResource, type A2aToolOptions } from "./a2a-tool.js";
export { egressFetch, type FetchRequest, type FetchResponse } from "./http-fetch.js";
export { classifyAddress, checkEgress, targetOf, systemResolver, type AddressClass, type Resolver, type ResolvedAddress, type Pinned } from "./net-policy.js";
export { scriptTool, type ScriptToolDefinition, type HostFunction } from "./script-tool.js";
export { spawnTool } from "./spawn-tool.js";
export { requestTool } from "./request-tool.js";
export { browserTool, CHROMIUM_ARGS, type BrowserTool, type BrowserToolOptions } from "./browser-tool.js";
export { toolsSubsystem, type ToolsSubsystemOptions } from "./subsystem.js";
export { mcpSubsystem, McpHub, parseServerConfig, McpServerConfigSchema, type McpSubsystemOptions, type McpServerInfo, type McpServerConfig, type McpServerConfigInput, type ConnectionState, type Backoff } from "./mcp/index.js";
export { McpConnection, httpTransport, mcpHttpAuth, followRedirect, answerWithDefaults, type ConnectionOptions, type McpOAuthOptions, type McpHttpAuth, type Authorizer } from "./mcp/index.js";
