/**
 * TokenCapabilityChecker: the kernel's capability stage backed by signed tokens. Every agent holds a
 * wallet of verified tokens; its spec's `capabilities` become a root token minted on first use (short
 * lived, renewed on expiry, never renewed once revoked). Checks are served from the wallet's decision
 * cache; quota constraints are charged on every allowed check, atomically across the whole chain,
 * trying the next allowing token when one is exhausted — and throw E_QUOTA / E_RATE_LIMITED when all
 * are (a denial that is not "no capability" keeps its own code). Tokens adopted from outside (operator
 * grants) are kept by OperatorGrants as well, so every new wallet of their agent gets them back, and
 * with a GrantStore they outlive the process; tokens delegated by CapGrant live in the wallet only.
 */
import type { Clock } from "../core/index.js";
import { AiosError } from "../core/index.js";
import type { CapabilityChecker, CapDecision, CapLease } from "../abi/index.js";
import { Epoch, Lease, LeaseClock } from "./leases.js";
import type { Caller, CapabilityRequest } from "../abi/index.js";
import { authError, type TokenAuthority, type VerifiedToken } from "./authority.js";
import { parseCapability, type Capability } from "../capability/index.js";
import type { GrantStore } from "./grant-store.js";
import { OperatorGrants } from "./grants.js";
import { QuotaLedger } from "./quota.js";
import { SpecGrants } from "./spec-grants.js";
import type { Scheme, Token } from "./token.js";
import { Wallet, decisionKey, type CachedDecision } from "./wallet.js";

export interface CheckerOptions {
  readonly authority: TokenAuthority;
  readonly clock: Clock;
  /** Mint a root token from each agent's spec capabilities (default true). */
  readonly specGrants?: boolean;
  /** Scheme of spec-grant tokens (default hmac: they never leave this process). */
  readonly specScheme?: Scheme;
  /** Lifetime of spec-grant tokens before they are re-minted (default 1 h). */
  readonly specTtlMs?: number;
  /** Where operator grants persist (in memory only when absent). */
  readonly grantStore?: GrantStore;
}

/** The minimal view of a caller the checker needs. */
export type CheckCaller = Pick<Caller, "agent" | "name" | "capabilities">;

export class TokenCapabilityChecker implements CapabilityChecker {
  readonly quotas: QuotaLedger;
  readonly grants: OperatorGrants;
  private readonly wallets = new Map<string, Wallet>();
  private readonly specGrants: boolean;
  private readonly specScheme: Scheme;
  private readonly specTtlMs: number;
  private readonly leaseClock: LeaseClock;
  /** Bumped whenever a lease of any wallet is cleared (CapabilityChecker.leaseEpoch). */
  readonly leaseEpoch = new Epoch();
  private readonly spec: SpecGrants;

  constructor(private readonly o: CheckerOptions) {
    this.specGrants = o.specGrants ?? true;
    this.specScheme = o.specScheme ?? "hmac";
    this.specTtlMs = o.specTtlMs ?? 3_600_000;
    this.grants = new OperatorGrants(o.authority, o.clock, o.grantStore);
    this.quotas = new QuotaLedger(o.grantStore);
    this.leaseClock = new LeaseClock(o.clock, () => [...this.wallets.values()].map((w) => w.leases));
    this.spec = new SpecGrants(o.authority, this.specScheme, this.specTtlMs);
    // A revocation may end any wallet's decisions: every lease goes at once (revocations are rare).
    o.authority.revocations.onRevoke(() => {
      for (const w of this.wallets.values()) w.leases.clear();
    });
  }

  /**
   * check() as a reusable decision: the same answer, valid until the wallet changes, a revocation,
   * or the clock reaching the first expiry or not-before among the tokens involved. A decision
   * under a counted constraint is not leased (each use must be charged), nor one for a pattern when
   * a counted capability covers part of it.
   */
  lease(caller: CheckCaller, req: CapabilityRequest): CapLease | undefined {
    const now = this.o.clock.now();
    const w = this.wallet(caller, now);
    const key = decisionKey(req.action, req.resource);
    const held = w.leases.get(key);
    if (held !== undefined) return held;
    let c = w.cached(req.action, req.resource);
    if (c === undefined || now >= c.until || now < c.from) {
      c = this.refresh(caller, w, req, now);
      w.store(req.action, req.resource, c);
    }
    // Counted decisions are charged per use; and a counted capability on some resources of the
    // pattern (agent:ag_x#send{max=3} beside a granted agent:*#send) decides those one by one.
    const colon = req.resource.indexOf(":");
    if (c.hasQuota || w.holdsCounted(req.action, colon < 0 ? req.resource : req.resource.slice(0, colon + 1), now)) return undefined;
    const l = new Lease(c.decision, c.until);
    w.leases.put(key, l);
    this.leaseClock.watch(c.until);
    return l;
  }

  check(caller: CheckCaller, req: CapabilityRequest): CapDecision {
    const now = this.o.clock.now();
    const w = this.wallet(caller, now);
    let c = w.cached(req.action, req.resource);
    if (c === undefined || now >= c.until || now < c.from) {
      c = this.refresh(caller, w, req, now);
      w.store(req.action, req.resource, c);
    }
    if (!c.hasQuota || !c.decision.allowed) return c.decision;
    return this.charge(c, req.amount ?? 1, now);
  }

  /** The caller's live authority covers `cap` (spawn-rule: what a creator may hand a child). */
  holds(caller: CheckCaller, cap: Capability): boolean {
    const now = this.o.clock.now();
    const w = this.wallet(caller, now);
    this.renew(caller, w, now);
    return w.covering(cap, now) !== undefined;
  }

  /**
   * `child` was created by agent `creator`: its spec capabilities become tokens delegated from the
   * creator's live tokens (spec-grants.ts), built now, while the creator's authority is what the spawn
   * rule just checked. The creator's wallet stays while such children live (they renew from it).
   */
  derive(creator: CheckCaller, child: CheckCaller): void {
    if (!this.specGrants) return;
    const now = this.o.clock.now();
    const cw = this.wallet(creator, now);
    this.renew(creator, cw, now);
    const old = this.wallets.get(child.agent);
    if (old !== undefined) this.drop(child.agent, old);
    const w = new Wallet(this.o.authority.revocations.epoch, this.leaseEpoch);
    w.caller = child;
    w.creator = cw;
    cw.children++;
    this.wallets.set(child.agent, w);
    try {
      this.spec.grant(w, now, true);
    } catch (e) {
      this.drop(child.agent, w);
      throw e;
    }
    for (const g of this.grants.of(child.agent)) w.add(g);
  }

  private charge(c: CachedDecision, amount: number, now: number): CapDecision {
    let firstError: unknown;
    for (const cand of c.candidates) {
      try {
        this.quotas.charge(cand.slots, amount, now);
        return { allowed: true, by: { kind: "token", token: cand.token.id, capability: cand.caps[cand.caps.length - 1]?.source ?? "" } };
      } catch (e) {
        firstError ??= e;
      }
    }
    throw firstError instanceof AiosError ? firstError : new AiosError("E_QUOTA", "quota exhausted", { cause: firstError });
  }

  /**
   * The agent ended: its wallet goes, and its key too when nothing on disk is bound to it — unless
   * children derived from it still live: they renew their spec tokens from it, so it stays (ended)
   * until the last of them is forgotten.
   */
  forget(caller: Pick<Caller, "agent">): void {
    const w = this.wallets.get(caller.agent);
    if (w === undefined) return;
    w.leases.clear();
    if (w.children > 0) w.ended = true;
    else this.drop(caller.agent, w);
  }

  private drop(agent: string, w: Wallet): void {
    w.leases.clear();
    if (this.wallets.get(agent) === w) {
      this.wallets.delete(agent);
      this.o.authority.identities.release(agent);
    }
    const cw = w.creator;
    w.creator = undefined;
    if (cw !== undefined && --cw.children === 0 && cw.ended && cw.caller !== undefined) this.drop(cw.caller.agent, cw);
  }

  /** Wallets held and decisions cached across them (each bounded: the leak tests read these). */
  cacheStats(): { wallets: number; decisions: number } {
    let decisions = 0;
    for (const w of this.wallets.values()) decisions += w.cache.size;
    return { wallets: this.wallets.size, decisions };
  }

  /** Verified tokens an agent holds right now (for `aios cap ls`). */
  tokens(caller: CheckCaller): readonly VerifiedToken[] {
    return this.wallet(caller, this.o.clock.now()).tokens;
  }

  /**
   * The operator's door: adds a token minted or delegated inside the kernel to `agent`'s wallet
   * (bound to its key) and keeps it as a grant — persisted, when there is a store, before it counts.
   */
  adopt(caller: CheckCaller, token: Token): VerifiedToken {
    const v = this.verifyFor(caller, token);
    // A grant outlives the process (GrantStore), so the key it is bound to must too.
    this.o.authority.identities.persist(v.holder.keyId);
    this.grants.add(v);
    this.wallet(caller, this.o.clock.now()).add(v);
    return v;
  }

  private verifyFor(caller: CheckCaller, token: Token): VerifiedToken {
    const now = this.o.clock.now();
    const v = this.o.authority.verify(token, now);
    if (v.holder.agent !== caller.agent) throw authError("wrong_holder", `token ${v.id} is bound to ${v.holder.agent}, not ${caller.agent}`);
    const key = this.o.authority.identities.store.get(v.holder.keyId);
    if (key === undefined || key.owner !== caller.agent) throw authError("wrong_holder", `token ${v.id} is bound to key ${v.holder.keyId}, which ${caller.agent} does not own`);
    return v;
  }

  /** Delegates `capability` from one of `from`'s tokens to agent `to` (attenuation only). */
  grant(from: CheckCaller, to: CheckCaller, capability: string, opts: { exp?: number } = {}): VerifiedToken {
    const cap = parseCapability(capability, "capability");
    const now = this.o.clock.now();
    const w = this.wallet(from, now);
    let lastError: unknown;
    for (const t of w.tokens) {
      if (now >= t.exp || now < t.nbf) continue;
      try {
        const child = this.o.authority.delegate(t.token, { holder: to.agent, caps: [cap.source], ...(opts.exp === undefined ? {} : { exp: opts.exp }) });
        const v = this.verifyFor(to, child);
        this.wallet(to, now).add(v);
        return v;
      } catch (e) {
        if (!(e instanceof AiosError && e.code === "E_AUTH")) throw e;
        lastError = e;
      }
    }
    throw new AiosError("E_CAP_DENIED", `${from.name} holds no token that covers "${cap.source}"; delegation may only attenuate`, { cause: lastError, details: { path: "capability" } });
  }

  /** Revokes a token and everything delegated from it; `by` must hold or have issued a block of it. */
  revoke(by: Pick<Caller, "agent"> | "operator", tokenId: string): number {
    // An operator grant whose agent has not run since the restart is in no wallet yet.
    const known = [...this.wallets.values()].flatMap((w) => w.tokens).find((t) => t.chain.includes(tokenId)) ?? this.grants.find(tokenId);
    if (known === undefined) throw new AiosError("E_NOT_FOUND", `token: no live token ${tokenId}`, { details: { path: "token" } });
    if (by !== "operator") {
      const idx = known.chain.indexOf(tokenId);
      const blocks = known.token.blocks.slice(0, idx + 1);
      // Allowed for the token's own holder and for anyone who issued a block at or above it.
      const mine = blocks.some((b) => b.block.holder.agent === by.agent);
      if (!mine) throw new AiosError("E_CAP_DENIED", `${by.agent} neither holds nor issued token ${tokenId}`, { details: { path: "token" } });
    }
    // A spec token is minted again under a new id when its wallet is rebuilt: record its agent (and
    // every agent whose spec tokens derive from it) first, so the revocation sticks across restarts.
    const rl = this.o.authority.revocations;
    for (const [agent, w] of this.wallets) {
      if (w.tokens.some((t) => w.specIds.includes(t.id) && t.chain.includes(tokenId))) {
        rl.revokeAgent(agent);
        w.specRevoked = true;
      }
    }
    const n = rl.revoke(tokenId);
    this.grants.revoked(tokenId);
    return n;
  }

  private wallet(caller: CheckCaller, now: number): Wallet {
    const rl = this.o.authority.revocations;
    let w = this.wallets.get(caller.agent);
    if (w === undefined) {
      w = new Wallet(rl.epoch, this.leaseEpoch);
      w.caller = caller;
      this.wallets.set(caller.agent, w);
      if (this.specGrants) this.spec.grant(w, now);
      for (const g of this.grants.of(caller.agent)) w.add(g);
    } else if (w.epoch !== rl.epoch) {
      w.epoch = rl.epoch;
      const lost = w.tokens.filter((t) => rl.firstRevoked(t.chain) !== undefined);
      if (lost.length > 0) {
        const spec = w.specIds;
        w.tokens = w.tokens.filter((t) => !lost.includes(t));
        if (lost.some((t) => spec.includes(t.id))) w.specRevoked = true;
        w.invalidate();
      }
    }
    return w;
  }

  private refresh(caller: CheckCaller, w: Wallet, req: CapabilityRequest, now: number): CachedDecision {
    this.renew(caller, w, now);
    return w.decide(caller.name, req, now, this.spec.slotOf);
  }

  /** Drops expired tokens; renews the spec tokens when they expired (never once revoked). */
  private renew(caller: CheckCaller, w: Wallet, now: number): void {
    if (w.tokens.every((t) => now < t.exp)) return;
    const expiredSpec = w.tokens.some((t) => now >= t.exp && w.specIds.includes(t.id));
    w.tokens = w.tokens.filter((t) => now < t.exp);
    // An expired token leaves: decisions it took part in (cached or leased) go with it.
    w.invalidate();
    if (expiredSpec && !w.specRevoked && this.specGrants) {
      w.caller ??= caller;
      // A derived wallet renews from its creator's, which must be current itself first.
      const cw = w.creator;
      if (cw?.caller !== undefined) this.renew(cw.caller, cw, now);
      this.spec.grant(w, now);
    }
  }
}

