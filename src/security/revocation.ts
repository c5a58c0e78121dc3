/**
 * Revocation with cascade. A token is revoked when ANY block of its chain is revoked, so revoking a
 * token revokes every token delegated from it without having to find them. The list is append-only;
 * with a data dir it is persisted to `<dataDir>/revoked.log` (0600, one entry per line, written and
 * fsync'd before the revocation counts) and reloaded at start. `epoch` increases on every revocation
 * so caches of verified tokens know to re-check.
 *
 * An agent's spec authority is re-minted under a new token id whenever its wallet is rebuilt (a
 * restart of the agent or of the daemon), so revoking that token by id alone would not stick: the
 * checker also records the agent (`agent:<id>` lines), and an agent so recorded never gets spec
 * tokens again, in this run or after a restart.
 */
import { chmodSync, closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { BoundedCache } from "../core/index.js";

/** Token chains remembered for counting descendants (every spawned agent mints one token). */
export const TRACKED_CHAINS = 100_000;

const AGENT = "agent:";

export class RevocationList {
  private readonly revoked = new Set<string>();
  /** Agents whose spec authority was revoked (persisted as `agent:<id>` lines). */
  private readonly agents = new Set<string>();
  /** Token id -> its chain of block ids, for every token the authority minted or verified. */
  private readonly chains = new BoundedCache<string, readonly string[]>(TRACKED_CHAINS);
  private ep = 0;
  /** Called after every revocation (capability leases are cleared from here). */
  private readonly listeners: (() => void)[] = [];

  constructor(private readonly file?: string) {
    if (file !== undefined && existsSync(file)) {
      for (const raw of readFileSync(file, "utf8").split("\n")) {
        const line = raw.trim();
        if (line.startsWith(AGENT)) this.agents.add(line.slice(AGENT.length));
        else if (line !== "") this.revoked.add(line);
      }
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
    this.persist(id);
    this.revoked.add(id);
    this.ep++;
    for (const fn of this.listeners) fn();
    return Math.max(n, 1);
  }

  /** Records that `agent`'s spec authority is revoked, durably, before it counts. */
  revokeAgent(agent: string): void {
    if (this.agents.has(agent)) return;
    this.persist(AGENT + agent);
    this.agents.add(agent);
  }

  agentRevoked(agent: string): boolean {
    return this.agents.has(agent);
  }

  /** Appends one line and fsyncs it: a revocation acknowledged is a revocation that survives a crash. */
  private persist(line: string): void {
    if (this.file === undefined) return;
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const fd = openSync(this.file, "a", 0o600);
    try {
      writeSync(fd, line + "\n");
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(this.file, 0o600);
  }

  /** Known token ids whose chain includes `id` (the token and its descendants). */
  descendants(id: string): string[] {
    const out: string[] = [];
    for (const [tid, chain] of this.chains.entries()) if (chain.includes(id)) out.push(tid);
    return out;
  }
}
