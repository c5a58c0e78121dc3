/**
 * The client the conformance suite spawns per client scenario:
 *   MCP_CONFORMANCE_SCENARIO=<name> [MCP_CONFORMANCE_CONTEXT=<json>] tsx scripts/conformance/client.ts <server-url>
 * It is AIOS's MCP client as the hub runs it (tools/mcp: McpConnection over the Streamable HTTP
 * transport, OAuth from oauth.ts, unattended elicitation from elicitation.ts): connect, read the
 * tool list, call every listed tool once with arguments made from its input schema, close. What
 * the suite hands a scenario is used as an operator would configure it: pre-registered client
 * credentials from the context, and a client ID metadata document URL for the auth scenarios.
 * Exit 0 when every step worked, 1 otherwise (the suite also judges what it saw on the wire).
 */
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { RealClock } from "../../src/core/index.js";
import { McpConnection, answerWithDefaults, httpTransport, mcpHttpAuth, type McpOAuthOptions } from "../../src/tools/index.js";

/** The URL the suite's authorization servers accept as a client ID metadata document (SEP-991). */
const CIMD_URL = "https://conformance-test.local/client-metadata.json";

interface Context {
  readonly client_id?: string;
  readonly client_secret?: string;
  readonly private_key_pem?: string;
  readonly signing_algorithm?: string;
}

function oauthFor(scenario: string, ctx: Context): McpOAuthOptions | undefined {
  if (!scenario.startsWith("auth/")) return undefined;
  if (scenario.startsWith("auth/client-credentials")) {
    return { grant: "client_credentials", clientName: "aios-conformance", clientId: ctx.client_id, clientSecret: ctx.client_secret, privateKeyPem: ctx.private_key_pem, signingAlgorithm: ctx.signing_algorithm };
  }
  const pre = ctx.client_id === undefined ? { clientMetadataUrl: CIMD_URL } : { clientId: ctx.client_id, ...(ctx.client_secret === undefined ? {} : { clientSecret: ctx.client_secret }) };
  return { grant: "authorization_code", clientName: "aios-conformance", ...pre };
}

/** Arguments for a tool from its input schema: each required property gets a plain value of its type. */
function argumentsFor(tool: Tool): Record<string, unknown> {
  const props = (tool.inputSchema.properties ?? {}) as Record<string, { type?: unknown }>;
  const out: Record<string, unknown> = {};
  let n = 2;
  for (const key of tool.inputSchema.required ?? []) {
    const t = props[key]?.type;
    out[key] = t === "number" || t === "integer" ? n++ : t === "boolean" ? true : t === "array" ? [] : t === "object" ? {} : "aios";
  }
  return out;
}

async function main(): Promise<number> {
  const scenario = process.env["MCP_CONFORMANCE_SCENARIO"] ?? "";
  const url = process.argv[2];
  if (url === undefined) {
    process.stderr.write("usage: MCP_CONFORMANCE_SCENARIO=<name> client.ts <server-url>\n");
    return 2;
  }
  const ctx = JSON.parse(process.env["MCP_CONFORMANCE_CONTEXT"] ?? "{}") as Context;
  const oauth = oauthFor(scenario, ctx);
  const auth = oauth === undefined ? undefined : await mcpHttpAuth(url, oauth);
  let tools: readonly Tool[] = [];
  const conn = new McpConnection({
    name: "conformance",
    transport: () => httpTransport(url, {}, auth),
    clock: new RealClock(),
    timeoutMs: Number(process.env["AIOS_CONFORMANCE_TIMEOUT_MS"] ?? 240_000),
    // One attempt: a failed connection is this run's failure, not something to retry later.
    backoff: { baseMs: 3_600_000, maxMs: 3_600_000, stableMs: 0 },
    onTools: (t) => (tools = t),
    elicit: answerWithDefaults,
    clientVersion: "conformance",
  });
  try {
    await conn.start();
    const s = conn.state;
    if (s.status !== "ready") throw new Error(`not connected: ${s.status === "dead" ? s.reason : s.status}`);
    for (const tool of tools) {
      const r = await conn.callTool(tool.name, argumentsFor(tool), AbortSignal.timeout(Number(process.env["AIOS_CONFORMANCE_TIMEOUT_MS"] ?? 240_000)));
      process.stdout.write(`${tool.name}: ${JSON.stringify(r.content).slice(0, 200)}\n`);
    }
    return 0;
  } finally {
    await conn.close();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`conformance client (${process.env["MCP_CONFORMANCE_SCENARIO"] ?? "?"}): ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
