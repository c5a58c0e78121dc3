/**
 * Revocation with cascade. A token is revoked when ANY block of its chain is revoked, so revoking a
 * token revokes every token delegated from it without having to find them. The list is append-only;
 * with a data dir it is persisted to `<dataDir>/revoked.log` (0600, one id per line, fsync'd by
 * appendFileSync's close) and reloaded at start. `epoch` increases on every revocation so caches of
 * verified tokens know to re-check.
 */
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { BoundedCache } from "../core/index.js";

/** Token chains remembered for counting descendants (every spawned agent mints one token). */
export const TRACKED_CHAINS = 100_000;

export class RevocationList {
  private readonly revoked = new Set<string>();
  /** Token id -> its chain of block ids, for every token the authority minted or verified. */
  private readonly chains = new BoundedCache<string, readonly string[]>(TRACKED_CHAINS);
  private ep = 0;
  /** Called after every revocation (capability leases are cleared from here). */
  private readonly listeners: (() => void)[] = [];

  constructor(private readonly file?: string) {
    if (file !== undefined && existsSync(file)) {
      for (const line of readFileSync(file, "utf8").split("\n")) if (line.trim() !== "") this.revoked.add(line.trim());
    }
  }

  get epoch(): number {
    return this.ep;
  }

  /** Token chains remembered (bounded by TRACKED_CHAINS). */
  get tracked(): number {
    return this.chains.size;
  }

  onRevoke(fn: () => void): void {
    this.listeners.push(fn);
  }

  /** Remembers a token's chain so revocation can count its descendants. */
  track(tokenId: string, chain: readonly string[]): void {
    // Bounded: the newest tokens are kept. A forgotten chain only makes `revoke`'s count and
    // `descendants` smaller; revocation itself checks each token's own chain (firstRevoked).
    this.chains.set(tokenId, chain);
  }

  isRevoked(blockId: string): boolean {
    return this.revoked.has(blockId);
  }

  /** The first revoked block id of a chain, if any. */
  firstRevoked(chain: readonly string[]): string | undefined {
    for (const id of chain) if (this.revoked.has(id)) return id;
    return undefined;
  }

  /**
   * Revokes a token (by its last block id) and so everything delegated from it.
   * Returns how many known tokens became invalid (the token itself included).
   */
  revoke(id: string): number {
    if (this.revoked.has(id)) return 0;
    let n = 0;
    for (const [, chain] of this.chains.entries()) if (chain.includes(id) && this.firstRevoked(chain) === undefined) n++;
    this.revoked.add(id);
    if (this.file !== undefined) {
      mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
      appendFileSync(this.file, id + "\n", { mode: 0o600 });
      chmodSync(this.file, 0o600);
    }
    this.ep++;
    for (const fn of this.listeners) fn();
    return Math.max(n, 1);
  }

  /** Known token ids whose chain includes `id` (the token and its descendants). */
  descendants(id: string): string[] {
    const out: string[] = [];
    for (const [tid, chain] of this.chains.entries()) if (chain.includes(id)) out.push(tid);
    return out;
  }
}
