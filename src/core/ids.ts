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
  /**
   * Where an agent id sits among this generator's: the base-36 number after the prefix's length, or
   * -1 when those characters are not one. An id this generator made gives its counter; another id of
   * the right shape gives some number too (no prefix is compared: this runs on every message), so a
   * caller compares the id it finds there (the process table keeps such agents in an array at that
   * position: kernel/proc-index.ts).
   */
  agentNumber?(id: string): number;
}

/** Counter-based generator; `node` defaults to 6 random base36 characters. */
export class CounterIds implements IdGenerator {
  private n = 0;
  /**
   * Agents count apart from every other kind: their counters stay dense, so the process table's
   * array of them (kernel/proc-index.ts) has no gap for the letters sent between two spawns.
   */
  private agents = 0;
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
    return [this.agentPrefix, (++this.agents).toString(36)].join("") as AgentId;
  }
  agentNumber(id: string): number {
    const from = this.agentPrefix.length;
    const len = id.length;
    // Base 36 (0-9, a-z), at most 10 digits (36^10 < 2^53), read in place: no slice, no prefix test.
    if (len <= from || len > from + 10) return -1;
    let n = 0;
    for (let i = from; i < len; i++) {
      const c = id.charCodeAt(i);
      const d = c <= 57 ? c - 48 : c - 87;
      if (d < 0 || d > 35 || (c > 57 && c < 97)) return -1;
      n = n * 36 + d;
    }
    return n;
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
