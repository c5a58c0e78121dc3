/**
 * What a sender asks the IPC service to send (SendSpec) and what it reports back (SendResult). Their
 * own file because the stream table (stream-table.ts) builds and sends chunks with them and the IPC
 * service, which owns the stream table, sends them.
 */
import type { Performative } from "./envelope.js";

export interface SendSpec {
  /** An agent id, or "*" for a broadcast to every live agent of the sender's tenant. */
  readonly to?: string;
  readonly topic?: string;
  readonly intent?: string;
  readonly performative?: Performative;
  readonly payload: unknown;
  readonly schema?: string;
  readonly conversation?: string;
  readonly replyTo?: string;
  readonly taint?: readonly string[];
  /** Reuse an id when retrying, so the receiver's de-duplication drops a copy that did arrive. */
  readonly id?: string;
  readonly onFull?: "wait" | "fail";
  /** Stream chunks only (stream-table.ts): the stream id and the chunk's sequence number. */
  readonly stream?: string;
  readonly seq?: number;
}

export interface SendResult {
  readonly id: string;
  readonly delivered: readonly string[];
  readonly deadLettered: readonly string[];
  readonly duplicates: number;
}
