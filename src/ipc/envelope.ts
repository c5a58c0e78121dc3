/**
 * The message envelope (DESIGN "Message"): who sent it, where it goes (exactly one of an agent
 * address, a topic or an intent), its performative, conversation and reply-to, the payload's schema
 * id, the payload, taint labels and the sender's signature. Envelopes from outside the process
 * (gateway, cluster transport, replays) are parsed with EnvelopeSchema, never cast.
 * Invariant: the payload's canonical JSON encoding is at most the size limit (64 KB by default);
 * bigger data goes by memory reference (store it with MemoryStore, send the record id).
 */
import { z } from "zod";
import { AiosError } from "../core/index.js";
import { canonicalJson } from "./canonical.js";

/**
 * FIPA-style performatives. The Contract Net protocol (planner/market) uses `cfp` (call for
 * proposals) -> `propose` | `refuse` -> `accept-proposal` | `reject-proposal` -> `inform-done` |
 * `failure`; `propose` and `failure` are shared with the general set.
 */
export const PERFORMATIVES = [
  "request", "inform", "query", "propose", "accept", "reject", "failure", "event", "stream",
  "cfp", "refuse", "accept-proposal", "reject-proposal", "inform-done",
] as const;
/** The Contract Net performatives, in protocol order. */
export const CONTRACT_NET_PERFORMATIVES = ["cfp", "propose", "refuse", "accept-proposal", "reject-proposal", "inform-done", "failure"] as const satisfies readonly (typeof PERFORMATIVES)[number][];
export type Performative = (typeof PERFORMATIVES)[number];

export const DEFAULT_MAX_PAYLOAD_BYTES = 64 * 1024;

export interface MessageSignature {
  /** The signing key's id (its owner must be the envelope's `from`). */
  readonly key: string;
  /** Ed25519 signature over signingBytes(), base64url. */
  readonly sig: string;
}

export interface Envelope {
  readonly id: string;
  /** The sending agent; absent for messages from outside the kernel (SDK, gateway). */
  readonly from?: string;
  readonly to?: string;
  readonly topic?: string;
  readonly intent?: string;
  readonly performative: Performative;
  readonly conversation: string;
  /** The id of the message this one answers. */
  readonly replyTo?: string;
  /** A registered payload schema id. */
  readonly schema?: string;
  readonly payload: unknown;
  readonly taint: readonly string[];
  /** Sender's clock when sent (ms since epoch). */
  readonly ts: number;
  /** Stream chunks: the stream id and the chunk's position in it (0-based). */
  readonly stream?: string;
  readonly seq?: number;
  readonly signature?: MessageSignature;
}

const Id = z.string().min(1).max(256);
export const EnvelopeSchema = z
  .object({
    id: Id,
    from: Id.optional(),
    to: Id.optional(),
    topic: z.string().min(1).max(256).optional(),
    intent: z.string().min(1).max(4096).optional(),
    performative: z.enum(PERFORMATIVES),
    conversation: Id,
    replyTo: Id.optional(),
    schema: z.string().min(1).max(256).optional(),
    payload: z.unknown(),
    taint: z.array(z.string().min(1).max(128)).max(64),
    ts: z.number().finite(),
    stream: Id.optional(),
    seq: z.number().int().nonnegative().optional(),
    signature: z.object({ key: z.string().min(1).max(128), sig: z.string().min(1).max(1024) }).optional(),
  })
  .strict();

/** Parses an untrusted envelope; the error names the bad field. */
export function parseEnvelope(raw: unknown): Envelope {
  const r = EnvelopeSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    const path = i?.path.map(String).join(".") || "(envelope)";
    throw new AiosError("E_INVALID_ARG", `envelope: ${path}: ${i?.message ?? "invalid"}`, { details: { path } });
  }
  checkAddress(r.data);
  return stripUndefined(r.data) as Envelope; // zod checked every field; only absent-vs-undefined differs
}

/** Exactly one of to / topic / intent. */
export function checkAddress(e: { to?: string | undefined; topic?: string | undefined; intent?: string | undefined }): void {
  const n = (e.to === undefined ? 0 : 1) + (e.topic === undefined ? 0 : 1) + (e.intent === undefined ? 0 : 1);
  if (n !== 1) {
    throw new AiosError("E_INVALID_ARG", `envelope: exactly one of to, topic or intent must be set (found ${n})`, { details: { path: "to" } });
  }
}

/**
 * The canonical payload encoding and its size check. Returns the encoding so signing reuses it.
 * Measured in UTF-8 bytes of the canonical JSON, which is what any transport would carry.
 */
export function encodePayload(payload: unknown, maxBytes: number): string {
  const json = canonicalJson(payload, "payload");
  // Cheap bound first: a JS string of n UTF-16 units is at most 3n UTF-8 bytes.
  if (json.length * 3 > maxBytes) {
    const bytes = Buffer.byteLength(json, "utf8");
    if (bytes > maxBytes) {
      throw new AiosError("E_INVALID_ARG", `payload: ${bytes} bytes of JSON exceeds the ${maxBytes}-byte message limit; store large data in memory (MemoryStore) and send its record id`, {
        details: { path: "payload", bytes, limit: maxBytes },
      });
    }
  }
  return json;
}

/** The bytes a signature covers: a version tag, the canonical header (no signature) and the payload. */
export function signingBytes(e: Envelope, payloadJson: string): Buffer {
  const { signature: _s, payload: _p, ...header } = e;
  return Buffer.from(`aios-msg-v1\n${canonicalJson(header, "envelope")}\n${payloadJson}`, "utf8");
}

function stripUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}
