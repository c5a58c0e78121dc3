/**
 * Lifecycle: the only writer of an agent's status (and of how it ended and which version it runs).
 * A transition is checked against the table in abi/lifecycle.ts, emitted as `agent.transition`, and
 * journaled for a durable agent — except while the kernel stops agents for its own shutdown
 * (`unjournaled`): those agents come back at the next boot, so their stop is not their end. Its
 * other records are the lifecycle's too: a new agent's spawn record (`journalSpawn`), and an upgrade
 * (spec, logic and migrated state swapped at once, journaled before it takes effect, `agent.upgraded`).
 * Proc declares these fields readonly; this file alone writes them (tests/lint/state-owners.test.ts).
 * Collaborators by constructor: the event bus, the journal as the door has it (read per call), and
 * where errors without a caller go.
 */
import type { AgentStatus, EventBus, EventDataMap } from "../core/index.js";
import { checkTransition, type AgentLogic, type AgentSpec, type KernelJournal } from "../abi/index.js";
import { snapshotOf, type Proc } from "./proc.js";
import { storedSpec } from "./stored-spec.js";

const NO_WAIT = { wait: false } as const;

/** The field of a Proc that only the lifecycle writes (Proc declares it readonly). */
interface LifecycleFields {
  status: AgentStatus;
}

export type Ending = "completed" | "failed" | "killed";

export class Lifecycle {
  private stoppingForShutdown = false;

  constructor(
    private readonly events: EventBus,
    private readonly journal: () => KernelJournal | undefined,
    private readonly kernelError: (e: unknown, where: string) => void,
  ) {}

  /** Moves `p` to `to` (E_ILLEGAL_TRANSITION when the table forbids it), emits and journals it. */
  transition(p: Proc, to: AgentStatus, op: string, reason?: string): void {
    const from = p.status;
    (p as LifecycleFields).status = checkTransition(from, to, op, p.id);
    this.emit(p, op, from, to, reason);
    if (p.durable && !this.stoppingForShutdown) this.journal()?.transitioned(p.id, to, op, reason).catch((e: unknown) => this.kernelError(e, `journal transition of ${p.id}`));
  }

  /** Ends `p`: the terminal transition (kill, stop or crash), with why and what it returned. */
  end(p: Proc, to: Ending, reason: string, result: unknown): void {
    this.transition(p, to, to === "killed" ? "kill" : to === "completed" ? "stop" : "crash", reason);
    // Proc shows them read-only; they live with its rare fields (proc.ts).
    const f = p.more();
    f.exitReason = reason;
    f.result = result;
  }

  /** A new process entered the table in `pending`: `agent.spawned` and its first transition. */
  created(p: Proc): void {
    if (this.events.wants("agent.spawned")) {
      const s = p.spec;
      // One literal per shape: an optional spread in a literal takes a slow generic path on every spawn.
      const up = p.parent;
      const data: EventDataMap["agent.spawned"] =
        up === null ? { name: s.name, kind: s.kind, ephemeral: s.ephemeral, version: s.version } : { name: s.name, kind: s.kind, ephemeral: s.ephemeral, version: s.version, parent: up.id };
      this.events.emit("agent.spawned", data, p.id);
    }
    this.emit(p, "spawn", "none", "pending");
  }

  /**
   * A durable agent's spawn record, appended before its init runs (a new incarnation's too); one
   * started with a state (`withState`: a clone, an operator's restart) has it as its checkpoint.
   * `wait: false`: nobody waits for it, it rides the commit of the agent's first output (ADR 0052).
   */
  journalSpawn(p: Proc, withState: boolean, wait?: false): Promise<void> | undefined {
    return this.journal()?.spawned({
      id: p.id, spec: storedSpec(p.spec), status: "pending", callSeq: p.callSeq, ...(p.parent ? { parent: p.parent.id } : {}), ...(withState ? { checkpoint: snapshotOf(p) } : {}),
      ...(p.link === null ? {} : { supervisor: p.link }),
    }, wait === false ? NO_WAIT : undefined);
  }

  /** A restored agent resumes as it was: running, and paused again if it was paused. */
  recovered(p: Proc, paused: boolean): void {
    this.transition(p, "running", "recover");
    if (paused) this.transition(p, "paused", "recover");
  }

  /**
   * Swaps `p` to a new spec, logic and (migrated) state at once. A durable agent's upgrade is
   * journaled first (a spawn record for a known agent replaces its spec and checkpoint and keeps its
   * mailbox and call log), so after a restart it is at the new version with the migrated state; a
   * refused write leaves it as it was.
   */
  async upgrade(p: Proc, spec: AgentSpec, logic: AgentLogic, state: unknown): Promise<void> {
    const fromVersion = p.spec.version;
    if (p.durable) {
      const checkpoint = logic.snapshot !== undefined ? logic.snapshot(state) : state;
      await this.journal()?.spawned({
        id: p.id, spec: storedSpec(spec), status: p.status, callSeq: p.callSeq, checkpoint, ...(p.parent === null ? {} : { parent: p.parent.id }),
      });
    }
    p.setSpec(spec);
    p.logic = logic;
    p.state = state;
    if (this.events.wants("agent.upgraded")) this.events.emit("agent.upgraded", { fromVersion, toVersion: spec.version }, p.id);
  }

  /**
   * Runs `fn` with transitions not journaled: a stop that is not the agent's end — the kernel's own
   * shutdown stopping durable agents, an operator's restart of a durable agent (restart.ts).
   */
  unjournaled(fn: () => void): void {
    this.stoppingForShutdown = true;
    try {
      fn();
    } finally {
      this.stoppingForShutdown = false;
    }
  }

  private emit(p: Proc, op: string, from: AgentStatus | "none", to: AgentStatus, reason?: string): void {
    if (this.events.wants("agent.transition")) {
      const data: EventDataMap["agent.transition"] = { op, from, to };
      if (reason !== undefined) data.reason = reason;
      this.events.emit("agent.transition", data, p.id, to === "failed" ? "error" : "info");
    }
  }
}
