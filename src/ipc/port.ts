/**
 * What ipc/ needs from the kernel, as a small structural port: the injected clock, ids and event
 * bus, mailbox delivery (kernel.deliver) and live facts about agents. ipcSubsystem builds it from the
 * SubsystemHost; the kernel hands its process entries as they are, so looking an agent up allocates nothing.
 */
import type { Clock, EventBus, IdGenerator } from "../core/index.js";
import type { SkillDirectory, TopicDirectory } from "../abi/index.js";

export type Reply = (err: Error | null, value?: unknown) => void;

export interface AgentFacts {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly tenant: string;
  readonly durable: boolean;
  readonly taint: ReadonlySet<string>;
  readonly mailbox: { readonly length: number } | null;
}

export interface IpcPort {
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly events: EventBus;
  /**
   * Puts a payload in the agent's mailbox; a promise when the sender must wait (full, durable).
   * `key`: the message id, journaled with a durable recipient's copy (its de-duplication key).
   */
  deliver(from: string | undefined, to: string, payload: unknown, onFull: "wait" | "fail" | undefined, reply: Reply | undefined, key?: string): void | Promise<void>;
  agent(id: string): AgentFacts | undefined;
  /** The kernel's deterministic id for a durable agent's send while it handles a journaled letter. */
  replayableSendId(agent: string): string | undefined;
  agents(): Iterable<AgentFacts>;
  /** True on a cluster node: mail for an agent not held here is stored for its node (docs/adr/0036). */
  remote?(): boolean;
  /** On a cluster node: the cluster's push subscriptions, so topics cross nodes (docs/adr/0041). */
  topics?(): TopicDirectory | undefined;
  /** On a cluster node: the cluster's intent skills, so intents cross nodes (docs/adr/0055). */
  skills?(): SkillDirectory | undefined;
}

const TERMINAL = new Set(["completed", "failed", "killed"]);
export const isLive = (a: AgentFacts): boolean => !TERMINAL.has(a.status);
