/**
 * The lease epoch (CapabilityChecker.leaseEpoch) lets ctx.send skip reading its lease while the
 * epoch it last saw the lease valid at stands. That is sound only if no lease can stop holding
 * without the epoch moving: for any sequence of leases taken, replaced, cleared and expired across
 * wallets, a holder whose epoch is current always holds a valid lease. The kernel-level equivalence
 * of the fast path with the full door is tests/security/send-fast-path.property.test.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Epoch, Lease, WalletLeases } from "../../src/security/leases.js";

type Op =
  | { readonly op: "put"; readonly w: number; readonly key: number; readonly until: number }
  | { readonly op: "clear"; readonly w: number }
  | { readonly op: "expire"; readonly w: number; readonly t: number };

const W = 3;
/** More keys than a wallet keeps (16), so a put also clears a full wallet. */
const KEYS = 20;
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("put" as const), w: fc.nat(W - 1), key: fc.nat(KEYS - 1), until: fc.integer({ min: 1, max: 100 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("clear" as const), w: fc.nat(W - 1) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("expire" as const), w: fc.nat(W - 1), t: fc.integer({ min: 0, max: 100 }) }) },
);

describe("lease epoch", () => {
  it("a holder that saw its lease valid at the current epoch still holds a valid lease", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 120 }), (ops) => {
        const epoch = new Epoch();
        const wallets = Array.from({ length: W }, () => new WalletLeases(epoch));
        // Holders as ctx.send keeps them: the lease and the epoch it was last seen valid at.
        const held: { lease: Lease; seen: number }[] = [];
        for (const o of ops) {
          const w = wallets[o.w] as WalletLeases;
          if (o.op === "put") {
            const l = new Lease({ allowed: true, by: { kind: "spec", capability: "agent:*#send" } }, o.until);
            w.put(`k${o.key}`, l);
            held.push({ lease: l, seen: epoch.n });
          } else if (o.op === "clear") w.clear();
          else w.expire(o.t);
          for (const h of held) {
            if (h.seen === epoch.n) expect(h.lease.valid).toBe(true);
            // What ctx.send does when the epoch moved: a lease still valid is seen again.
            else if (h.lease.valid) h.seen = epoch.n;
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it("moves on every clearing and never when nothing was cleared", () => {
    const epoch = new Epoch();
    const w = new WalletLeases(epoch);
    w.clear();
    expect(w.expire(50)).toBe(Infinity);
    expect(epoch.n).toBe(0);
    w.put("a", new Lease({ allowed: true, by: { kind: "spec", capability: "agent:*#send" } }, 10));
    w.put("b", new Lease({ allowed: true, by: { kind: "spec", capability: "agent:*#send" } }, 30));
    expect(epoch.n).toBe(0);
    expect(w.expire(20)).toBe(30);
    expect(epoch.n).toBe(1);
    w.put("b", new Lease({ allowed: true, by: { kind: "spec", capability: "agent:*#send" } }, 40));
    expect(epoch.n).toBe(2);
    w.clear();
    expect(epoch.n).toBe(3);
  });
});
