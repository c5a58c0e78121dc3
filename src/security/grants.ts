/**
 * Operator grants: root tokens handed to an agent from outside its own syscalls (`aios cap grant`,
 * the API, the SDK's checker.adopt). An agent's wallet is rebuilt from its spec whenever it is
 * recreated (a restart of the agent or of the daemon), so these are kept apart, by holder agent, and
 * added to every new wallet of that agent. With a GrantStore they survive a daemon restart: a grant
 * is written before it is acknowledged, a revocation is recorded on it, and at start every stored
 * grant is decoded and re-verified (signature, expiry, revocation) before it counts.
 * Invariants: a grant that is revoked or expired is never handed to a wallet; a stored row that no
 * longer verifies is reported in `problems` and left alone, never a crash; an expired row is
 * deleted (it can never grant anything again). Entries stay until they expire or are revoked, not
 * when their agent ends: a durable agent ends at every shutdown and comes back with the same id.
 */
import { AiosError, type Clock } from "../core/index.js";
import type { TokenAuthority, VerifiedToken } from "./authority.js";
import { corrupt, type GrantStore } from "./grant-store.js";
import { decodeToken, encodeToken } from "./token.js";

export class OperatorGrants {
  private readonly byAgent = new Map<string, VerifiedToken[]>();
  /** Stored grants that could not be loaded (E_CORRUPT, naming the row and the field). */
  readonly problems: AiosError[] = [];

  constructor(
    private readonly authority: TokenAuthority,
    private readonly clock: Clock,
    private readonly store?: GrantStore,
  ) {
    if (store !== undefined) this.load(store);
  }

  /** Records a verified grant (persisted first: if the write fails, so does the grant). */
  add(v: VerifiedToken): void {
    this.store?.save({ id: v.id, agent: v.holder.agent, token: encodeToken(v.token), grantedAt: this.clock.now(), ...(Number.isFinite(v.exp) ? { exp: v.exp } : {}) });
    const list = (this.byAgent.get(v.holder.agent) ?? []).filter((t) => t.id !== v.id);
    list.push(v);
    this.byAgent.set(v.holder.agent, list);
  }

  /** The agent's grants that are valid now (dropping expired and revoked ones on the way). */
  of(agent: string): readonly VerifiedToken[] {
    const list = this.byAgent.get(agent);
    if (list === undefined) return [];
    const now = this.clock.now();
    const rl = this.authority.revocations;
    const live = list.filter((t) => now < t.exp && rl.firstRevoked(t.chain) === undefined);
    if (live.length === 0) this.byAgent.delete(agent);
    else if (live.length !== list.length) this.byAgent.set(agent, live);
    return live;
  }

  /** A grant whose chain includes `tokenId` (so an operator can revoke it before its agent runs). */
  find(tokenId: string): VerifiedToken | undefined {
    for (const list of this.byAgent.values()) for (const t of list) if (t.chain.includes(tokenId)) return t;
    return undefined;
  }

  /** After `tokenId` was revoked: every grant it voids is marked revoked and forgotten. */
  revoked(tokenId: string): void {
    const ids: string[] = [];
    for (const [agent, list] of this.byAgent) {
      const keep = list.filter((t) => !t.chain.includes(tokenId) || (ids.push(t.id), false));
      if (keep.length === 0) this.byAgent.delete(agent);
      else if (keep.length !== list.length) this.byAgent.set(agent, keep);
    }
    this.store?.markRevoked(ids, this.clock.now());
  }

  close(): void {
    this.store?.close();
  }

  private load(store: GrantStore): void {
    const { rows, problems } = store.load();
    this.problems.push(...problems);
    const now = this.clock.now();
    const expired: string[] = [];
    const revoked: string[] = [];
    for (const row of rows) {
      if (row.revokedAt !== undefined) continue;
      if (row.exp !== undefined && now >= row.exp) {
        expired.push(row.id);
        continue;
      }
      let v: VerifiedToken;
      try {
        v = this.authority.verify(decodeToken(row.token, "token"), now);
      } catch (e) {
        const reason = e instanceof AiosError ? e.details["reason"] : undefined;
        if (reason === "expired") expired.push(row.id);
        // Revoked while this table did not hear of it (revoked.log is written first): catch up.
        else if (reason === "revoked") revoked.push(row.id);
        else this.problems.push(corrupt(store.path, row.id, "token", e instanceof Error ? e.message : String(e), e));
        continue;
      }
      if (v.id !== row.id || v.holder.agent !== row.agent) {
        this.problems.push(corrupt(store.path, row.id, v.id !== row.id ? "id" : "agent", `the token is ${v.id}, held by ${v.holder.agent}`));
        continue;
      }
      this.byAgent.set(row.agent, [...(this.byAgent.get(row.agent) ?? []), v]);
    }
    store.delete(expired);
    store.markRevoked(revoked, now);
  }
}
