/**
 * Issue #17 item 1: every cache and table that traffic fills is bounded, by design and by test.
 * Each test drives far more traffic than the bound (distinct targets, tokens, messages) through the
 * real component and reads its size.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BoundedCache, SimulatedClock, type AgentId } from "../../src/core/index.js";
import type { AgentContext, AgentLogic } from "../../src/abi/index.js";
import { boot } from "../../src/index.js";
import { Identities, MemoryKeyStore, RevocationList, TokenAuthority, TokenCapabilityChecker, TRACKED_CHAINS, WALLET_CACHE_ENTRIES } from "../../src/security/index.js";

describe("bounded caches", () => {
  it("BoundedCache never holds more than its capacity and keeps what is in use", () => {
    const c = new BoundedCache<number, number>(1000);
    for (let i = 0; i < 100_000; i++) {
      c.set(i, i);
      expect(c.get(0)).toBe(0); // used on every step: never evicted
      if (i % 997 === 0) expect(c.size).toBeLessThanOrEqual(1000);
    }
    expect(c.size).toBeLessThanOrEqual(1000);
    expect(c.get(99_999)).toBe(99_999);
    expect(c.evicted).toBeGreaterThan(90_000);
  });

  it("a wallet's decisions stay bounded when one agent is checked against 20,000 distinct targets", () => {
    const clock = new SimulatedClock(1_000_000);
    const authority = new TokenAuthority({ identities: new Identities(new MemoryKeyStore(), clock), revocations: new RevocationList(), clock });
    const checker = new TokenCapabilityChecker({ authority, clock });
    const caller = { agent: "ag_sender" as AgentId, name: "sender", capabilities: ["agent:ag_*#send"] };
    for (let i = 0; i < 20_000; i++) expect(checker.check(caller, { resource: `agent:ag_${i}`, action: "send" }).allowed).toBe(true);
    // Before the bound the cache grew by one entry per distinct target (up to 4,096, then cleared).
    expect(checker.cacheStats()).toEqual({ wallets: 1, decisions: expect.any(Number) as number });
    expect(checker.cacheStats().decisions).toBeLessThanOrEqual(WALLET_CACHE_ENTRIES);
  });

  it("token chains tracked for revocation counts stay bounded as agents come and go", () => {
    const clock = new SimulatedClock(1_000_000);
    const revocations = new RevocationList();
    const authority = new TokenAuthority({ identities: new Identities(new MemoryKeyStore(), clock), revocations, clock });
    for (let i = 0; i < TRACKED_CHAINS + 20_000; i++) revocations.track(`tok_${i}`, [`cap_${i}`]);
    expect(revocations.tracked).toBeLessThanOrEqual(TRACKED_CHAINS);
    // The newest are the ones kept: a fresh token's descendants are still found.
    const t = authority.mint({ holder: "ag_x", caps: ["agent:*#send"], scheme: "hmac", exp: clock.now() + 1000 });
    const id = t.blocks[0]?.block.id ?? "";
    expect(revocations.descendants(id).length).toBeGreaterThanOrEqual(1);
  });
});

describe("the default stack under message traffic", () => {
  it("200 agents, 200,000 messages to random peers: capability decisions, audit entries and tallies do not grow per message", async () => {
    const dir = mkdtempSync(join(tmpdir(), "aios-leak-"));
    const os = await boot({ dataDir: dir, subsystems: { embedder: false, memory: false, mcp: false } });
    try {
      const N = 200;
      const TOTAL = 200_000;
      const ids: AgentId[] = [];
      let delivered = 0;
      let seed = 7;
      let done!: () => void;
      const finished = new Promise<void>((r) => (done = r));
      const logic: AgentLogic<number> = {
        init: (_c, a) => a as number,
        receive: (self, _m, ctx: AgentContext) => {
          if (++delivered === TOTAL) done();
          if (delivered < TOTAL) {
            seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
            void ctx.send(ids[(seed >>> 0) % N] as AgentId, 1);
          }
          return self;
        },
      };
      for (let i = 0; i < N; i++) ids.push(await os.spawn({ name: `p${i}`, kind: "code", ephemeral: true, logic, args: i, capabilities: ["agent:*#send"] }));
      const before = os.audit.size;
      for (let i = 0; i < 20; i++) await os.send(ids[i] as AgentId, 1);
      await finished;
      os.audit.drain();
      const checker = os.caps.checker;
      const stats = checker.cacheStats();
      // One lease (and its decision) per agent, not one decision per target or per message.
      expect(stats.decisions).toBeLessThanOrEqual(N * 2);
      // Allowed sends are aggregated: a packed entry per interval (ADR 0034), not one per message or per agent.
      const written = os.audit.size - before;
      expect(written).toBeLessThan(TOTAL / 20);
      const aggregates = os.audit.entries({ fromSeq: before + 1, limit: 100_000 }).filter((e) => e.kind === "aggregate");
      const counted = aggregates.reduce((n, e) => n + Number(e.data["count"]), 0);
      // Every allowed send is counted: the 200,000 receives less the 20 sent from outside, give or take the last ones in flight.
      expect(counted).toBeGreaterThanOrEqual(TOTAL - 20 - N);
      expect(counted).toBeLessThanOrEqual(TOTAL);
    } finally {
      await os.shutdown();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
