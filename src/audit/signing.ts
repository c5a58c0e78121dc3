/**
 * Signed checkpoints. A checkpoint is a tree head (size, Merkle root) plus the chain hash at that
 * size, signed with Ed25519 over a domain-separated canonical encoding. The key is injected: the
 * security module owns identities, and audit/ (its sibling) only needs "sign these bytes" and
 * "does this signature verify", so it takes a KeyObject or a signer/verifier pair and never reads
 * key files of its own.
 */
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { createHash, createPublicKey, sign as cryptoSign, verify as cryptoVerify, type KeyObject } from "node:crypto";
import { z } from "zod";
import { AiosError } from "../core/index.js";
import { canonicalize } from "./canonical.js";

export interface CheckpointSigner {
  /** Names the key in each checkpoint, so a verifier can tell "wrong key" from "bad signature". */
  readonly keyId: string;
  sign(data: Uint8Array): Uint8Array;
  /** SPKI PEM of the public key, pinned beside the log when it is created (optional). */
  readonly publicKeyPem?: string;
}

export interface CheckpointVerifier {
  verify(data: Uint8Array, signature: Uint8Array, keyId: string): boolean;
  /** The key id(s) this verifier expects, comma-separated (to tell a wrong key from a forged signature). */
  readonly keyId?: string;
  /** Whether a checkpoint naming this key id is one this verifier holds a key for. */
  knows?(keyId: string): boolean;
}

export const checkpointSchema = z.object({
  size: z.number().int().positive(),
  chain: z.string().regex(/^[0-9a-f]{64}$/),
  root: z.string().regex(/^[0-9a-f]{64}$/),
  ts: z.number().int(),
  keyId: z.string().min(1),
  /** The checkpoint interval the writer was created with: signed, so the metadata row is not trusted. */
  every: z.number().int().positive().optional(),
  /**
   * "seal": signed at close over every entry (nothing may follow it but an "open" at the same size);
   * "open": signed when the log is reopened, before anything new is appended.
   */
  event: z.enum(["seal", "open"]).optional(),
  sig: z.string().min(1),
});
export type Checkpoint = z.infer<typeof checkpointSchema>;

const DOMAIN = "aios-audit-checkpoint/v1\n";

/** The bytes a checkpoint's signature covers: everything but the signature itself. */
export function checkpointSigningBytes(cp: Omit<Checkpoint, "sig">): Buffer {
  // Fields added later are signed only when present, so checkpoints written before them still verify.
  const extra = { ...(cp.every === undefined ? {} : { every: cp.every }), ...(cp.event === undefined ? {} : { event: cp.event }) };
  return Buffer.from(DOMAIN + canonicalize({ size: cp.size, chain: cp.chain, root: cp.root, ts: cp.ts, keyId: cp.keyId, ...extra }));
}

export function keyIdOf(publicKey: KeyObject): string {
  const der = publicKey.export({ type: "spki", format: "der" });
  return `ed25519:${createHash("sha256").update(der).digest("hex").slice(0, 16)}`;
}

export function ed25519Signer(privateKey: KeyObject): CheckpointSigner {
  if (privateKey.type !== "private" || privateKey.asymmetricKeyType !== "ed25519") {
    throw new AiosError("E_INVALID_ARG", "audit signer: an Ed25519 private KeyObject is required", { details: { path: "signer" } });
  }
  const pub = createPublicKey(privateKey);
  return {
    keyId: keyIdOf(pub),
    publicKeyPem: pub.export({ type: "spki", format: "pem" }).toString(),
    sign: (data) => cryptoSign(null, data, privateKey),
  };
}

/** Accepts a public KeyObject or SPKI PEM text. */
export function ed25519Verifier(publicKey: KeyObject | string): CheckpointVerifier {
  let key: KeyObject;
  try {
    key = typeof publicKey === "string" ? createPublicKey(publicKey) : publicKey.type === "private" ? createPublicKey(publicKey) : publicKey;
  } catch (e) {
    throw new AiosError("E_INVALID_ARG", "audit verifier: the public key could not be parsed", { cause: e, details: { path: "publicKey" } });
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw new AiosError("E_INVALID_ARG", `audit verifier: an Ed25519 key is required, got ${key.asymmetricKeyType ?? "unknown"}`, { details: { path: "publicKey" } });
  }
  return {
    keyId: keyIdOf(key),
    verify: (data, signature) => {
      try {
        return cryptoVerify(null, data, key, signature);
      } catch {
        return false;
      }
    },
  };
}

export function toSigner(s: CheckpointSigner | KeyObject): CheckpointSigner {
  return isKeyObject(s) ? ed25519Signer(s) : s;
}

/**
 * Several trusted keys (a rotated signing key: old checkpoints stay signed by the retired key).
 * Each checkpoint is checked with the key its keyId names.
 */
export function multiKeyVerifier(keys: readonly (KeyObject | string)[]): CheckpointVerifier {
  const byId = new Map<string, CheckpointVerifier>();
  for (const k of keys) {
    const v = ed25519Verifier(k);
    byId.set(v.keyId ?? "", v);
  }
  if (byId.size === 0) throw new AiosError("E_INVALID_ARG", "audit verifier: no public key given", { details: { path: "publicKey" } });
  return {
    keyId: [...byId.keys()].join(","),
    knows: (keyId) => byId.has(keyId),
    // A signer may name its key its own way (the SDK's key store ids): then every trusted key is
    // tried. Any trusted key's valid signature is as good as the named one's.
    verify: (data, sig, keyId) => {
      const named = byId.get(keyId);
      if (named !== undefined) return named.verify(data, sig, keyId);
      for (const v of byId.values()) if (v.verify(data, sig, keyId)) return true;
      return false;
    },
  };
}

/** Splits a file holding one or more PEM public keys (audit.pub after a key rotation). */
export function splitPem(text: string): string[] {
  return text.match(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g) ?? [];
}

export type VerifierInput = CheckpointVerifier | KeyObject | string | readonly (KeyObject | string)[];

export function toVerifier(v: VerifierInput): CheckpointVerifier {
  if (Array.isArray(v)) return multiKeyVerifier(v as readonly (KeyObject | string)[]);
  if (typeof v === "string") {
    const pems = splitPem(v);
    return pems.length > 1 ? multiKeyVerifier(pems) : ed25519Verifier(v);
  }
  return isKeyObject(v) ? ed25519Verifier(v) : (v as CheckpointVerifier);
}

function isKeyObject(x: unknown): x is KeyObject {
  return typeof x === "object" && x !== null && "asymmetricKeyType" in x && "export" in x && typeof (x as { export: unknown }).export === "function";
}

export function signCheckpoint(signer: CheckpointSigner, body: Omit<Checkpoint, "sig" | "keyId">): Checkpoint {
  const unsigned: Omit<Checkpoint, "sig"> = { ...body, keyId: signer.keyId };
  const sig = Buffer.from(signer.sign(checkpointSigningBytes(unsigned))).toString("base64");
  return { ...unsigned, sig };
}

export function checkpointVerifies(verifier: CheckpointVerifier, cp: Checkpoint): boolean {
  return verifier.verify(checkpointSigningBytes(cp), Buffer.from(cp.sig, "base64"), cp.keyId);
}

/**
 * Trust on first use: the first key is pinned in audit.pub; a rotated key is appended (the file
 * then holds every key that ever signed, so old checkpoints still verify). An attacker who can
 * write the data dir can replace this file too — pass the key from security/ to verify for real.
 */
export function pinPublicKey(path: string, pem: string | undefined): void {
  if (pem === undefined) return;
  const have = existsSync(path) ? readFileSync(path, "utf8") : "";
  if (splitPem(have).some((k) => k.trim() === pem.trim())) return;
  appendFileSync(path, (have === "" || have.endsWith("\n") ? "" : "\n") + pem.trim() + "\n", { mode: 0o600 });
}
