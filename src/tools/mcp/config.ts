/**
 * How an MCP server is registered (config file section `mcp.servers.<name>`, `aios mcp add`, or
 * `os.mcp.add` at run time). Exactly one transport: `command` (stdio, run inside bubblewrap) or `url`
 * (Streamable HTTP). A stdio server sees only what its entry grants: `mounts` (bound at the same
 * place, read-only unless `write`), `network` (otherwise an empty network namespace) and `env`.
 * Registering a server is an operator action; which agent may call which of its tools is a separate
 * grant (`tool:mcp.<server>.<tool>#call`), as is reading its resources and prompts (`mcp:<server>#read`).
 */
import { z } from "zod";
import { AiosError } from "../../core/index.js";

/** Server names become a tool-name segment: `mcp.<server>.<tool>`. */
export const SERVER_NAME_RE = /^[a-z][a-z0-9_-]{0,62}$/;

export const McpMount = z.strictObject({
  path: z.string().startsWith("/", "expected an absolute path"),
  write: z.boolean().default(false),
});

export const McpServerConfigSchema = z
  .strictObject({
    command: z.array(z.string().min(1)).min(1).optional(),
    url: z.url({ protocol: /^https?$/ }).optional(),
    mounts: z.array(McpMount).max(32).default([]),
    network: z.boolean().default(false),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
    /** Extra HTTP headers for a `url` server (e.g. its own bearer token). */
    headers: z.record(z.string(), z.string()).default({}),
    /** OAuth for a `url` server that requires it (oauth.ts); secrets belong in the config file, not in argv. */
    oauth: z
      .strictObject({
        grant: z.enum(["authorization_code", "client_credentials"]).default("authorization_code"),
        clientId: z.string().min(1).optional(),
        clientSecret: z.string().min(1).optional(),
        privateKeyPem: z.string().includes("PRIVATE KEY").optional(),
        signingAlgorithm: z.enum(["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "EdDSA"]).optional(),
        issuer: z.url().optional(),
        clientMetadataUrl: z.url({ protocol: /^https$/ }).optional(),
        redirectUrl: z.url().optional(),
        scope: z.string().min(1).optional(),
      })
      .optional(),
    /** How the server's elicitation requests are answered (elicitation.ts); none declared by default. */
    elicitation: z.enum(["none", "defaults"]).default("none"),
    /** Milliseconds a tools/call may take before it fails with E_TIMEOUT. */
    timeoutMs: z.number().int().positive().max(3_600_000).default(60_000),
  })
  .refine((c) => (c.command === undefined) !== (c.url === undefined), { message: "exactly one of command (stdio) or url (Streamable HTTP) is required" })
  .refine((c) => c.oauth === undefined || c.url !== undefined, { message: "oauth applies to a url server only", path: ["oauth"] });

export type McpServerConfig = z.output<typeof McpServerConfigSchema>;
export type McpServerConfigInput = z.input<typeof McpServerConfigSchema>;

/** Validates one server entry; errors name `<where>.<field>`. */
export function parseServerConfig(name: string, raw: unknown, where = `mcp.servers.${name}`): McpServerConfig {
  if (!SERVER_NAME_RE.test(name)) {
    throw new AiosError("E_INVALID_ARG", `${where}: server name "${name}" must be lowercase letters, digits, _ or - (starting with a letter)`, { details: { path: where } });
  }
  const r = McpServerConfigSchema.safeParse(raw);
  if (r.success) return r.data;
  const i = r.error.issues[0];
  const path = [where, ...(i?.path.map(String) ?? [])].join(".");
  throw new AiosError("E_INVALID_ARG", `${path}: ${i?.message ?? "invalid"}`, { details: { path } });
}
