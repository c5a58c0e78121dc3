/**
 * Who may open an MCP session on the daemon, and what bounds it:
 * - the API bearer token (`<dataDir>/api-token`): the operator, bounded by the configured operator
 *   capabilities (default: call every tool, read global and shared memory);
 * - a capability token the operator issued (`aios mcp token --cap ...`, minted by the kernel's
 *   authority): verified on every request (signature, lifetime, revocation), bounded by the
 *   capabilities of its last block, the principal being the token's holder.
 * Anything else is refused. Tokens are presented as bearer tokens; proof of holding the holder's
 * key is not asked for (an MCP client has no AIOS key), so a token is as secret as the API token.
 */
import { decodeToken, type TokenAuthority } from "../../security/index.js";
import { tokenMatches } from "../token.js";
import type { McpPrincipal } from "./surface.js";

export const DEFAULT_OPERATOR_CAPABILITIES: readonly string[] = ["tool:*#call", "memory:global#read", "memory:shared/**#read"];

export interface AuthOptions {
  readonly apiToken: string;
  readonly operatorCapabilities?: readonly string[];
  readonly authority?: TokenAuthority;
}

export function mcpAuthenticator(o: AuthOptions): (bearer: string | undefined) => McpPrincipal | undefined {
  const operator: McpPrincipal = { id: "operator", capabilities: [...(o.operatorCapabilities ?? DEFAULT_OPERATOR_CAPABILITIES)] };
  // One capability array per token id, so per-principal caches keyed by it stay warm.
  const seen = new Map<string, McpPrincipal>();
  return (bearer) => {
    if (bearer === undefined) return undefined;
    if (tokenMatches(o.apiToken, bearer)) return operator;
    if (o.authority === undefined || bearer.length > 64_000) return undefined;
    try {
      const v = o.authority.verify(decodeToken(bearer));
      let p = seen.get(v.id);
      if (p === undefined) {
        p = { id: `token:${v.id}`, capabilities: (v.blocks[v.blocks.length - 1] ?? []).map((c) => c.source) };
        if (seen.size > 10_000) seen.clear();
        seen.set(v.id, p);
      }
      return p;
    } catch {
      return undefined;
    }
  };
}
