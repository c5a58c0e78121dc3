/**
 * An agent's wallet: the verified tokens it holds and a bounded decision cache per (action, resource).
 * A cached decision stays valid until the earliest time any token involved could change it (an
 * expiry or a not-before) and until the revocation epoch moves; the hot path is two map look-ups,
 * a clock read and two comparisons.
 */
import type { Caller, CapDecision } from "../abi/index.js";
import type { VerifiedToken } from "./authority.js";
import { allows, coveredBy, type Capability, type CapRequest } from "../capability/index.js";
import { BoundedCache } from "../core/index.js";
import { QuotaLedger, type QuotaSlot } from "./quota.js";
import { WalletLeases, type Epoch } from "./leases.js";

/**
 * Decisions kept per wallet. An agent that sends to many distinct targets without a wildcard grant
 * would otherwise add one entry per target (issue #17: one entry per message handled); the kernel's
 * send path caches a covering grant (`agent:*#send`) per agent itself, so this only has to hold the
 * working set of exact requests.
 */
export const WALLET_CACHE_ENTRIES = 128;

const same = (id: string): string => id;

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

/** Decisions a wallet keeps in its `recent` list. */
const RECENT_DECISIONS = 4;

/** The key of a decision in a wallet's cache (and its leases). */
export function decisionKey(action: string, resource: string): string {
  return action + "\u0000" + resource;
}

export class Wallet {
  tokens: VerifiedToken[] = [];
  epoch: number;
  /** Tokens that carry the agent's spec capabilities: a root mint, or delegations from its creator. */
  specIds: readonly string[] = [];
  /** The spec authority was revoked (now or, persisted, in an earlier run): never granted again. */
  specRevoked = false;
  /** Set for an agent an agent created: its spec tokens are delegated from this wallet's tokens. */
  creator: Wallet | undefined = undefined;
  /** The caller this wallet is for (renewing spec tokens needs its capabilities). */
  caller: Pick<Caller, "agent" | "name" | "capabilities"> | undefined = undefined;
  /** Live wallets derived from this one; an ended agent's wallet stays while they renew from it. */
  children = 0;
  ended = false;
  readonly cache = new BoundedCache<string, CachedDecision>(WALLET_CACHE_ENTRIES);
  /** Decisions handed out for reuse (CapabilityChecker.lease); cleared with the cache. */
  readonly leases: WalletLeases;
  /**
   * The last few cached decisions as (action, resource, decision) triples, looked at by string
   * equality before `cache`: an agent's calls repeat a handful of requests, and the key a look-up in
   * `cache` needs is a new string (and its hash) per check.
   */
  private readonly recent: (string | CachedDecision)[] = [];
  private recentNext = 0;

  constructor(epoch: number, leaseEpoch: Epoch) {
    this.epoch = epoch;
    this.leases = new WalletLeases(leaseEpoch);
  }

  add(t: VerifiedToken): void {
    this.tokens = [...this.tokens.filter((x) => x.id !== t.id), t];
    this.invalidate();
  }

  /** Every cached and leased decision goes (the set of tokens changed). */
  invalidate(): void {
    this.cache.clear();
    this.leases.clear();
    this.recent.length = 0;
    this.recentNext = 0;
  }

  /** The cached decision for (action, resource), if any (its time window is the caller's to check). */
  cached(action: string, resource: string): CachedDecision | undefined {
    const r = this.recent;
    for (let i = 0; i < r.length; i += 3) if (r[i] === action && r[i + 1] === resource) return r[i + 2] as CachedDecision;
    const c = this.cache.get(decisionKey(action, resource));
    if (c !== undefined) this.remember(action, resource, c);
    return c;
  }

  /** Caches `c` as the decision for (action, resource). */
  store(action: string, resource: string, c: CachedDecision): void {
    this.cache.set(decisionKey(action, resource), c);
    this.remember(action, resource, c);
  }

  private remember(action: string, resource: string, c: CachedDecision): void {
    const r = this.recent;
    for (let i = 0; i < r.length; i += 3) {
      if (r[i] === action && r[i + 1] === resource) {
        r[i + 2] = c;
        return;
      }
    }
    if (r.length < RECENT_DECISIONS * 3) {
      r.push(action, resource, c);
      return;
    }
    const at = this.recentNext;
    r[at] = action;
    r[at + 1] = resource;
    r[at + 2] = c;
    this.recentNext = (at + 3) % (RECENT_DECISIONS * 3);
  }

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

  /**
   * True when a token valid at `now` covers `cap` in every block (the effective set of a chain is the
   * intersection of its blocks): the agent's live authority over `cap`.
   */
  covering(cap: Capability, now: number): VerifiedToken | undefined {
    return this.tokens.find((t) => now >= t.nbf && now < t.exp && t.blocks.every((b) => coveredBy(b, cap)));
  }

  /**
   * `slotOf` names the counter a block's counted capability charges: a stable name for spec blocks
   * (`spec:<agent>`, so a renewed spec token keeps counting where the old one stopped), else the block id.
   */
  decide(agentName: string, req: CapRequest, now: number, slotOf: (blockId: string) => string = same): CachedDecision {
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
      candidates.push({ token: t, caps, slots: quotaSlots(t, caps, slotOf) });
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

const NO_SLOTS: readonly QuotaSlot[] = Object.freeze([]);

/** The counters `caps` (one per block of `t`) charge: most capabilities have no quota, and share one empty list. */
function quotaSlots(t: VerifiedToken, caps: readonly Capability[], slotOf: (blockId: string) => string): readonly QuotaSlot[] {
  let slots: QuotaSlot[] | undefined;
  for (let i = 0; i < caps.length; i++) {
    const cap = caps[i] as Capability;
    if (QuotaLedger.hasQuota(cap)) (slots ??= []).push({ key: `${slotOf(t.chain[i] ?? "?")}/${cap.source}`, cap });
  }
  return slots ?? NO_SLOTS;
}
