/**
 * The Contract Net performatives (issue #14): each one parses, survives a JSON round trip and a
 * signature check, is accepted by SemanticSend's schema, and arrives at the recipient agent
 * through the kernel unchanged. An unknown performative is refused naming the field.
 */
import { describe, expect, it } from "vitest";
import { SimulatedClock } from "../../src/index.js";
import { Identities, MemoryKeyStore } from "../../src/security/index.js";
import { CONTRACT_NET_PERFORMATIVES, DEFAULT_MAX_PAYLOAD_BYTES, PERFORMATIVES, checkSignature, encodePayload, isEnvelope, keysFromIdentities, parseEnvelope, signEnvelope, type Envelope } from "../../src/ipc/index.js";
import { bootIpc, codeOf, recorder, settle } from "./helpers.js";

describe("Contract Net performatives", () => {
  it("are all envelope performatives, in protocol order", () => {
    expect(CONTRACT_NET_PERFORMATIVES).toEqual(["cfp", "propose", "refuse", "accept-proposal", "reject-proposal", "inform-done", "failure"]);
    for (const p of CONTRACT_NET_PERFORMATIVES) expect(PERFORMATIVES).toContain(p);
  });

  it("round-trip through JSON and parseEnvelope, and reject an unknown one naming the field", () => {
    for (const performative of CONTRACT_NET_PERFORMATIVES) {
      const e: Envelope = { id: `m-${performative}`, from: "ag_a", to: "ag_b", performative, conversation: "task-1", payload: { task: "task-1", price: "1500000" }, taint: [], ts: 7 };
      expect(parseEnvelope(JSON.parse(JSON.stringify(e)))).toEqual(e);
    }
    expect(() => parseEnvelope({ id: "m", performative: "bid", conversation: "c", payload: 1, taint: [], ts: 1 })).toThrow(/performative/);
  });

  it("are covered by the sender's signature", () => {
    const keys = keysFromIdentities(new Identities(new MemoryKeyStore(), new SimulatedClock()));
    for (const performative of CONTRACT_NET_PERFORMATIVES) {
      const e: Envelope = { id: `m-${performative}`, from: "ag_a", to: "ag_b", performative, conversation: "task-1", payload: { n: 1 }, taint: [], ts: 1 };
      const json = encodePayload(e.payload, DEFAULT_MAX_PAYLOAD_BYTES);
      const signed = parseEnvelope(JSON.parse(JSON.stringify({ ...e, signature: signEnvelope(keys, e, json) })));
      expect(checkSignature(keys, signed, json)).toBeNull();
      expect(checkSignature(keys, { ...signed, performative: performative === "cfp" ? "refuse" : "cfp" }, json)).not.toBeNull();
    }
  });

  it("travel agent to agent through SemanticSend", async () => {
    const { os } = await bootIpc();
    const seen: unknown[] = [];
    const worker = await os.spawn({ name: "worker", kind: "code", logic: recorder(seen) });
    const buyer = await os.spawn({ name: "buyer", kind: "code", logic: recorder([]), capabilities: [`agent:${worker}#send`] });
    for (const performative of CONTRACT_NET_PERFORMATIVES) {
      await os.syscall(buyer, "SemanticSend", { to: worker, payload: { step: performative }, performative, conversation: "task-1" });
    }
    await settle();
    const got = seen.filter(isEnvelope).map((e) => [e.performative, e.conversation, (e.payload as { step: string }).step]);
    expect(got).toEqual(CONTRACT_NET_PERFORMATIVES.map((p) => [p, "task-1", p]));
    expect(await codeOf(os.syscall(buyer, "SemanticSend", { to: worker, payload: 1, performative: "bid", conversation: "task-1" }))).toBe("E_INVALID_ARG");
    await os.shutdown();
  });
});
