/**
 * The lifecycle of DESIGN in one table: `pending -> running <-> paused -> completed | failed | killed`.
 * Every state change goes through `transition()`, so an illegal one throws E_ILLEGAL_TRANSITION
 * instead of happening. Terminal states have no way out: a supervised restart is a new incarnation
 * of the same agent id, starting again at `pending`.
 */
import { AiosError, type AgentStatus } from "../core/index.js";

export type { AgentStatus };

export const TRANSITIONS: Readonly<Record<AgentStatus, readonly AgentStatus[]>> = {
  pending: ["running", "failed", "killed"],
  running: ["paused", "completed", "failed", "killed"],
  paused: ["running", "failed", "killed"],
  completed: [],
  failed: [],
  killed: [],
};

export const TERMINAL: ReadonlySet<AgentStatus> = new Set(["completed", "failed", "killed"]);

export const ALL_STATUSES: readonly AgentStatus[] = ["pending", "running", "paused", "completed", "failed", "killed"];

export function canTransition(from: AgentStatus, to: AgentStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function isTerminal(s: AgentStatus): boolean {
  return TERMINAL.has(s);
}

/** Returns `to` when the move is legal, throws E_ILLEGAL_TRANSITION otherwise. */
export function checkTransition(from: AgentStatus, to: AgentStatus, op: string, agent: string): AgentStatus {
  if (!canTransition(from, to)) {
    throw new AiosError("E_ILLEGAL_TRANSITION", `cannot ${op} agent ${agent}: ${from} -> ${to} is not a legal transition`, {
      details: { agent, from, to, op },
    });
  }
  return to;
}
