/**
 * The process table: the only place a process is created, entered or removed, and the owner of the
 * parent/children links between processes. A process is built (checked against its creator with the
 * one spawn rule, its name attested, its authority derived) without being entered; it is entered with
 * `commit` and leaves by one of three doors:
 *
 * - `discard`: its start or restore failed. It leaves as if it had never entered (a failed start
 *   takes the children it started with it; a failed restore leaves its children as roots, since they
 *   may still come back), so a failed spawn or restore leaves no zombie behind.
 * - `release`: an ephemeral agent ended; it leaves at once.
 * - `evict`: a kept, ended agent leaves once newer ones ended (ended.ts decides when).
 *
 * When an agent that ran leaves for good the subsystems are told (`gone`, a Provision hook),
 * synchronously and never through the event bus, which may drop events.
 */
import { AiosError, type AgentId, type Clock, type IdGenerator } from "../core/index.js";
import type { AgentLogic, AgentSpec, CapabilityChecker } from "../abi/index.js";
import { Proc } from "./proc.js";
import { ProcIndex } from "./proc-index.js";
import { checkCreate, creatorOf, deriveAuthority } from "./spawn-rule.js";
import { attestedName } from "./names.js";

export interface ProcessTableDeps {
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** The kernel's spec parser (a changed spec is parsed again, and branded). */
  readonly parse: (input: unknown) => AgentSpec;
  /** The door's capability checker as installed (read per call: it is set once at boot). */
  readonly capabilities: () => CapabilityChecker;
  /** A journal is installed: agents may be durable. */
  readonly journaled: () => boolean;
  /** Journal agents unless their spec says otherwise. */
  readonly durableDefault: boolean;
  readonly kernelError: (e: unknown, where: string) => void;
}

export class ProcessTable {
  private readonly procs: ProcIndex;
  private readonly goneHooks: ((agent: AgentId) => void)[] = [];
  /**
   * Entries per tenant (ended ones kept for ps included), kept by the table's only writes: commit and
   * the three ways out. Read by an agent's spawn (spawner.ts, `maxTenantAgents`).
   */
  private readonly perTenant = new Map<string, number>();
  /** The first tenant seen, counted in a field: most tables hold one tenant, and a spawn pays no map. */
  private hot: string | undefined;
  private hotN = 0;

  constructor(private readonly d: ProcessTableDeps) {
    this.procs = new ProcIndex(d.ids);
  }

  /** The table, read-only: views, subsystems' facts and tests read it; nothing else writes it. */
  get view(): ReadonlyMap<AgentId, Proc> {
    return this.procs;
  }
  get size(): number {
    return this.procs.size;
  }
  find(id: string): Proc | undefined {
    return this.procs.get(id);
  }
  get(id: string): Proc {
    const p = this.procs.get(id);
    if (p === undefined) throw new AiosError("E_NO_AGENT", `no agent ${id}`, { details: { agent: id } });
    return p;
  }
  values(): IterableIterator<Proc> {
    return this.procs.values();
  }
  /** Processes of `tenant` in the table. */
  inTenant(tenant: string): number {
    return tenant === this.hot ? this.hotN : (this.perTenant.get(tenant) ?? 0);
  }
  private counted(p: Proc, by: 1 | -1): void {
    const t = p.tenant;
    if (t === this.hot || this.hot === undefined) {
      this.hot = t;
      this.hotN += by;
      return;
    }
    const n = (this.perTenant.get(t) ?? 0) + by;
    if (n === 0) this.perTenant.delete(t);
    else this.perTenant.set(t, n);
  }

  /**
   * Whether an agent built from `spec` is durable. The default covers only agents a restart can bring
   * back: an in-process logic object is not in the journal, so such an agent is durable only when its
   * spec asks (and then fails recovery loudly).
   */
  durable(spec: AgentSpec): boolean {
    return !spec.ephemeral && (spec.durable ?? (this.d.durableDefault && recoverable(spec))) && this.d.journaled();
  }

  /**
   * Builds a process in `pending` under `parent`, not entered: checks the node against its creator
   * (spawn-rule.ts), decides whether it is durable, attests its name and derives its authority.
   */
  build(spec: AgentSpec, logic: AgentLogic, parent: Proc | null, id?: AgentId, incarnation = 0, by: Proc | null = parent): Proc {
    const checker = this.d.capabilities();
    // `by`: whose authority bounds it when that is not its parent (a supervisor's child tree, a root here).
    checkCreate(by, spec, checker, false);
    const durable = this.durable(spec);
    const name = by === null ? spec.name : attestedName(spec.name, creatorOf(by));
    const s = durable === (spec.durable === true) && name === spec.name ? spec : this.d.parse({ ...spec, ...(durable === (spec.durable === true) ? {} : { durable }), name });
    const p = new Proc(id ?? this.d.ids.agent(), s, logic, parent, this.d.clock.now());
    deriveAuthority(by, p, checker);
    p.incarnation = incarnation;
    return p;
  }

  /** Enters a built process, under its parent (`slot`: in that child's place, for a restarted child). */
  commit(p: Proc, slot?: Proc): void {
    const prev = this.procs.get(p.id);
    if (prev !== undefined) this.counted(prev, -1); // a new incarnation in its place
    this.procs.set(p.id, p);
    this.counted(p, 1);
    const parent = p.parent;
    if (parent !== null) {
      const kids = (parent.children ??= []);
      const at = slot === undefined ? -1 : kids.indexOf(slot);
      if (at >= 0) kids[at] = p;
      else kids.push(p);
    }
  }

  /** A process built but never entered (its check or restore failed before commit): its authority goes. */
  abandon(p: Proc): void {
    this.d.capabilities().forget?.(p);
  }

  /**
   * Takes a process whose start (`started`: it ran, and its children go with it; the subsystems are
   * told) or restore (its children become roots) failed out of the table, as if it had never entered.
   */
  discard(p: Proc, started: boolean): void {
    // An ephemeral agent that ended has left already (release), and the subsystems were told.
    const present = this.procs.get(p.id) === p;
    if (present) {
      this.procs.delete(p.id);
      this.counted(p, -1);
    }
    unlink(p, false);
    const kids = p.children;
    p.children = null;
    for (const c of kids ?? []) {
      c.parent = null;
      if (started) this.discard(c, true);
      else if (c.dormant !== null) c.dormant.orphan = true;
    }
    this.d.capabilities().forget?.(p);
    if (started && present) this.gone(p.id);
  }

  /** An ephemeral agent ended: out of the table and its parent's list (a supervisor keeps its slot). */
  release(p: Proc): void {
    if (this.procs.get(p.id) === p) {
      this.procs.delete(p.id);
      this.counted(p, -1);
      this.gone(p.id);
    }
    if (p.parent?.sup === null) unlink(p, true);
  }

  /** A kept, ended agent leaves for good (ended.ts), unless a new incarnation holds its id. */
  evict(p: Proc): void {
    if (this.procs.get(p.id) !== p) return;
    this.procs.delete(p.id);
    this.counted(p, -1);
    unlink(p, false);
    this.gone(p.id);
  }

  /** Registers a subsystem's hook, told each agent that leaves the table for good. */
  onGone(fn: (agent: AgentId) => void): void {
    this.goneHooks.push(fn);
  }

  private gone(agent: AgentId): void {
    for (const h of this.goneHooks) {
      try {
        h(agent);
      } catch (e) {
        this.d.kernelError(e, `forgetting ${agent}`);
      }
    }
  }
}

/** Out of its parent's children (`fast`: the last one takes its place; order is not kept). */
function unlink(p: Proc, fast: boolean): void {
  const siblings = p.parent?.children;
  if (siblings == null) return;
  const i = siblings.lastIndexOf(p);
  if (i < 0) return;
  if (fast) {
    siblings[i] = siblings[siblings.length - 1] as Proc;
    siblings.pop();
  } else siblings.splice(i, 1);
}

/** A spec the journal can respawn: its logic is named (registered, a module, or a subsystem's kind). */
function recoverable(spec: AgentSpec): boolean {
  return spec.kind !== "code" || typeof spec.logic !== "object";
}
