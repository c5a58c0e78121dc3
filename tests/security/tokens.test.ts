import { describe, expect, it } from "vitest";
import { AiosError, SimulatedClock } from "../../src/core/index.js";
import { decodeToken, encodeToken, generateKey, Identities, MemoryKeyStore, NonceCache, proveHolder, publicRef, RevocationList, signWith, TokenAuthority, verifyPresentation, type Block, type Token } from "../../src/security/index.js";
import { signedBytes } from "../../src/security/token.js";

function setup(rootAlg: "hybrid" | "ed25519" = "ed25519") {
  const clock = new SimulatedClock();
  const identities = new Identities(new MemoryKeyStore(), clock);
  const revocations = new RevocationList();
  const authority = new TokenAuthority({ identities, revocations, clock, rootAlg });
  return { clock, identities, revocations, authority };
}

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(AiosError);
    const err = e as AiosError;
    const r = err.details["reason"] ?? err.details["path"];
    return `${err.code}:${typeof r === "string" ? r : ""}`;
  }
  throw new Error("expected a failure");
}

const HOUR = 3_600_000;

describe("capability tokens", () => {
  it.each(["hmac", "ed25519", "hybrid"] as const)("mints and verifies a %s token that survives encoding", (scheme) => {
    const { authority, clock } = setup("hybrid");
    const t = authority.mint({ holder: "ag_a", caps: ["file:/data/**#read"], scheme, exp: clock.now() + HOUR });
    const back = decodeToken(encodeToken(t));
    const v = authority.verify(back);
    expect(v.holder.agent).toBe("ag_a");
    expect(v.scheme).toBe(scheme);
    expect(v.blocks[0]?.[0]?.source).toBe("file:/data/**#read");
  });

  it.each(["hmac", "ed25519"] as const)("a %s spec token signed when first read verifies, also after its root key rotated", (scheme) => {
    const { authority, clock, identities } = setup();
    const v = authority.mintVerified({ holder: "ag_a", caps: ["tool:add#call"], scheme, exp: clock.now() + HOUR });
    // The signer is the root key of mint time: a rotation before the first read changes nothing.
    identities.rotate(scheme === "hmac" ? "kernel#hmac" : "kernel");
    const wire = encodeToken(v.token);
    expect(encodeToken(v.token)).toBe(wire); // signed once, then kept
    const back = authority.verify(decodeToken(wire));
    expect(back.id).toBe(v.id);
    expect(back.blocks).toEqual(v.blocks);
    // And delegation from it chains on that signature.
    const child = authority.delegate(v.token, { holder: "ag_b", caps: ["tool:add#call"] });
    expect(authority.verify(decodeToken(encodeToken(child))).chain).toEqual([v.id, child.blocks[1]?.block.id]);
  });

  it("rejects a tampered capability list (the signature covers it)", () => {
    const { authority, clock } = setup();
    for (const scheme of ["hmac", "ed25519"] as const) {
      const t = authority.mint({ holder: "ag_a", caps: ["file:/data/**#read"], scheme, exp: clock.now() + HOUR });
      const b = t.blocks[0]!;
      const tampered: Token = { blocks: [{ ...b, block: { ...b.block, caps: ["file:/**#read,write"] } }] };
      expect(reason(() => authority.verify(tampered))).toBe("E_AUTH:bad_signature");
    }
  });

  it("rejects a forged token signed by a key that is not a root key", () => {
    const { authority, clock } = setup();
    const real = authority.mint({ holder: "ag_a", caps: ["agent:*#spawn"], exp: clock.now() + HOUR });
    const attacker = generateKey("mallory", "ed25519", clock.now());
    const block: Block = { ...real.blocks[0]!.block, issuer: attacker.id, caps: ["**#*"] };
    const forged: Token = { blocks: [{ block, sig: signWith(attacker, signedBytes(block, undefined)) }] };
    expect(reason(() => authority.verify(forged))).toBe("E_AUTH:wrong_issuer");
    // Same issuer id as the real root, attacker's signature: the signature check fails.
    const block2: Block = { ...real.blocks[0]!.block, caps: ["**#*"] };
    const forged2: Token = { blocks: [{ block: block2, sig: signWith(attacker, signedBytes(block2, undefined)) }] };
    expect(reason(() => authority.verify(forged2))).toBe("E_AUTH:bad_signature");
  });

  it("requires both halves of a hybrid signature", () => {
    const { authority, clock } = setup("hybrid");
    const t = authority.mint({ holder: "ag_a", caps: ["llm:*#invoke"], scheme: "hybrid" });
    const b = t.blocks[0]!;
    expect(reason(() => authority.verify({ blocks: [{ block: b.block, sig: { ed: b.sig.ed! } }] }))).toBe("E_AUTH:bad_signature");
    const other = authority.mint({ holder: "ag_a", caps: ["llm:*#invoke"], scheme: "hybrid", exp: clock.now() + 1 });
    expect(reason(() => authority.verify({ blocks: [{ block: b.block, sig: { ed: b.sig.ed!, pq: other.blocks[0]!.sig.pq! } }] }))).toBe("E_AUTH:bad_signature");
    // Downgrading the block's declared scheme to skip ML-DSA changes the signed bytes.
    expect(reason(() => authority.verify({ blocks: [{ block: { ...b.block, alg: "ed25519" }, sig: b.sig }] }))).toMatch(/^E_AUTH:(bad_signature|long_lived)$/);
  });

  it("refuses long-lived Ed25519-only tokens but accepts them hybrid", () => {
    const { authority } = setup("hybrid");
    expect(reason(() => authority.mint({ holder: "ag_a", caps: ["x#y"], scheme: "ed25519" }))).toBe("E_AUTH:long_lived");
    expect(() => authority.mint({ holder: "ag_a", caps: ["x#y"], scheme: "hybrid" })).not.toThrow();
  });

  it("enforces not-before and expiry on the injected clock", () => {
    const { authority, clock } = setup();
    const t = authority.mint({ holder: "ag_a", caps: ["x#y"], nbf: clock.now() + 1000, exp: clock.now() + 5000 });
    expect(reason(() => authority.verify(t))).toBe("E_AUTH:not_yet_valid");
    clock.advance(1000);
    expect(authority.verify(t).id).toBe(t.blocks[0]!.block.id);
    clock.advance(4000);
    expect(reason(() => authority.verify(t))).toBe("E_AUTH:expired");
  });

  it("delegates only by attenuation: wider caps or later expiry are refused at mint time", () => {
    const { authority, clock } = setup();
    const root = authority.mint({ holder: "ag_a", caps: ["file:/data/**#read", "agent#spawn{max=5}"], exp: clock.now() + HOUR });
    const child = authority.delegate(root, { holder: "ag_b", caps: ["file:/data/reports/*#read", "agent#spawn{max=2}"] });
    expect(authority.verify(child).blocks).toHaveLength(2);
    expect(reason(() => authority.delegate(root, { holder: "ag_b", caps: ["file:/**#read"] }))).toBe("E_AUTH:widened");
    expect(reason(() => authority.delegate(root, { holder: "ag_b", caps: ["file:/data/**#read,write"] }))).toBe("E_AUTH:widened");
    expect(reason(() => authority.delegate(root, { holder: "ag_b", caps: ["agent#spawn"] }))).toBe("E_AUTH:widened");
    expect(reason(() => authority.delegate(root, { holder: "ag_b", caps: ["agent#spawn{max=6}"] }))).toBe("E_AUTH:widened");
    expect(reason(() => authority.delegate(root, { holder: "ag_b", caps: ["file:/data/x#read"], exp: clock.now() + 2 * HOUR }))).toBe("E_AUTH:widened");
  });

  it("rejects a widened block at verification time even when correctly signed by the holder", () => {
    const { authority, identities, clock } = setup();
    const root = authority.mint({ holder: "ag_a", caps: ["file:/data/**#read"], exp: clock.now() + HOUR });
    const holderKey = identities.current("ag_a")!;
    const bKey = identities.ensure("ag_b");
    const prev = root.blocks[0]!;
    const block: Block = {
      v: 1, id: "cap_widened0001", parent: prev.block.id, issuer: holderKey.id,
      holder: { agent: "ag_b", keyId: bKey.id, key: publicRef(bKey) }, caps: ["file:/**#read,write"],
      iat: clock.now(), exp: clock.now() + HOUR, nonce: "nonce-widened", alg: "ed25519",
    };
    const widened: Token = { blocks: [prev, { block, sig: signWith(holderKey, signedBytes(block, prev.sig)) }] };
    expect(reason(() => authority.verify(widened))).toBe("E_AUTH:widened");
  });

  it("refuses a block signed by someone other than the previous holder, and spliced blocks", () => {
    const { authority, identities, clock } = setup();
    const root = authority.mint({ holder: "ag_a", caps: ["x:**#y"], exp: clock.now() + HOUR });
    const c = identities.ensure("ag_c");
    const prev = root.blocks[0]!;
    const block: Block = {
      v: 1, id: "cap_notholder01", parent: prev.block.id, issuer: c.id, holder: { agent: "ag_c", keyId: c.id, key: publicRef(c) },
      caps: ["x:1#y"], iat: clock.now(), exp: clock.now() + HOUR, nonce: "nonce-notholder", alg: "ed25519",
    };
    expect(reason(() => authority.verify({ blocks: [prev, { block, sig: signWith(c, signedBytes(block, prev.sig)) }] }))).toBe("E_AUTH:wrong_issuer");
    // A valid delegation block moved onto another root token of the same holder does not verify.
    const other = authority.mint({ holder: "ag_a", caps: ["x:**#y"], exp: clock.now() + HOUR });
    const child = authority.delegate(root, { holder: "ag_b", caps: ["x:1#y"] });
    const spliced = { blocks: [other.blocks[0]!, { ...child.blocks[1]!, block: { ...child.blocks[1]!.block, parent: other.blocks[0]!.block.id } }] };
    expect(reason(() => authority.verify(spliced))).toBe("E_AUTH:bad_signature");
  });

  it("revocation cascades to every token delegated from the revoked one", () => {
    const { authority, revocations, clock } = setup();
    const root = authority.mint({ holder: "ag_a", caps: ["x:**#y"], exp: clock.now() + HOUR });
    const b = authority.delegate(root, { holder: "ag_b", caps: ["x:1/**#y"] });
    const c = authority.delegate(b, { holder: "ag_c", caps: ["x:1/2#y"] });
    const sibling = authority.delegate(root, { holder: "ag_d", caps: ["x:9#y"] });
    expect(revocations.revoke(b.blocks[1]!.block.id)).toBe(2);
    expect(reason(() => authority.verify(b))).toBe("E_AUTH:revoked");
    expect(reason(() => authority.verify(c))).toBe("E_AUTH:revoked");
    expect(authority.verify(sibling).id).toBe(sibling.blocks[1]!.block.id);
    expect(authority.verify(root).id).toBe(root.blocks[0]!.block.id);
    expect(revocations.revoke(b.blocks[1]!.block.id)).toBe(0);
  });

  it("binds a presentation to the holder key and refuses replayed nonces and stale proofs", () => {
    const { authority, identities, clock } = setup();
    const t = authority.mint({ holder: "ag_a", caps: ["x#y"], exp: clock.now() + HOUR });
    const nonces = new NonceCache(60_000);
    const opts = () => ({ nonces, skewMs: 30_000, now: clock.now() });
    const proof = proveHolder(t, identities.current("ag_a")!, clock.now());
    expect(verifyPresentation(authority, t, proof, opts()).holder.agent).toBe("ag_a");
    expect(reason(() => verifyPresentation(authority, t, proof, opts()))).toBe("E_AUTH:replay");
    const thief = identities.ensure("ag_thief");
    expect(reason(() => verifyPresentation(authority, t, proveHolder(t, thief, clock.now()), opts()))).toBe("E_AUTH:bad_proof");
    const forgedKeyId = { ...proveHolder(t, thief, clock.now()), keyId: identities.current("ag_a")!.id };
    expect(reason(() => verifyPresentation(authority, t, forgedKeyId, opts()))).toBe("E_AUTH:bad_proof");
    const old = proveHolder(t, identities.current("ag_a")!, clock.now());
    clock.advance(31_000);
    expect(reason(() => verifyPresentation(authority, t, old, opts()))).toBe("E_AUTH:replay");
  });

  it("answers malformed input with E_INVALID_ARG naming the field", () => {
    const { authority } = setup();
    expect(reason(() => decodeToken("garbage"))).toBe("E_INVALID_ARG:token");
    expect(reason(() => decodeToken("aios1.!!!"))).toBe("E_INVALID_ARG:token");
    const bad = "aios1." + Buffer.from(JSON.stringify({ blocks: [{ block: { v: 1 }, sig: {} }] })).toString("base64url");
    expect(reason(() => decodeToken(bad))).toMatch(/^E_INVALID_ARG:token\.blocks\.0\.block/);
    expect(reason(() => authority.mint({ holder: "a", caps: ["no-hash-here"] }))).toBe("E_INVALID_ARG:caps[0]");
    expect(reason(() => authority.mint({ holder: "a", caps: ["x#y{rate=fast}"], scheme: "hmac" }))).toBe("E_INVALID_ARG:caps[0]");
  });
});
