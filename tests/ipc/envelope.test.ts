import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AiosError, SimulatedClock } from "../../src/index.js";
import { Identities, MemoryKeyStore } from "../../src/security/index.js";
import {
  DEFAULT_MAX_PAYLOAD_BYTES, SchemaRegistry, SignaturePolicy, canonicalJson, checkSignature, encodePayload, keysFromIdentities, parseEnvelope, signEnvelope, type Envelope,
} from "../../src/ipc/index.js";

const base: Envelope = { id: "msg_1", from: "ag_a", to: "ag_b", performative: "inform", conversation: "msg_1", payload: { b: 1, a: [1, "x"] }, taint: [], ts: 1 };

describe("envelope", () => {
  it("encodes canonically whatever the key order", () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe(canonicalJson({ a: { c: 3, d: 2 }, b: 1 }));
    expect(canonicalJson({ a: undefined, b: new Date(0) })).toBe('{"b":"1970-01-01T00:00:00.000Z"}');
  });

  it("rejects payloads that are not JSON data, naming the field", () => {
    const cyc: Record<string, unknown> = {};
    cyc["self"] = cyc;
    expect(() => encodePayload(cyc, 1000)).toThrow(/payload.self: .*cycle/);
    expect(() => encodePayload({ n: NaN }, 1000)).toThrow(/payload.n: .*non-finite/);
    expect(() => encodePayload({ f: () => 1 }, 1000)).toThrow(/payload.f: .*function/);
  });

  it("enforces the 64 KB limit on the UTF-8 JSON encoding and points to memory references", () => {
    const ok = "x".repeat(DEFAULT_MAX_PAYLOAD_BYTES - 2); // the quotes make it exactly the limit
    expect(encodePayload(ok, DEFAULT_MAX_PAYLOAD_BYTES).length).toBe(DEFAULT_MAX_PAYLOAD_BYTES);
    try {
      encodePayload("é".repeat(DEFAULT_MAX_PAYLOAD_BYTES / 2), DEFAULT_MAX_PAYLOAD_BYTES); // 2 bytes per char in UTF-8
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(AiosError);
      expect((e as AiosError).code).toBe("E_INVALID_ARG");
      expect((e as AiosError).message).toMatch(/65536-byte message limit.*MemoryStore/);
      expect((e as AiosError).details["path"]).toBe("payload");
    }
  });

  it("parses untrusted envelopes with errors naming the field", () => {
    expect(parseEnvelope({ ...base })).toEqual(base);
    expect(() => parseEnvelope({ ...base, performative: "shout" })).toThrow(/envelope: performative/);
    expect(() => parseEnvelope({ ...base, topic: "t" })).toThrow(/exactly one of to, topic or intent must be set \(found 2\)/);
    expect(() => parseEnvelope({ ...base, extra: 1 })).toThrow(/envelope/);
    const { to: _to, ...none } = base;
    expect(() => parseEnvelope(none)).toThrow(/found 0/);
  });

  it("validates payloads against registered schemas and refuses to redefine an id", () => {
    const reg = new SchemaRegistry();
    const Order = z.object({ sku: z.string(), qty: z.number().int().positive() });
    reg.register("order.v1", Order);
    reg.register("order.v1", Order);
    expect(() => reg.register("order.v1", z.string())).toThrow(/already registered/);
    expect(reg.validate("order.v1", { sku: "a", qty: 2 }, "send")).toEqual({ sku: "a", qty: 2 });
    expect(() => reg.validate("order.v1", { sku: "a", qty: 0 }, "send")).toThrow(/payload.qty: .*order.v1.*on send/);
    expect(() => reg.validate("nope", 1, "send")).toThrow(/"nope" is not a registered payload schema/);
  });
});

describe("signatures", () => {
  const ids = new Identities(new MemoryKeyStore(), new SimulatedClock());
  const keys = keysFromIdentities(ids);
  const sign = (e: Envelope): Envelope => ({ ...e, signature: signEnvelope(keys, e, canonicalJson(e.payload)) });

  it("verifies the sender's Ed25519 signature over the canonical encoding", () => {
    const e = sign(base);
    expect(checkSignature(keys, e, canonicalJson(e.payload))).toBeNull();
    // The same data with keys in another order still verifies.
    const reordered = { ...e, payload: { a: [1, "x"], b: 1 } };
    expect(checkSignature(keys, reordered, canonicalJson(reordered.payload))).toBeNull();
  });

  it("rejects tampering with payload or header, a key of another agent, and missing signatures", () => {
    const e = sign(base);
    const p = { ...e, payload: { a: [1, "y"], b: 1 } };
    expect(checkSignature(keys, p, canonicalJson(p.payload))).toBe("signature does not verify");
    const h = { ...e, to: "ag_c" };
    expect(checkSignature(keys, h, canonicalJson(h.payload))).toBe("signature does not verify");
    const impostor = { ...e, from: "ag_mallory" };
    expect(checkSignature(keys, impostor, canonicalJson(e.payload))).toMatch(/belongs to ag_a, not the sender ag_mallory/);
    expect(checkSignature(keys, { ...e, signature: { key: "k_unknown", sig: "AAAA" } }, "{}")).toMatch(/unknown signing key/);
    expect(checkSignature(keys, base, canonicalJson(base.payload))).toBe("unsigned");
  });

  it("still verifies after the sender rotates its key (retired keys verify what they signed)", () => {
    const e = sign({ ...base, from: "ag_rot" });
    ids.rotate("ag_rot");
    expect(checkSignature(keys, e, canonicalJson(e.payload))).toBeNull();
  });

  it("requires signatures per agent, else per tenant, else by default", () => {
    const p = new SignaturePolicy({ default: "optional", tenants: { bank: "required" }, agents: { ag_open: "optional", ag_strict: "required" } });
    expect(p.requires("ag_x", "default")).toBe(false);
    expect(p.requires("ag_x", "bank")).toBe(true);
    expect(p.requires("ag_open", "bank")).toBe(false);
    expect(p.requires("ag_strict", "default")).toBe(true);
  });
});
