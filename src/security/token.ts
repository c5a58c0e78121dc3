/**
 * The capability token wire format: a chain of signed blocks. Block 0 is signed by a kernel root key;
 * block i (i > 0) is signed by the key that block i-1 names as its holder, so only the holder of a
 * token can delegate from it. Every block's signed bytes include the previous block's signature, so
 * blocks cannot be spliced between chains. Encoded as `aios1.<base64url(JSON)>`; decoding parses
 * with zod and never trusts field shapes.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { AiosError } from "../core/index.js";
import type { PublicKeyRef, Signature } from "./keys.js";

export type Scheme = "ed25519" | "hybrid" | "hmac";

export interface Holder {
  readonly agent: string;
  readonly keyId: string;
  /** The holder's public key (absent in HMAC chains, where the kernel's key store knows it). */
  readonly key?: PublicKeyRef;
}

export interface Block {
  readonly v: 1;
  readonly id: string;
  readonly parent?: string;
  /** Key id of the signer: a root key for block 0, else the previous block's holder key. */
  readonly issuer: string;
  readonly holder: Holder;
  readonly caps: readonly string[];
  readonly iat: number;
  readonly nbf?: number;
  readonly exp?: number;
  readonly nonce: string;
  readonly alg: Scheme;
}

export interface SignedBlock {
  readonly block: Block;
  readonly sig: Signature;
}

export interface Token {
  readonly blocks: readonly SignedBlock[];
}

const PubSchema = z.object({ id: z.string(), alg: z.enum(["ed25519", "hybrid"]), ed: z.string(), pq: z.string().optional() });
const BlockSchema = z.object({
  v: z.literal(1),
  id: z.string().min(8).max(64),
  parent: z.string().optional(),
  issuer: z.string().min(1),
  holder: z.object({ agent: z.string().min(1), keyId: z.string().min(1), key: PubSchema.optional() }),
  caps: z.array(z.string().max(4096)).max(256),
  iat: z.number(),
  nbf: z.number().optional(),
  exp: z.number().optional(),
  nonce: z.string().min(8).max(128),
  alg: z.enum(["ed25519", "hybrid", "hmac"]),
});
const SigSchema = z.object({ ed: z.string().optional(), pq: z.string().optional(), mac: z.string().optional() });
const TokenSchema = z.object({ blocks: z.array(z.object({ block: BlockSchema, sig: SigSchema })).min(1).max(32) });

const PREFIX = "aios1.";

export function tokenId(t: Token): string {
  const last = t.blocks[t.blocks.length - 1];
  if (last === undefined) throw new AiosError("E_INVALID_ARG", "token has no blocks", { details: { path: "token" } });
  return last.block.id;
}

export function encodeToken(t: Token): string {
  return PREFIX + Buffer.from(JSON.stringify(t)).toString("base64url");
}

export function decodeToken(s: string, field = "token"): Token {
  if (typeof s !== "string" || !s.startsWith(PREFIX)) throw new AiosError("E_INVALID_ARG", `${field}: not an aios1 capability token`, { details: { path: field } });
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(s.slice(PREFIX.length), "base64url").toString("utf8"));
  } catch (e) {
    throw new AiosError("E_INVALID_ARG", `${field}: token body is not valid base64url JSON`, { cause: e, details: { path: field } });
  }
  const r = TokenSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    const path = [field, ...(issue?.path ?? []).map(String)].join(".");
    throw new AiosError("E_INVALID_ARG", `${path}: ${issue?.message ?? "malformed token"}`, { details: { path } });
  }
  return clean(r.data) as Token;
}

/** Drops undefined-valued optional keys so the parsed token re-serialises byte-identically. */
function clean(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(clean);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, clean(x)]));
  return v;
}

/** Deterministic JSON (sorted keys): what gets signed does not depend on property order. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const entries = Object.entries(v).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonical(x)}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/** The bytes a block's signature covers: the block and a digest of the previous signature. */
export function signedBytes(block: Block, prevSig: Signature | undefined): Uint8Array {
  const prev = prevSig === undefined ? "" : createHash("sha256").update(canonical(prevSig)).digest("base64url");
  return Buffer.from(`aios-cap-v1\n${prev}\n${canonical(block)}`);
}
