/**
 * Message signatures: the sender's Ed25519 key (security/ identities, one per agent id) signs the
 * canonical encoding (envelope.ts signingBytes); the receiver looks the key up by id, checks that
 * its owner is the envelope's `from`, and verifies. Invariants: a present signature that does not
 * verify is always rejected, whatever the policy; a missing one is rejected only where the
 * signature policy requires signatures for the recipient (agent setting, else tenant, else default).
 */
import { AiosError } from "../core/index.js";
import type { VouchedKey } from "../abi/index.js";
import { publicRef, signWith, verifyWith, type Identities, type KeyRecord, type PublicKeyRef } from "../security/index.js";
import { signingBytes, type Envelope, type MessageSignature } from "./envelope.js";

export interface MessageKeys {
  /** The owner's active signing key, created on first use. */
  signingKey(owner: string): KeyRecord;
  /** Any key by id (retired keys still verify what they signed). */
  key(id: string): KeyRecord | undefined;
}

export function keysFromIdentities(ids: Identities): MessageKeys {
  return { signingKey: (owner) => ids.ensure(owner, "ed25519"), key: (id) => ids.store.get(id) };
}

export type SignatureMode = "required" | "optional";

export interface SignaturePolicyConfig {
  readonly default?: SignatureMode;
  /** Per recipient tenant. */
  readonly tenants?: Readonly<Record<string, SignatureMode>>;
  /** Per recipient agent id (wins over its tenant). */
  readonly agents?: Readonly<Record<string, SignatureMode>>;
}

export class SignaturePolicy {
  private readonly agents: Map<string, SignatureMode>;
  private readonly tenants: Map<string, SignatureMode>;
  private readonly fallback: SignatureMode;

  /** Settings that say "required" (the default counts one): while 0 no recipient requires signatures. */
  private required = 0;

  constructor(c: SignaturePolicyConfig = {}) {
    this.agents = new Map(Object.entries(c.agents ?? {}));
    this.tenants = new Map(Object.entries(c.tenants ?? {}));
    this.fallback = c.default ?? "optional";
    for (const m of [this.fallback, ...this.agents.values(), ...this.tenants.values()]) if (m === "required") this.required++;
  }

  private watcher: ((any: boolean) => void) | undefined;

  /** True when some recipient may require signatures (the kernel's plain-mail gate is asked only then). */
  get any(): boolean {
    return this.required > 0;
  }

  /** Calls `f` now and whenever `any` changes (one watcher: the kernel's plain-mail gate). */
  watch(f: (any: boolean) => void): void {
    this.watcher = f;
    f(this.any);
  }

  setAgent(agent: string, mode: SignatureMode): void {
    this.set(this.agents, agent, mode);
  }
  setTenant(tenant: string, mode: SignatureMode): void {
    this.set(this.tenants, tenant, mode);
  }

  private set(m: Map<string, SignatureMode>, k: string, mode: SignatureMode): void {
    const before = this.any;
    if (m.get(k) === "required") this.required--;
    if (mode === "required") this.required++;
    m.set(k, mode);
    if (this.any !== before) this.watcher?.(this.any);
  }

  requires(agent: string, tenant: string): boolean {
    return (this.agents.get(agent) ?? this.tenants.get(tenant) ?? this.fallback) === "required";
  }
}

export function signEnvelope(keys: MessageKeys, e: Envelope, payloadJson: string): MessageSignature {
  if (e.from === undefined) throw new AiosError("E_INVALID_ARG", "signature: an envelope without a sender cannot be signed", { details: { path: "from" } });
  const rec = keys.signingKey(e.from);
  const sig = signWith(rec, signingBytes(e, payloadJson), "ed25519").ed;
  if (sig === undefined) throw new AiosError("E_INTERNAL", `key ${rec.id} produced no Ed25519 signature`);
  return { key: rec.id, sig };
}

/**
 * Null when the signature is good; otherwise the reason it is not. Never throws. The key is looked up
 * in this node's store, else among `vouched`: public keys the cluster node that sent the letter
 * vouched for under its seal (a key held on another node, docs/adr/0038).
 */
export function checkSignature(keys: MessageKeys | undefined, e: Envelope, payloadJson: string, vouched: readonly VouchedKey[] = []): string | null {
  const s = e.signature;
  if (s === undefined) return "unsigned";
  const rec = keys?.key(s.key);
  let ref: PublicKeyRef;
  if (rec !== undefined) {
    if (rec.owner !== e.from) return `key ${s.key} belongs to ${rec.owner}, not the sender ${e.from ?? "(none)"}`;
    if (rec.alg === "hmac") return `key ${s.key} is not a signing key`;
    ref = publicRef(rec);
  } else {
    const v = vouched.find((k) => k.id === s.key);
    if (v === undefined) return keys === undefined && vouched.length === 0 ? "signed message but no key store to verify it" : `unknown signing key ${s.key}`;
    if (v.owner !== e.from) return `key ${s.key} belongs to ${v.owner}, not the sender ${e.from ?? "(none)"}`;
    ref = { id: v.id, alg: v.alg, ed: v.ed, ...(v.pq === undefined ? {} : { pq: v.pq }) };
  }
  return verifyWith(ref, signingBytes(e, payloadJson), { ed: s.sig }, "ed25519") ? null : "signature does not verify";
}

/** The public half of the key that signed `e`, when this node holds it (for the receiving node). */
export function vouchFor(keys: MessageKeys | undefined, e: Envelope): VouchedKey[] {
  const s = e.signature;
  const rec = s === undefined ? undefined : keys?.key(s.key);
  if (rec === undefined || rec.alg === "hmac") return [];
  const ref = publicRef(rec);
  return [{ id: ref.id, owner: rec.owner, alg: ref.alg, ed: ref.ed, ...(ref.pq === undefined ? {} : { pq: ref.pq }) }];
}
