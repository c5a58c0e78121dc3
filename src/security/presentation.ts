/**
 * Proof of possession: a token is bound to its holder's key, so presenting it (from outside the
 * kernel: API, CLI, another node) also needs a signature by that key over the token id, a fresh nonce
 * and a timestamp. The NonceCache remembers nonces for twice the allowed clock skew, so a captured
 * presentation cannot be replayed; anything older than the skew is refused outright.
 */
import { randomBytes } from "node:crypto";
import { AiosError } from "../core/index.js";
import { authError, type TokenAuthority, type VerifiedToken } from "./authority.js";
import { publicRef, signWith, verifyWith, type KeyRecord, type Signature } from "./keys.js";
import { tokenId, type Token } from "./token.js";

export interface Proof {
  readonly tokenId: string;
  readonly keyId: string;
  readonly nonce: string;
  readonly ts: number;
  readonly sig: Signature;
}

function proofBytes(p: Omit<Proof, "sig">): Uint8Array {
  return Buffer.from(`aios-pop-v1\n${p.tokenId}\n${p.keyId}\n${p.nonce}\n${p.ts}`);
}

/** Signs a presentation of `token` with the holder's private key. */
export function proveHolder(token: Token, key: KeyRecord, now: number, nonce = randomBytes(16).toString("base64url")): Proof {
  if (key.alg === "hmac") throw new AiosError("E_INVALID_ARG", "key: a holder proof needs an Ed25519 or hybrid key", { details: { path: "key" } });
  const body = { tokenId: tokenId(token), keyId: key.id, nonce, ts: now };
  return { ...body, sig: signWith(key, proofBytes(body), "ed25519") };
}

export class NonceCache {
  private readonly seen = new Map<string, number>();
  constructor(private readonly ttlMs: number) {}

  /** Records the nonce; false when it was already seen within the window (a replay). */
  add(nonce: string, now: number): boolean {
    if (this.seen.size > 10_000) for (const [n, at] of this.seen) if (now - at > this.ttlMs) this.seen.delete(n);
    const at = this.seen.get(nonce);
    if (at !== undefined && now - at <= this.ttlMs) return false;
    this.seen.set(nonce, now);
    return true;
  }
}

export interface PresentationOptions {
  readonly nonces: NonceCache;
  readonly skewMs: number;
  readonly now: number;
}

/** Verifies the token and that the presenter holds its key, exactly once per nonce. */
export function verifyPresentation(authority: TokenAuthority, token: Token, proof: Proof, o: PresentationOptions): VerifiedToken {
  const v = authority.verify(token, o.now);
  if (proof.tokenId !== v.id) throw authError("bad_proof", `proof is for token ${proof.tokenId}, not ${v.id}`);
  if (proof.keyId !== v.holder.keyId) throw authError("bad_proof", `token ${v.id} is bound to key ${v.holder.keyId}, proof signed by ${proof.keyId}`);
  const pub = v.holder.key ?? lookup(authority, v.holder.keyId);
  if (pub === undefined || !verifyWith(pub, proofBytes(proof), proof.sig, "ed25519")) throw authError("bad_proof", `proof of possession for token ${v.id} does not verify`);
  if (Math.abs(o.now - proof.ts) > o.skewMs) throw authError("replay", `proof timestamp is ${o.now - proof.ts} ms off (allowed ${o.skewMs})`);
  if (!o.nonces.add(proof.nonce, o.now)) throw authError("replay", `proof nonce ${proof.nonce} was already used`);
  return v;
}

function lookup(authority: TokenAuthority, keyId: string): ReturnType<typeof publicRef> | undefined {
  const rec = authority.identities.store.get(keyId);
  return rec === undefined || rec.alg === "hmac" ? undefined : publicRef(rec);
}
