/**
 * A capability token as the API shows it: ids, chain, holder and capabilities — never the token's
 * bytes. Its own file because both the control plane and the security read routes use it.
 */
import type { VerifiedToken } from "../security/index.js";
import type { TokenSummary } from "./api.js";

export function summarizeToken(t: VerifiedToken): TokenSummary {
  return {
    id: t.id,
    chain: t.chain,
    holder: t.holder.agent,
    scheme: t.scheme,
    capabilities: (t.blocks[t.blocks.length - 1] ?? []).map((c) => c.source),
    nbf: t.nbf,
    exp: t.exp,
  };
}
