/**
 * Branded ids. An id is a string at run time and a distinct type at compile time, so an AgentId can
 * never be passed where a MessageId is expected. Ids are `<prefix>_<node>_<counter>`: unique across
 * restarts (the node part is random per generator) and cheap (no crypto per id; spawning a million
 * agents must not spend its time making ids).
 */
import { randomBytes } from "node:crypto";

declare const brand: unique symbol;
export type Brand<T, B extends string> = T & { readonly [brand]: B };

export type AgentId = Brand<string, "AgentId">;
export type MessageId = Brand<string, "MessageId">;
export type ConversationId = Brand<string, "ConversationId">;
export type HandleId = Brand<string, "HandleId">;
export type TenantId = Brand<string, "TenantId">;
export type EventId = Brand<string, "EventId">;

export interface IdGenerator {
  agent(): AgentId;
  message(): MessageId;
  conversation(): ConversationId;
  handle(): HandleId;
  /** Any other kind of id, with the given prefix. */
  next(prefix: string): string;
}

/** Counter-based generator; `node` defaults to 6 random base36 characters. */
export class CounterIds implements IdGenerator {
  private n = 0;
  private readonly node: string;
  private readonly agentPrefix: string;

  constructor(node?: string) {
    this.node = node ?? BigInt("0x" + randomBytes(4).toString("hex")).toString(36).padStart(6, "0").slice(-6);
    this.agentPrefix = `ag_${this.node}_`;
  }

  next(prefix: string): string {
    return `${prefix}_${this.node}_${(++this.n).toString(36)}`;
  }
  /**
   * Joined, not concatenated: a concatenation this long is a rope of three strings, which the agent
   * table and every process hold for life; join makes one flat string.
   */
  agent(): AgentId {
    return [this.agentPrefix, (++this.n).toString(36)].join("") as AgentId;
  }
  message(): MessageId {
    return this.next("msg") as MessageId;
  }
  conversation(): ConversationId {
    return this.next("conv") as ConversationId;
  }
  handle(): HandleId {
    return this.next("h") as HandleId;
  }
}

/** Parses an untrusted string into an AgentId (ids are opaque; only emptiness and size are checked). */
export function asAgentId(s: string): AgentId {
  return s as AgentId;
}
