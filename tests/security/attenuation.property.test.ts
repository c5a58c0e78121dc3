import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AiosError, SimulatedClock } from "../../src/core/index.js";
import { allows, covers, globCovers, globMatch, parseCapability } from "../../src/capability/index.js";
import { Identities, MemoryKeyStore, RevocationList, TokenAuthority } from "../../src/security/index.js";

// Small alphabets make containment and matching collide often enough to be interesting.
const seg = fc.constantFrom("a", "b", "ab", "*", "**", "?", "a*");
const glob = fc.array(seg, { minLength: 1, maxLength: 3 }).map((xs) => "r:/" + xs.join("/"));
const path = fc.array(fc.constantFrom("a", "b", "ab", "ba", "x"), { minLength: 1, maxLength: 4 }).map((xs) => "r:/" + xs.join("/"));
const actions = fc.subarray(["read", "write", "exec"], { minLength: 1 });
const constraint = fc.record({ max: fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }), rate: fc.option(fc.constantFrom("5/min", "10/min", "1/s", "100/h"), { nil: undefined }) });
const capStr = fc.tuple(glob, fc.oneof(actions, fc.constant(["*"])), constraint).map(([g, a, c]) => {
  const parts = [c.max === undefined ? undefined : `max=${c.max}`, c.rate === undefined ? undefined : `rate=${c.rate}`].filter((x) => x !== undefined);
  return `${g}#${a.join(",")}${parts.length > 0 ? `{${parts.join(",")}}` : ""}`;
});

describe("attenuation properties", () => {
  it("globCovers is sound: whatever the child matches, the parent matches", () => {
    fc.assert(
      fc.property(glob, glob, path, (p, c, x) => {
        if (globCovers(p, c) && globMatch(c, x)) expect(globMatch(p, x)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it("covers() never lets a child allow a request the parent refuses", () => {
    fc.assert(
      fc.property(capStr, capStr, path, fc.constantFrom("read", "write", "exec"), (ps, cs, resource, action) => {
        const p = parseCapability(ps);
        const c = parseCapability(cs);
        if (covers(p, c) && allows(c, { resource, action })) expect(allows(p, { resource, action })).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it("a delegated token's effective set is never wider than its parent's, whatever the child asks for", () => {
    const clock = new SimulatedClock();
    const authority = new TokenAuthority({ identities: new Identities(new MemoryKeyStore(), clock), revocations: new RevocationList(), clock, rootAlg: "ed25519" });
    const effective = (blocks: readonly (readonly ReturnType<typeof parseCapability>[])[], resource: string, action: string) =>
      blocks.every((b) => b.some((c) => allows(c, { resource, action })));
    fc.assert(
      fc.property(fc.array(capStr, { minLength: 1, maxLength: 3 }), fc.array(capStr, { minLength: 1, maxLength: 3 }), fc.array(fc.tuple(path, fc.constantFrom("read", "write", "exec")), { maxLength: 8 }), (parentCaps, childCaps, reqs) => {
        const parent = authority.mint({ holder: "ag_p", caps: parentCaps, scheme: "hmac", exp: clock.now() + 60_000 });
        let child;
        try {
          child = authority.delegate(parent, { holder: "ag_c", caps: childCaps });
        } catch (e) {
          expect(e).toBeInstanceOf(AiosError);
          expect((e as AiosError).details["reason"]).toBe("widened");
          return;
        }
        const pv = authority.verify(parent);
        const cv = authority.verify(child);
        for (const [resource, action] of reqs) {
          if (effective(cv.blocks, resource, action)) expect(effective(pv.blocks, resource, action)).toBe(true);
          // and the child's last block alone is covered too (the verifier re-checks attenuation)
          if (cv.blocks[1]!.some((c) => allows(c, { resource, action }))) expect(effective(pv.blocks, resource, action)).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });
});
