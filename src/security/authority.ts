/**
 * The token authority mints, delegates and verifies capability tokens. Invariants:
 * - block 0 is signed by a kernel root key (active or retired: retired keys still verify);
 * - block i is signed by block i-1's holder key, with the scheme that key supports;
 * - a block never claims more than its parent: each capability is covered by a parent capability,
 *   nbf is not earlier and exp not later — refused when minting AND when verifying;
 * - non-HMAC blocks that live longer than `longLivedMs` (or forever) must be hybrid signed;
 * - the effective capability set is the intersection along the chain (checked per request).
 * Failures are AiosError E_AUTH with `details.reason` (bad_signature, expired, not_yet_valid, widened,
 * revoked, wrong_issuer, long_lived, replay) or E_INVALID_ARG for malformed input.
 */
import { AiosError, type Clock } from "../core/index.js";
import { coveredBy, parseCapability, type Capability } from "../capability/index.js";
import { macEqual, macWith, publicRef, signWith, verifyWith, type KeyRecord, type PublicKeyRef, type Signature } from "./keys.js";
import type { Identities } from "./keystore.js";
import { randomBase64url } from "./random-pool.js";
import type { RevocationList } from "./revocation.js";
import { signedBytes, tokenId, type Block, type Holder, type Scheme, type SignedBlock, type Token } from "./token.js";

export interface VerifiedToken {
  readonly id: string;
  readonly chain: readonly string[];
  readonly holder: Holder;
  /** Capabilities per block; a request is allowed only when every block allows it. */
  readonly blocks: readonly (readonly Capability[])[];
  readonly nbf: number;
  readonly exp: number;
  readonly scheme: Scheme;
  readonly token: Token;
}

export interface AuthorityOptions {
  readonly identities: Identities;
  readonly revocations: RevocationList;
  readonly clock: Clock;
  /** Owner name of the root keys (default "kernel"). */
  readonly rootOwner?: string;
  /** Root signing key algorithm (default hybrid: Ed25519 + ML-DSA-65). */
  readonly rootAlg?: "ed25519" | "hybrid";
  /** Lifetime above which Ed25519-only blocks are refused (default 30 days). */
  readonly longLivedMs?: number;
}

export interface MintOptions {
  readonly holder: string;
  readonly caps: readonly string[];
  readonly scheme?: Scheme;
  readonly nbf?: number;
  readonly exp?: number;
}

export const authError = (reason: string, message: string): AiosError => new AiosError("E_AUTH", message, { details: { reason } });

export class TokenAuthority {
  readonly rootOwner: string;
  private readonly longLivedMs: number;

  constructor(private readonly o: AuthorityOptions) {
    this.rootOwner = o.rootOwner ?? "kernel";
    this.longLivedMs = o.longLivedMs ?? 30 * 86_400_000;
    o.identities.ensure(this.rootOwner, o.rootAlg ?? "hybrid");
    o.identities.ensure(this.rootOwner + "#hmac", "hmac");
  }

  get identities(): Identities {
    return this.o.identities;
  }
  get revocations(): RevocationList {
    return this.o.revocations;
  }

  /** A root token for `holder`, signed by the kernel root key. */
  mint(m: MintOptions): Token {
    return this.mintParsed(m).token;
  }

  /**
   * mint(), returned as verify() would return it. The token was signed here a moment ago by a root
   * key, over capabilities parsed from these very strings, so verifying it again would only redo
   * the mint (a second canonical encoding, MAC and parse: a third of a spec grant's cost). Falls
   * back to verify() when the token is not valid at `now` (an nbf in the future, an exp passed),
   * so the result is always what verify() says.
   */
  mintVerified(m: MintOptions, now = this.o.clock.now()): VerifiedToken {
    const { token, caps } = this.mintParsed(m);
    const b = (token.blocks[0] as SignedBlock).block;
    const nbf = b.nbf ?? -Infinity;
    const exp = b.exp ?? Infinity;
    if (now < nbf || now >= exp) return this.verify(token, now);
    return { id: b.id, chain: [b.id], holder: b.holder, blocks: [caps], nbf, exp, scheme: b.alg, token };
  }

  private mintParsed(m: MintOptions): { token: Token; caps: Capability[] } {
    const scheme = m.scheme ?? "ed25519";
    const parsed = m.caps.map((c, i) => parseCapability(c, `caps[${i}]`));
    const caps = parsed.map((c) => c.source);
    const signer = this.o.identities.ensure(scheme === "hmac" ? this.rootOwner + "#hmac" : this.rootOwner);
    const block = this.block(undefined, signer.id, m.holder, caps, scheme, m.nbf, m.exp);
    const t: Token = { blocks: [signedOnRead(block, () => (scheme === "hmac" ? { mac: macWith(signer.secret, signedBytes(block, undefined)) } : signWith(signer, signedBytes(block, undefined), scheme)))] };
    this.o.revocations.track(block.id, [block.id]);
    return { token: t, caps: parsed };
  }

  /** Delegates from `parent` (held by its holder's active or retired key) to another agent, attenuated. */
  delegate(parent: Token, d: { holder: string; caps: readonly string[]; nbf?: number; exp?: number }): Token {
    return this.delegateVerified(this.verify(parent), d).token;
  }

  /**
   * delegate() from a parent verify() already returned (a wallet's token, re-checked for revocation
   * and time by its holder), returned as verify() would return the new token: the new block was
   * signed here a moment ago over capabilities checked against the parent's, so verifying the whole
   * chain again would only redo this work (spawn-time delegation of a child's spec tokens).
   */
  delegateVerified(pv: VerifiedToken, d: { holder: string; caps: readonly string[]; nbf?: number; exp?: number }): VerifiedToken {
    if (this.o.revocations.firstRevoked(pv.chain) !== undefined) throw authError("revoked", `token ${pv.id} is revoked`);
    const parent = pv.token;
    const signer = this.o.identities.store.get(pv.holder.keyId);
    if (signer === undefined) throw authError("wrong_issuer", `no private key for holder key ${pv.holder.keyId}`);
    // A retired key still proves what it signed, but signs nothing new (rotation means "stop using it").
    if (signer.status === "retired") throw authError("retired_key", `holder key ${signer.id} of token ${pv.id} is retired; delegate from a token bound to the current key`);
    const parentCaps = pv.blocks[pv.blocks.length - 1] ?? [];
    const parsed = d.caps.map((c, i) => {
      const cap = parseCapability(c, `caps[${i}]`);
      if (!coveredBy(parentCaps, cap)) throw authError("widened", `caps[${i}] "${cap.source}" is not covered by token ${pv.id}; delegation may only attenuate`);
      return cap;
    });
    const caps = parsed.map((c) => c.source);
    const nbf = Math.max(d.nbf ?? pv.nbf, pv.nbf);
    if (d.exp !== undefined && d.exp > pv.exp) throw authError("widened", `exp ${d.exp} is later than the parent's ${pv.exp}`);
    const exp = d.exp ?? (Number.isFinite(pv.exp) ? pv.exp : undefined);
    const scheme: Scheme = pv.scheme === "hmac" ? "hmac" : signer.alg === "hybrid" ? "hybrid" : "ed25519";
    const last = parent.blocks[parent.blocks.length - 1] as SignedBlock;
    const block = this.block(last.block.id, signer.id, d.holder, caps, scheme, nbf > 0 ? nbf : undefined, exp);
    const bytes = signedBytes(block, last.sig);
    const sig: Signature = scheme === "hmac" ? { mac: macWith(requireMac(last.sig), bytes) } : signWith(signer, bytes, scheme);
    const t: Token = { blocks: [...parent.blocks, { block, sig }] };
    const chain = [...pv.chain, block.id];
    this.o.revocations.track(block.id, chain);
    return { id: block.id, chain, holder: block.holder, blocks: [...pv.blocks, parsed], nbf: Math.max(pv.nbf, block.nbf ?? -Infinity), exp: Math.min(pv.exp, block.exp ?? Infinity), scheme: block.alg, token: t };
  }

  private block(parent: string | undefined, issuer: string, holderAgent: string, caps: readonly string[], alg: Scheme, nbf?: number, exp?: number): Block {
    // An HMAC block never leaves this process and its key is only named (the MAC chains on the
    // parent's MAC), so the holder's key may stay in memory; a public-key block embeds it: on disk.
    const holderKey = this.o.identities.ensure(holderAgent, "ed25519", { volatile: alg === "hmac" });
    const iat = this.o.clock.now();
    const holder: Holder = alg === "hmac" ? { agent: holderAgent, keyId: holderKey.id } : { agent: holderAgent, keyId: holderKey.id, key: publicRef(holderKey) };
    // The id and the nonce are 12 random bytes each, drawn as one 24 (16 base64url characters each).
    const random = randomBase64url(24);
    const id = "cap_" + random.slice(0, 16);
    const nonce = random.slice(16);
    // A spec grant's root block (no parent, no nbf, an exp) is one literal: optional spreads in a
    // literal take a slow generic path, and one is minted per spawned agent. Same fields, same order.
    const block: Block = parent === undefined && nbf === undefined && exp !== undefined
      ? { v: 1, id, issuer, holder, caps: [...caps], iat, exp, nonce, alg }
      : {
        v: 1,
        id,
        ...(parent === undefined ? {} : { parent }),
        issuer,
        holder,
        caps: [...caps],
        iat,
        ...(nbf === undefined ? {} : { nbf }),
        ...(exp === undefined ? {} : { exp }),
        nonce,
        alg,
      };
    this.checkLifetime(block);
    return block;
  }

  private checkLifetime(b: Block): void {
    if (b.alg !== "ed25519") return;
    if (b.exp === undefined || b.exp - b.iat > this.longLivedMs) {
      throw authError("long_lived", `block ${b.id} lives longer than ${this.longLivedMs} ms and must be hybrid signed (Ed25519 + ML-DSA-65)`);
    }
  }

  /** Verifies signatures, issuers, attenuation, time window and revocation. Cold path. */
  verify(t: Token, now = this.o.clock.now()): VerifiedToken {
    const blocks: Capability[][] = [];
    const chain: string[] = [];
    let nbf = -Infinity;
    let exp = Infinity;
    let prev: SignedBlock | undefined;
    let prevMac: string | undefined;
    for (const [i, sb] of t.blocks.entries()) {
      const b = sb.block;
      const where = `block ${i} (${b.id})`;
      if (prev !== undefined && (b.parent !== prev.block.id || b.issuer !== prev.block.holder.keyId)) {
        throw authError("wrong_issuer", `${where} is not issued by the holder of block ${i - 1}`);
      }
      if (prev !== undefined && prev.block.alg === "hmac" !== (b.alg === "hmac")) throw authError("bad_signature", `${where} mixes HMAC and public-key schemes`);
      const bytes = signedBytes(b, prev?.sig);
      if (b.alg === "hmac") {
        const key = prev === undefined ? this.rootKey(b.issuer, "hmac").secret : prevMac;
        if (key === undefined || sb.sig.mac === undefined || !macEqual(macWith(key, bytes), sb.sig.mac)) throw authError("bad_signature", `${where}: HMAC does not verify`);
        prevMac = sb.sig.mac;
      } else {
        const pub: PublicKeyRef | undefined = prev === undefined ? publicRef(this.rootKey(b.issuer, b.alg)) : prev.block.holder.key;
        if (pub === undefined || pub.id !== b.issuer) throw authError("wrong_issuer", `${where}: signer key ${b.issuer} unknown`);
        if (b.alg === "hybrid" && pub.alg !== "hybrid") throw authError("bad_signature", `${where}: hybrid block signed by a non-hybrid key`);
        if (!verifyWith(pub, bytes, sb.sig, b.alg)) throw authError("bad_signature", `${where}: ${b.alg} signature does not verify`);
        this.checkLifetime(b);
      }
      const caps = b.caps.map((c, j) => parseCapability(c, `blocks[${i}].caps[${j}]`));
      const parentCaps = blocks[blocks.length - 1];
      if (parentCaps !== undefined) {
        const wide = caps.find((c) => !coveredBy(parentCaps, c));
        if (wide !== undefined) throw authError("widened", `${where} claims "${wide.source}", wider than its parent`);
        if ((b.exp ?? Infinity) > exp || (b.nbf ?? -Infinity) < nbf) throw authError("widened", `${where} widens the validity window of its parent`);
      }
      nbf = Math.max(nbf, b.nbf ?? -Infinity);
      exp = Math.min(exp, b.exp ?? Infinity);
      blocks.push(caps);
      chain.push(b.id);
      prev = sb;
    }
    const last = prev as SignedBlock;
    if (now < nbf) throw authError("not_yet_valid", `token ${last.block.id} is not valid before ${new Date(nbf).toISOString()}`);
    if (now >= exp) throw authError("expired", `token ${last.block.id} expired at ${new Date(exp).toISOString()}`);
    const revoked = this.o.revocations.firstRevoked(chain);
    if (revoked !== undefined) throw authError("revoked", `token ${last.block.id} is revoked (block ${revoked})`);
    this.o.revocations.track(tokenId(t), chain);
    return { id: last.block.id, chain, holder: last.block.holder, blocks, nbf, exp, scheme: last.block.alg, token: t };
  }

  private rootKey(id: string, alg: Scheme): KeyRecord {
    const k = this.o.identities.store.get(id);
    const owner = alg === "hmac" ? this.rootOwner + "#hmac" : this.rootOwner;
    if (k === undefined || k.owner !== owner) throw authError("wrong_issuer", `block 0 is signed by ${id}, which is not a root key`);
    return k;
  }
}

/**
 * A root block whose signature is computed when first read (then kept). Signing is deterministic
 * over the block's bytes with the key chosen at mint time (HMAC, Ed25519; an ML-DSA half is valid
 * whenever made), so the token is the same as one signed at once — but a spec token that never
 * leaves the process (never encoded, never delegated from) costs no MAC: the kernel minted it and
 * trusts it as verified (mintVerified), and only a reader of its wire form needs the signature.
 */
function signedOnRead(block: Block, sign: () => Signature): SignedBlock {
  let sig: Signature | undefined;
  return {
    block,
    get sig(): Signature {
      return (sig ??= sign());
    },
  };
}

function requireMac(sig: Signature): string {
  if (sig.mac === undefined) throw authError("bad_signature", "HMAC chain block lacks a MAC");
  return sig.mac;
}
