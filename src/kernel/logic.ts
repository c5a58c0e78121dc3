/**
 * The agent-logic contract (DESIGN "Agent logic"), in the spirit of an actor behaviour: init builds the
 * state, receive handles one message and returns the next state (or `stop(...)`), snapshot/restore make
 * the state durable. `ctx` is the agent's only way out: every effect goes through ctx.sys.
 */
import type { AgentId, MessageId } from "../core/index.js";
import type { AgentSpec, AgentSpecInput } from "./spec.js";
import type { SyscallApi } from "./syscalls.js";

export const STOP: unique symbol = Symbol.for("aios.stop");

/** Returned by receive to end the agent: `completed` by default, `failed` with a reason. */
export interface StopSignal {
  readonly [STOP]: true;
  readonly outcome: "completed" | "failed";
  readonly result?: unknown;
  readonly reason?: string;
}

export function stop(result?: unknown): StopSignal {
  return { [STOP]: true, outcome: "completed", ...(result === undefined ? {} : { result }) };
}
export function fail(reason: string): StopSignal {
  return { [STOP]: true, outcome: "failed", reason };
}
export function isStop(v: unknown): v is StopSignal {
  return typeof v === "object" && v !== null && (v as Partial<StopSignal>)[STOP] === true;
}

export interface SendOptions {
  /** When the recipient's mailbox is full: wait for room (default: the recipient's setting) or fail. */
  readonly onFull?: "wait" | "fail";
}

export interface AgentContext {
  readonly self: AgentId;
  readonly spec: AgentSpec;
  /** The sender of the message being handled (undefined for messages from outside the kernel). */
  readonly sender: AgentId | undefined;
  /** The id of the message being handled. */
  readonly messageId: MessageId | undefined;
  /** Every syscall, by its table name: `await ctx.sys.ToolCall({ tool, args })`. */
  readonly sys: SyscallApi;
  /** Sends a message (SemanticSend by address). Synchronous when the mailbox has room. */
  send(to: AgentId, payload: unknown, options?: SendOptions): void | Promise<void>;
  /** Aborted when the agent is killed or paused, so long model and tool calls stop early. */
  readonly signal: AbortSignal;
  /** Sends a request and resolves with the recipient's reply. */
  request(to: AgentId, payload: unknown, options?: { timeoutMs?: number }): Promise<unknown>;
  /** Answers the request being handled; a no-op for plain messages. */
  reply(value: unknown): void;
  /** Spawns a child agent (AgentSpawn). */
  spawn(spec: AgentSpecInput): Promise<AgentId>;
}

export interface AgentLogic<S = unknown, M = unknown> {
  init?(ctx: AgentContext, args: unknown): S | Promise<S>;
  receive(state: S, message: M, ctx: AgentContext): S | StopSignal | Promise<S | StopSignal>;
  /** Serialisable form of the state, for checkpoints (default: the state itself, JSON-cloned). */
  snapshot?(state: S): unknown;
  restore?(data: unknown): S;
  /** Migrates state across an upgrade from `fromVersion`. */
  migrate?(state: S, fromVersion: string): S;
  /** Called once when the agent ends, whatever the reason. */
  terminate?(state: S, reason: string): void;
}
