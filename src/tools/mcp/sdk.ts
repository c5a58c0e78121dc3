/**
 * The MCP SDK's runtime half, loaded on first use: a daemon with no MCP server configured never
 * loads it. Its client, transports, schemas and OAuth helpers (with zod v3/mini, ajv and jose under
 * them) cost about 0.2 CPU-s to import — a fifth of a restart's budget (issue #17 item 6) — and
 * nothing else here needs them before a server is added. Types are imported statically (erased).
 */
let loading: Promise<McpSdk> | undefined;

async function load() {
  const [client, http, types, stdio, auth, ext] = await Promise.all([
    import("@modelcontextprotocol/sdk/client/index.js"),
    import("@modelcontextprotocol/sdk/client/streamableHttp.js"),
    import("@modelcontextprotocol/sdk/types.js"),
    import("@modelcontextprotocol/sdk/shared/stdio.js"),
    import("@modelcontextprotocol/sdk/client/auth.js"),
    import("@modelcontextprotocol/sdk/client/auth-extensions.js"),
  ]);
  return {
    Client: client.Client,
    StreamableHTTPClientTransport: http.StreamableHTTPClientTransport,
    ElicitRequestSchema: types.ElicitRequestSchema,
    ToolListChangedNotificationSchema: types.ToolListChangedNotificationSchema,
    ReadBuffer: stdio.ReadBuffer,
    serializeMessage: stdio.serializeMessage,
    auth: auth.auth,
    extractWWWAuthenticateParams: auth.extractWWWAuthenticateParams,
    ClientCredentialsProvider: ext.ClientCredentialsProvider,
    PrivateKeyJwtProvider: ext.PrivateKeyJwtProvider,
  };
}

export type McpSdk = Awaited<ReturnType<typeof load>>;

/** The SDK, imported once (concurrent first uses share the import). */
export function mcpSdk(): Promise<McpSdk> {
  return (loading ??= load());
}
