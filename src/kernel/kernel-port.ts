/**
 * The kernel as its own components see it: the narrow port the run loop, exits, startup,
 * supervision, operations, delivery, requests, the agent context and the built-in syscalls are
 * handed. The Kernel class implements it; none of those files imports the class, so the kernel has
 * no import cycle (type imports counted) and each component names exactly what it uses.
 */
import type { AgentId, AgentStatus, Clock, EventBus, IdGenerator, Logger } from "../core/index.js";
import type { AgentContext, AgentLogic, AgentSpec, AgentSpecInput, Caller, SendOptions } from "../abi/index.js";
import type { Dispatcher, Guards } from "./dispatcher.js";
import type { Hooks } from "./hooks.js";
import type { Letter } from "./mailbox.js";
import type { OrphanMail } from "./orphan-mail.js";
import type { EndedAgents } from "./ended.js";
import type { ProcessTable } from "./process-table.js";
import type { Lifecycle } from "./lifecycle.js";
import type { Proc } from "./proc.js";
import type { ExitKind } from "./supervisor-state.js";
import type { LogicFactory } from "./logic-resolver.js";

export interface ExitInfo {
  readonly id: AgentId;
  readonly status: AgentStatus;
  readonly reason: string | undefined;
  readonly result: unknown;
}

export interface KernelPort {
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly events: EventBus;
  readonly logger: Logger;
  readonly guards: Guards;
  readonly hooks: Hooks;
  readonly dispatcher: Dispatcher;
  readonly table: ReadonlyMap<AgentId, Proc>;
  readonly procs: ProcessTable;
  readonly lifecycle: Lifecycle;
  readonly exitWaiters: Map<AgentId, ((e: ExitInfo) => void)[]>;
  readonly orphanMail: OrphanMail;
  readonly endedAgents: EndedAgents;
  readonly ops: { kill(id: string, reason?: string): Promise<boolean> };
  readonly capGeneration: number;
  /** The kernel is shutting down (durable agents stop without ending; their letters stay journaled). */
  readonly closing: boolean;
  onExit: ((p: Proc, kind: ExitKind) => void) | undefined;
  onSupervisorStart: ((p: Proc) => Promise<void>) | undefined;
  registerKind(kind: string, factory: LogicFactory): void;
  parse(input: unknown, source?: string): AgentSpec;
  spawn(input: AgentSpecInput | AgentSpec, options?: { parent?: string; id?: AgentId; state?: unknown }): Promise<AgentId>;
  spawnAs(creator: Caller, spec: AgentSpecInput | AgentSpec): Promise<AgentId>;
  createProc(spec: AgentSpec, logic: AgentLogic, parent: Proc | null, id?: AgentId, incarnation?: number, options?: { slot?: Proc }): Proc;
  start(p: Proc, restored?: boolean): void | Promise<void>;
  resolveLogicFor(spec: AgentSpec, parent: Proc | null | "agent"): AgentLogic | Promise<AgentLogic>;
  get(id: string): Proc;
  /** Restores a dormant agent (after a restart) before its first use; resolves at once for any other. */
  wake(p: Proc): Promise<void>;
  find(id: string): Proc | undefined;
  ctxOf(p: Proc): AgentContext;
  deliver(from: Proc | undefined, to: string, payload: unknown, onFull: SendOptions["onFull"], reply: Letter["reply"], key?: string): void | Promise<void>;
  enqueue(p: Proc, letter: Letter, onFull: SendOptions["onFull"]): void | Promise<void>;
  refuseOrPark(p: Proc, letter: Letter, onFull: SendOptions["onFull"]): Promise<void>;
  request(from: Proc | undefined, to: string, payload: unknown, timeoutMs?: number): Promise<unknown>;
  schedule(p: Proc): void;
  exit(p: Proc, to: "completed" | "failed" | "killed", reason: string, kind: ExitKind, result?: unknown): void;
  /** Runs `fn` with its transitions not journaled: a stop that is not the agent's end (an operator's restart of a durable agent). */
  withoutJournal(fn: () => void): void;
  adoptMail(p: Proc): void;
  refuseMail(id: AgentId, reason: string): void;
  whenIdle(p: Proc): Promise<void>;
  releaseIdle(p: Proc): void;
  kernelError(e: unknown, where: string): void;
}
