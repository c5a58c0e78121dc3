/**
 * Spec grants: the tokens that carry an agent's spec capabilities. An agent the operator created gets
 * a root token minted from its spec; an agent an agent created gets tokens DELEGATED from its
 * creator's live tokens, one per creator token that covers some of its capabilities. So:
 *   - a child never holds what its creator does not hold now (a revoked or expired token covers
 *     nothing), at creation and at every renewal;
 *   - revoking the creator's token revokes the child's (its chain includes it), down the whole tree;
 *   - a counted capability (max, tokens, rate) of the child charges every block of its chain, so the
 *     uses of a whole spawn tree are charged to the counter of the root's capability they came from.
 * Counters are named by `slotOf`: a spec block counts under `spec:<agent>` rather than its block id,
 * so renewing a spec token (every `ttlMs`) does not hand the agent a fresh count.
 * An agent whose spec authority was revoked (RevocationList.agentRevoked, persisted) gets nothing.
 */
import { AiosError, BoundedCache } from "../core/index.js";
import { parseCapability, type Capability } from "../capability/index.js";
import type { TokenAuthority, VerifiedToken } from "./authority.js";
import { TRACKED_CHAINS } from "./revocation.js";
import type { Scheme } from "./token.js";
import type { Wallet } from "./wallet.js";

export class SpecGrants {
  /** Block id of a spec token -> the stable counter name of its agent (`spec:<agent>`). */
  private readonly slots = new BoundedCache<string, string>(TRACKED_CHAINS);

  constructor(
    private readonly authority: TokenAuthority,
    private readonly scheme: Scheme,
    private readonly ttlMs: number,
  ) {}

  /** The counter a block's counted capabilities charge (an arrow: handed to Wallet.decide). */
  readonly slotOf = (blockId: string): string => this.slots.get(blockId) ?? blockId;

  /**
   * Gives `w` its spec tokens: minted (no creator) or delegated from `w.creator`'s live tokens.
   * `strict` (at creation): a capability the creator no longer covers is E_CAP_DENIED; when renewing,
   * the child just gets what is still covered (a revoked creator's child ends up with nothing).
   */
  grant(w: Wallet, now: number, strict = false): void {
    const caller = w.caller;
    if (caller === undefined || caller.capabilities.length === 0) return;
    if (this.authority.revocations.agentRevoked(caller.agent)) {
      w.specRevoked = true;
      return;
    }
    const caps = parsed(caller.capabilities);
    if (caps.length === 0) return;
    const cw = w.creator;
    if (cw === undefined) {
      const v = this.authority.mintVerified({ holder: caller.agent, caps: caps.map((c) => c.source), scheme: this.scheme, exp: now + this.ttlMs }, now);
      this.adopt(w, [v], caller.agent);
      return;
    }
    const groups = new Map<VerifiedToken, string[]>();
    for (const cap of caps) {
      const t = cw.covering(cap, now);
      if (t === undefined) {
        if (!strict) continue;
        throw new AiosError("E_CAP_DENIED", `${caller.name} cannot get "${cap.source}": its creator ${cw.caller?.name ?? "?"} holds no live token that covers it`, {
          details: { path: "capabilities", capability: cap.source },
        });
      }
      const list = groups.get(t);
      if (list === undefined) groups.set(t, [cap.source]);
      else list.push(cap.source);
    }
    const out: VerifiedToken[] = [];
    for (const [parent, list] of groups) {
      // As short-lived as a minted spec token (renewed the same way), never outliving its parent.
      out.push(this.authority.delegateVerified(parent, { holder: caller.agent, caps: list, exp: Math.min(parent.exp, now + this.ttlMs) }));
    }
    this.adopt(w, out, caller.agent);
  }

  private adopt(w: Wallet, tokens: readonly VerifiedToken[], agent: string): void {
    for (const v of tokens) {
      w.add(v);
      this.slots.set(v.id, `spec:${agent}`);
    }
    w.specIds = tokens.map((v) => v.id);
  }
}

function parsed(sources: readonly string[]): Capability[] {
  return sources.flatMap((c) => {
    try {
      return [parseCapability(c)];
    } catch {
      return []; // the spec schema validated it already; an unparsable string grants nothing
    }
  });
}
