/**
 * Lifecycle operations on running agents: pause, resume, kill, restart (restart.ts), clone, upgrade
 * (hot swap of logic or spec, state kept, with a migration hook), merge (two into one), split (one
 * into two) and specialize (a child with a narrowed spec). Every operation runs its pre-hooks first
 * (any may veto, and then nothing changes), waits for the agent's in-flight receive so state is never
 * torn, and ends with its post-hooks. Status changes, and the upgrade's swap, go through the
 * lifecycle (lifecycle.ts).
 */
import { checkCreate } from "./spawn-rule.js";
import { restartProc } from "./restart.js";
import { AiosError, toAiosError, type AgentId } from "../core/index.js";
import { isTerminal } from "../abi/index.js";
import type { Clock, EventBus } from "../core/index.js";
import type { Guards } from "./guards.js";
import type { Hooks } from "./hooks.js";
import type { Ending, Lifecycle } from "./lifecycle.js";
import type { RestartDeps } from "./restart.js";
import type { ExitKind } from "./supervisor-state.js";
import type { Proc } from "./proc.js";
import type { AgentLogic } from "../abi/index.js";
import type { AgentSpec, AgentSpecInput } from "../abi/index.js";
import type { Operation } from "./hooks.js";
import type { Letter } from "./mailbox.js";

export interface UpgradeOptions {
  /** Spec fields to change; `version` should change too. */
  readonly spec?: Partial<AgentSpecInput>;
  readonly logic?: AgentLogic;
  /** Migrates the state; defaults to the new logic's migrate(), else the state unchanged. */
  readonly migrate?: (state: unknown, fromVersion: string) => unknown;
}

export interface MergeOptions {
  readonly combine: (a: unknown, b: unknown) => unknown;
  readonly spec?: AgentSpecInput;
}

export interface SplitOptions {
  readonly split: (state: unknown) => readonly [unknown, unknown];
  readonly specs?: readonly [AgentSpecInput?, AgentSpecInput?];
}

/** What the operations use: the process table's lookup, the lifecycle, hooks, spawn, exit and mail steps (and restart's). */
export interface OperationsDeps extends RestartDeps {
  readonly clock: Clock;
  readonly events: EventBus;
  readonly guards: Guards;
  readonly hooks: Hooks;
  readonly lifecycle: Lifecycle;
  readonly get: (id: string) => Proc;
  readonly wake: (p: Proc) => Promise<void>;
  readonly parse: (input: unknown) => AgentSpec;
  readonly spawn: (spec: AgentSpec, options?: { parent?: string; state?: unknown }) => Promise<AgentId>;
  readonly resolveLogicFor: (spec: AgentSpec, parent: Proc | null) => AgentLogic | Promise<AgentLogic>;
  readonly exit: (p: Proc, to: Ending, reason: string, kind: ExitKind) => void;
  readonly whenIdle: (p: Proc) => Promise<void>;
  readonly schedule: (p: Proc) => void;
  readonly enqueue: (p: Proc, letter: Letter, onFull: "wait") => void | Promise<void>;
  readonly kernelError: (e: unknown, where: string) => void;
}

export class Operations {
  constructor(private readonly k: OperationsDeps) {}

  async pause(id: string): Promise<void> {
    await this.run("pause", [id], {}, async ([p]) => {
      await this.k.whenIdle(p);
      this.k.lifecycle.transition(p, "paused", "pause");
      const why = new AiosError("E_CANCELLED", `agent ${p.id} was paused`);
      // Its calls waiting for a scheduler slot first: the scheduler does not listen on its signal (ADR 0076).
      this.k.guards.scheduler?.cancelWaiting?.(p.id, () => why);
      // Then its signal, made now if none was: a call in flight that reads it later sees it aborted.
      p.pauseSignal(why);
      await this.journaled(p);
    });
  }

  async resume(id: string): Promise<void> {
    await this.run("resume", [id], {}, async ([p]) => {
      this.k.lifecycle.transition(p, "running", "resume");
      if (p.mailbox.length > 0) this.k.schedule(p);
      await this.journaled(p);
    });
  }

  /**
   * An operator's pause or resume of a durable agent is answered once its transition is on disk (the
   * journal's output commit): a crash after `os.pause` returned brings the agent back paused. The
   * lifecycle's own transitions ride the next commit (ADR 0053); this waits for that commit.
   */
  private async journaled(p: Proc): Promise<void> {
    if (p.durable) await this.k.guards.journal?.durable?.();
  }

  /** Kills an agent on purpose (an operator's kill is a shutdown: its supervisor does not restart it). */
  async kill(id: string, reason = "killed"): Promise<boolean> {
    const p = this.k.get(id);
    if (isTerminal(p.status)) return false;
    // An awake agent with no kill hooks: what run() would do, without its frames (every os.run ends so).
    if (p.dormant === null && !this.k.hooks.has("kill")) {
      this.k.exit(p, "killed", reason, "shutdown");
      return true;
    }
    await this.run("kill", [id], { reason }, async ([q]) => {
      this.k.exit(q, "killed", reason, "shutdown");
    });
    return true;
  }

  /**
   * Stops an agent and starts it again from its spec under the same id and name (restart.ts): a
   * durable agent keeps its journaled state, any other starts fresh; counted in its supervisor's
   * restart intensity. Answers the agent's id.
   */
  async restart(id: string, reason = "restarted by the operator"): Promise<AgentId> {
    return this.run("restart", [id], { reason }, ([p]) => restartProc(this.k, p, reason));
  }

  async clone(id: string, overrides: Partial<AgentSpecInput> = {}): Promise<AgentId> {
    return this.run("clone", [id], { overrides }, async ([p]) => {
      await this.k.whenIdle(p);
      const spec = this.k.parse({ ...p.spec, ...overrides });
      return this.k.spawn(spec, { state: copyState(p), ...(p.parent ? { parent: p.parent.id } : {}) });
    });
  }

  async upgrade(id: string, opts: UpgradeOptions): Promise<void> {
    await this.run("upgrade", [id], { version: opts.spec?.version }, async ([p]) => {
      await this.k.whenIdle(p);
      const fromVersion = p.spec.version;
      // A spec that names a registered logic keeps the name (so a durable agent's journal can find it
      // again after a restart); an in-process logic object is used as given.
      const named = typeof opts.spec?.logic === "string";
      const spec = this.k.parse({ ...p.spec, ...(opts.spec ?? {}), ...(opts.logic !== undefined && !named ? { logic: opts.logic } : {}) });
      // Name and tenant are identities policy and quotas match (a Proc caches its tenant for every call).
      if (spec.name !== p.spec.name || spec.kind !== p.spec.kind || spec.tenant !== p.spec.tenant) {
        throw new AiosError("E_INVALID_ARG", "upgrade cannot change an agent's name, kind or tenant", { details: { path: "spec" } });
      }
      // A new spec naming a module is checked against the roots of the agent's creator even when the
      // logic object is given: the journaled spec is what recovery loads.
      const moduleChanged = spec.module !== undefined && spec.module !== p.spec.module;
      const resolved = (opts.logic === undefined && named) || moduleChanged ? await this.k.resolveLogicFor(spec, p.parent) : undefined;
      const logic = opts.logic ?? resolved ?? p.logic;
      const migrate = opts.migrate ?? (logic.migrate ? (s: unknown, v: string) => (logic.migrate as (s: unknown, v: string) => unknown)(s, v) : undefined);
      let state: unknown;
      try {
        state = migrate === undefined ? p.state : migrate(p.state, fromVersion);
      } catch (e) {
        throw new AiosError("E_INVALID_ARG", `upgrade of ${p.id} failed in migrate: ${toAiosError(e).message}; the agent keeps version ${fromVersion}`, { cause: e });
      }
      // A new spec may not give the agent more than its creator could (spawn-rule.ts).
      checkCreate(p.parent, spec, this.k.guards.capabilities, true);
      // Journaled before it takes effect, and announced, by the lifecycle.
      await this.k.lifecycle.upgrade(p, spec, logic, state);
    });
  }

  async merge(a: string, b: string, opts: MergeOptions): Promise<AgentId> {
    return this.run("merge", [a, b], {}, async ([pa, pb]) => {
      if (pa === pb) throw new AiosError("E_INVALID_ARG", "merge needs two different agents", { details: { path: "b" } });
      await Promise.all([this.k.whenIdle(pa), this.k.whenIdle(pb)]);
      const state = opts.combine(copyState(pa), copyState(pb));
      const spec = opts.spec === undefined ? pa.spec : this.k.parse(opts.spec);
      const mail = [...takeMail(pa), ...takeMail(pb)];
      const id = await this.k.spawn(spec, { state, ...(pa.parent ? { parent: pa.parent.id } : {}) });
      this.k.exit(pa, "killed", `merged into ${id}`, "shutdown");
      this.k.exit(pb, "killed", `merged into ${id}`, "shutdown");
      this.forward(id, mail);
      return id;
    });
  }

  async split(id: string, opts: SplitOptions): Promise<[AgentId, AgentId]> {
    return this.run("split", [id], {}, async ([p]) => {
      await this.k.whenIdle(p);
      const [s1, s2] = opts.split(copyState(p));
      const spec1 = opts.specs?.[0] === undefined ? p.spec : this.k.parse(opts.specs[0]);
      const spec2 = opts.specs?.[1] === undefined ? p.spec : this.k.parse(opts.specs[1]);
      const mail = takeMail(p);
      const parent = p.parent ? { parent: p.parent.id } : {};
      const first = await this.k.spawn(spec1, { state: s1, ...parent });
      const second = await this.k.spawn(spec2, { state: s2, ...parent });
      this.k.exit(p, "killed", `split into ${first} and ${second}`, "shutdown");
      this.forward(first, mail);
      return [first, second] as [AgentId, AgentId];
    });
  }

  /** A child of `id` with a narrower spec: capabilities and tools must be subsets of the parent's. */
  async specialize(id: string, narrow: Partial<AgentSpecInput>): Promise<AgentId> {
    return this.run("specialize", [id], { narrow }, async ([p]) => {
      const spec = this.k.parse({ ...p.spec, ...narrow, name: narrow.name ?? `${p.spec.name}.special` });
      const extraTools = spec.tools.filter((t) => !p.spec.tools.includes(t));
      if (extraTools.length > 0) {
        throw new AiosError("E_CAP_DENIED", `specialize may only narrow: tools ${extraTools.join(", ")} are not the parent's`, { details: { path: "tools" } });
      }
      await this.k.whenIdle(p);
      return this.k.spawn(spec, { parent: p.id, state: copyState(p) });
    });
  }

  private async run<T, const I extends readonly string[]>(op: Operation, ids: I, details: Record<string, unknown>, body: (ps: { [K in keyof I]: Proc }) => Promise<T>): Promise<T> {
    const ps = ids.map((i) => this.k.get(i)) as { [K in keyof I]: Proc };
    // An operation is a use: a dormant agent is restored first (recovery.ts).
    for (const p of ps) if (p.dormant !== null) await this.k.wake(p);
    const agents = ps.map((p) => p.id);
    const hooked = this.k.hooks.has(op);
    if (hooked) {
      try {
        await this.k.hooks.runPre({ op, agents, details });
      } catch (e) {
        const err = toAiosError(e);
        if (this.k.events.wants("agent.op.vetoed")) {
          for (const a of agents) this.k.events.emit("agent.op.vetoed", { op, reason: err.message }, a, "warn");
        }
        throw err;
      }
    }
    const result = await body(ps);
    if (hooked) await this.k.hooks.runPost({ op, agents, details }, result);
    return result;
  }

  private forward(to: AgentId, letters: readonly Letter[]): void {
    const p = this.k.get(to);
    for (const l of letters) {
      const r = this.k.enqueue(p, l, "wait");
      if (r instanceof Promise) r.catch((e: unknown) => this.k.kernelError(e, `forwarding mail to ${to}`));
    }
  }
}

function takeMail(p: Proc): Letter[] {
  return p.mailbox.moveAll();
}

/** A deep copy of an agent's state through its snapshot/restore pair (structuredClone otherwise). */
export function copyState(p: Proc): unknown {
  const snap = p.logic.snapshot ? p.logic.snapshot(p.state) : p.state;
  const copy = structuredClone(snap);
  return p.logic.restore ? p.logic.restore(copy) : copy;
}

export type { AgentSpec };
