/**
 * Key material: Ed25519 key pairs (node:crypto), hybrid Ed25519 + ML-DSA-65 pairs (@noble/post-quantum)
 * and HMAC-SHA256 secrets. Owns generation, signing and verification. Invariants: a hybrid signature
 * verifies only when BOTH halves verify; private material never leaves a KeyRecord except through the
 * KeyStore that persists it (0600).
 */
import { createHash, createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, timingSafeEqual, verify, type KeyObject } from "node:crypto";
import { createRequire } from "node:module";
import type * as MlDsa from "@noble/post-quantum/ml-dsa.js";
import { randomHex } from "./random-pool.js";

// ML-DSA-65 is loaded on the first hybrid key generation, signature or verification, not at every
// boot (~30-40 CPU-ms; a restart verifies Ed25519 and HMAC tokens only). Synchronously, through
// require(esm), because signing is synchronous: @noble/post-quantum itself requires Node >= 20.19,
// where require() of an ES module is on by default.
let mlDsa: typeof MlDsa.ml_dsa65 | undefined;
const ml_dsa65 = (): typeof MlDsa.ml_dsa65 => (mlDsa ??= (createRequire(import.meta.url)("@noble/post-quantum/ml-dsa.js") as typeof MlDsa).ml_dsa65);

export type KeyAlg = "ed25519" | "hybrid" | "hmac";

/** The public half of a key, embedded in token blocks so a chain verifies on its own. */
export interface PublicKeyRef {
  readonly id: string;
  readonly alg: "ed25519" | "hybrid";
  /** Ed25519 SPKI DER, base64url. */
  readonly ed: string;
  /** ML-DSA-65 public key, base64url (hybrid only). */
  readonly pq?: string;
}

export interface KeyRecord {
  readonly id: string;
  readonly owner: string;
  readonly alg: KeyAlg;
  readonly createdAt: number;
  readonly status: "active" | "retired";
  readonly retiredAt?: number;
  /** ed25519/hybrid: SPKI DER; hmac: absent. base64url. */
  readonly edPublic?: string;
  /** ed25519/hybrid: PKCS8 DER; hmac: the secret. base64url. */
  readonly secret: string;
  readonly pqPublic?: string;
  readonly pqSecret?: string;
}

export interface Signature {
  readonly ed?: string;
  readonly pq?: string;
  readonly mac?: string;
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString("base64url");
const unb64 = (s: string): Buffer => Buffer.from(s, "base64url");

export function generateKey(owner: string, alg: KeyAlg, now: number): KeyRecord {
  if (alg === "hmac") {
    const secret = randomBytes(32);
    return { id: "k_" + createHash("sha256").update(secret).digest("hex").slice(0, 20), owner, alg, createdAt: now, status: "active", secret: b64(secret) };
  }
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const edPublic = publicKey.export({ type: "spki", format: "der" });
  const base = { owner, alg, createdAt: now, status: "active" as const, edPublic: b64(edPublic), secret: b64(privateKey.export({ type: "pkcs8", format: "der" })) };
  const idHash = createHash("sha256").update(edPublic);
  if (alg === "ed25519") return { id: "k_" + idHash.digest("hex").slice(0, 20), ...base };
  const pq = ml_dsa65().keygen(randomBytes(32));
  idHash.update(pq.publicKey);
  return { id: "k_" + idHash.digest("hex").slice(0, 20), ...base, pqPublic: b64(pq.publicKey), pqSecret: b64(pq.secretKey) };
}

/**
 * An Ed25519 key whose material is made the first time anything reads it (`edPublic`, `secret`, a
 * spread, JSON.stringify when the store writes it). An HMAC spec-grant block only names its holder's
 * key, so most agents never sign anything: generating and exporting a pair per spawned agent was a
 * tenth of a default-stack LLM run (ADR 0017). Its id cannot be the hash of a public half that does
 * not exist yet, so it is random (80 bits, as unique as the hash prefix); nothing derives an id back
 * from a key. The accessors are own and enumerable, so copies and the key file see the material.
 */
export function lazyEd25519Key(owner: string, now: number): KeyRecord {
  let made: { readonly edPublic: string; readonly secret: string } | undefined;
  const material = (): { readonly edPublic: string; readonly secret: string } => {
    if (made === undefined) {
      const { publicKey, privateKey } = generateKeyPairSync("ed25519");
      made = { edPublic: b64(publicKey.export({ type: "spki", format: "der" })), secret: b64(privateKey.export({ type: "pkcs8", format: "der" })) };
    }
    return made;
  };
  // Getters in the literal: own and enumerable as defineProperty made them (JSON, spreads read
  // them), without turning the record into a slow-mode object — one is made per spawned agent.
  return {
    id: "k_" + randomHex(10), owner, alg: "ed25519", createdAt: now, status: "active",
    get edPublic(): string {
      return material().edPublic;
    },
    get secret(): string {
      return material().secret;
    },
  };
}

export function publicRef(rec: KeyRecord): PublicKeyRef {
  if (rec.alg === "hmac" || rec.edPublic === undefined) throw new Error(`key ${rec.id} is symmetric and has no public half`);
  return rec.alg === "hybrid" && rec.pqPublic !== undefined
    ? { id: rec.id, alg: "hybrid", ed: rec.edPublic, pq: rec.pqPublic }
    : { id: rec.id, alg: "ed25519", ed: rec.edPublic };
}

// KeyObject parsing costs microseconds; keys are reused for every block they sign or verify.
const privCache = new Map<string, KeyObject>();
const pubCache = new Map<string, KeyObject>();

function privKey(rec: KeyRecord): KeyObject {
  let k = privCache.get(rec.secret);
  if (k === undefined) {
    k = createPrivateKey({ key: unb64(rec.secret), format: "der", type: "pkcs8" });
    if (privCache.size < 10_000) privCache.set(rec.secret, k);
  }
  return k;
}

function pubKey(ed: string): KeyObject {
  let k = pubCache.get(ed);
  if (k === undefined) {
    k = createPublicKey({ key: unb64(ed), format: "der", type: "spki" });
    if (pubCache.size < 10_000) pubCache.set(ed, k);
  }
  return k;
}

/** Signs with the record; `mode` "ed25519" uses only the Ed25519 half of a hybrid key. */
export function signWith(rec: KeyRecord, data: Uint8Array, mode: "ed25519" | "hybrid" = rec.alg === "hybrid" ? "hybrid" : "ed25519"): Signature {
  if (rec.alg === "hmac") throw new Error(`key ${rec.id} is an HMAC key; use macWith`);
  const ed = b64(sign(null, data, privKey(rec)));
  if (mode === "ed25519") return { ed };
  if (rec.pqSecret === undefined) throw new Error(`key ${rec.id} has no ML-DSA half for a hybrid signature`);
  return { ed, pq: b64(ml_dsa65().sign(data, unb64(rec.pqSecret))) };
}

/** Verifies a signature by a public key; hybrid requires both halves. Never throws. */
export function verifyWith(pub: PublicKeyRef, data: Uint8Array, sig: Signature, mode: "ed25519" | "hybrid"): boolean {
  try {
    if (sig.ed === undefined || !verify(null, data, pubKey(pub.ed), unb64(sig.ed))) return false;
    if (mode === "ed25519") return true;
    if (pub.pq === undefined || sig.pq === undefined) return false;
    return ml_dsa65().verify(unb64(sig.pq), data, unb64(pub.pq));
  } catch {
    return false;
  }
}

export function macWith(key: Uint8Array | string, data: Uint8Array): string {
  return createHmac("sha256", typeof key === "string" ? unb64(key) : key).update(data).digest("base64url");
}

export function macEqual(a: string, b: string): boolean {
  const x = unb64(a);
  const y = unb64(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export { b64, unb64 };
