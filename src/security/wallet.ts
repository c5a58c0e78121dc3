/**
 * An agent's wallet: the verified tokens it holds and a bounded decision cache per (action, resource).
 * A cached decision stays valid until the earliest time any token involved could change it (an
 * expiry or a not-before) and until the revocation epoch moves; the hot path is two map look-ups,
 * a clock read and two comparisons.
 */
import type { CapDecision } from "../abi/index.js";
import type { VerifiedToken } from "./authority.js";
import { allows, type Capability, type CapRequest } from "../capability/index.js";
import { BoundedCache } from "../core/index.js";
import { QuotaLedger, type QuotaSlot } from "./quota.js";
import { WalletLeases } from "./leases.js";

/**
 * Decisions kept per wallet. An agent that sends to many distinct targets without a wildcard grant
 * would otherwise add one entry per target (issue #17: one entry per message handled); the kernel's
 * send path caches a covering grant (`agent:*#send`) per agent itself, so this only has to hold the
 * working set of exact requests.
 */
export const WALLET_CACHE_ENTRIES = 128;

export interface Candidate {
  readonly token: VerifiedToken;
  /** The allowing capability in each block, last block's last. */
  readonly caps: readonly Capability[];
  readonly slots: readonly QuotaSlot[];
}

export interface CachedDecision {
  readonly decision: CapDecision;
  readonly from: number;
  readonly until: number;
  /** Allowing tokens in preference order; empty on denial. */
  readonly candidates: readonly Candidate[];
  readonly hasQuota: boolean;
}

export class Wallet {
  tokens: VerifiedToken[] = [];
  epoch: number;
  specTokenId: string | undefined;
  specRevoked = false;
  readonly cache = new BoundedCache<string, CachedDecision>(WALLET_CACHE_ENTRIES);
  /** Decisions handed out for reuse (CapabilityChecker.lease); cleared with the cache. */
  readonly leases = new WalletLeases();

  constructor(epoch: number) {
    this.epoch = epoch;
  }

  add(t: VerifiedToken): void {
    this.tokens = [...this.tokens.filter((x) => x.id !== t.id), t];
    this.invalidate();
  }

  /** Every cached and leased decision goes (the set of tokens changed). */
  invalidate(): void {
    this.cache.clear();
    this.leases.clear();
  }

  /** Computes the decision for a request from the tokens valid at `now`. */
  /**
   * True when a live token holds a counted capability (max, tokens, rate) for `action` on a resource
   * that may begin with `prefix` (e.g. "agent:"), or on a wildcard resource. A decision for a whole
   * pattern (agent:*) then stands for no single resource: check() of one that the counted capability
   * matches decides by it, and charges it.
   */
  holdsCounted(action: string, prefix: string, now: number): boolean {
    return this.tokens.some((t) => now >= t.nbf && now < t.exp && t.blocks.some((b) => b.some((c) =>
      QuotaLedger.hasQuota(c) && (c.resource.startsWith(prefix) || c.resource.startsWith("*")) && (c.actions.includes(action) || c.actions.includes("*")))));
  }

  decide(agentName: string, req: CapRequest, now: number): CachedDecision {
    const candidates: Candidate[] = [];
    let from = -Infinity;
    let until = Infinity;
    for (const t of this.tokens) {
      if (now < t.nbf) {
        until = Math.min(until, t.nbf);
        continue;
      }
      if (now >= t.exp) continue;
      const caps: Capability[] = [];
      for (const block of t.blocks) {
        const c = block.find((x) => allows(x, req));
        if (c === undefined) break;
        caps.push(c);
      }
      if (caps.length !== t.blocks.length) continue;
      const slots = caps.flatMap((cap, i) => (QuotaLedger.hasQuota(cap) ? [{ key: `${t.chain[i] ?? "?"}/${cap.source}`, cap }] : []));
      candidates.push({ token: t, caps, slots });
      from = Math.max(from, t.nbf);
      until = Math.min(until, t.exp);
    }
    const first = candidates[0];
    const decision: CapDecision =
      first === undefined
        ? { allowed: false, reason: `no capability token of ${agentName} allows ${req.resource}#${req.action}` }
        : { allowed: true, by: { kind: "token", token: first.token.id, capability: first.caps[first.caps.length - 1]?.source ?? "" } };
    return { decision, from, until, candidates, hasQuota: candidates.some((c) => c.slots.length > 0) };
  }
}
