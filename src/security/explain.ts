/**
 * `aios cap explain <agent> <action>`: why a request would be allowed or denied, naming the token (and
 * the capability in it) or the policy rule that decides. Read-only: it consults the same wallet and
 * rules as the hot path but charges no quota and parks no approval.
 */
import type { PolicyDecision } from "../abi/index.js";
import type { VerifiedToken } from "./authority.js";
import { allows, type CapRequest } from "../capability/index.js";

export interface TokenVerdict {
  readonly token: string;
  readonly outcome: "allows" | "no-match" | "expired" | "not-yet-valid";
  /** For "allows", the capability of the last block; for "no-match", the first block that refuses. */
  readonly detail: string;
}

export interface Explanation {
  readonly allowed: boolean;
  readonly request: string;
  /** "token:<id> <capability>", "policy:<rule>", or "none". */
  readonly decidedBy: string;
  readonly summary: string;
  readonly tokens: readonly TokenVerdict[];
  readonly policy?: PolicyDecision;
}

export function judgeTokens(tokens: readonly VerifiedToken[], req: CapRequest, now: number): TokenVerdict[] {
  return tokens.map((t): TokenVerdict => {
    if (now >= t.exp) return { token: t.id, outcome: "expired", detail: `expired at ${new Date(t.exp).toISOString()}` };
    if (now < t.nbf) return { token: t.id, outcome: "not-yet-valid", detail: `valid from ${new Date(t.nbf).toISOString()}` };
    let last = "";
    for (const [i, block] of t.blocks.entries()) {
      const c = block.find((x) => allows(x, req));
      if (c === undefined) return { token: t.id, outcome: "no-match", detail: `block ${i} (${t.chain[i] ?? "?"}) grants only ${block.map((x) => x.source).join(", ") || "nothing"}` };
      last = c.source;
    }
    return { token: t.id, outcome: "allows", detail: last };
  });
}

export function explainDecision(agent: string, req: CapRequest, verdicts: readonly TokenVerdict[], policy: PolicyDecision | undefined): Explanation {
  const request = `${req.resource}#${req.action}`;
  const ok = verdicts.find((v) => v.outcome === "allows");
  if (ok === undefined) {
    return { allowed: false, request, decidedBy: "none", summary: `denied: no token of ${agent} allows ${request} (${verdicts.length} token(s) checked)`, tokens: verdicts, ...(policy === undefined ? {} : { policy }) };
  }
  const by = `token:${ok.token} ${ok.detail}`;
  if (policy === undefined || policy.effect === "allow") {
    const rule = policy?.rule === undefined ? "" : ` and policy rule ${policy.rule}`;
    return { allowed: true, request, decidedBy: policy?.rule === undefined ? by : `${by}; policy:${policy.rule}`, summary: `allowed by ${by}${rule}`, tokens: verdicts, ...(policy === undefined ? {} : { policy }) };
  }
  const verb = policy.effect === "deny" ? "denied" : "needs approval";
  return { allowed: false, request, decidedBy: `policy:${policy.rule}`, summary: `${verb} by policy rule ${policy.rule}: ${policy.reason} (capability: ${by})`, tokens: verdicts, policy };
}
