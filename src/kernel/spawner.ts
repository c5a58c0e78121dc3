/**
 * Spawning: a spec parsed once, checked whole against its creator (spawn-rule.ts: one rule for every
 * route), its code's origin checked (module-roots.ts), its logic resolved, the process built and
 * entered by the process table and started. A start that fails leaves nothing behind: the process
 * table discards the agent with whatever it started (process-table.ts). Collaborators by
 * constructor: the process table, the lifecycle, the logic resolver, the hooks, the door's stages,
 * the kernel's limits and flags, recovery's wake (a dormant parent) and the start and exit steps.
 */
import { AiosError, toAiosError, type AgentId } from "../core/index.js";
import { freezeSpec, isTerminal, parseSpec, settledSpec, type AgentLogic, type AgentSpec, type AgentSpecInput, type Caller, type SupervisorLink } from "../abi/index.js";
import type { Guards } from "./guards.js";
import type { Hooks } from "./hooks.js";
import { withImplied } from "./implied-caps.js";
import { stampIsolated } from "./isolation.js";
import type { KernelFlags } from "./kernel-port.js";
import type { Lifecycle } from "./lifecycle.js";
import { liveAgents, specAgents, type KernelLimits } from "./limits.js";
import type { LogicResolver } from "./logic-resolver.js";
import { namesModule, type ModuleRoots } from "./module-roots.js";
import type { Proc } from "./proc.js";
import type { ProcessTable } from "./process-table.js";
import { asCreator, checkCreate, creatorOf, originOf } from "./spawn-rule.js";
import { storedSpec } from "./stored-spec.js";
import type { ExitKind } from "./supervisor-state.js";

export interface SpawnerDeps {
  readonly procs: ProcessTable;
  readonly lifecycle: Lifecycle;
  readonly logics: LogicResolver;
  readonly moduleRoots: ModuleRoots;
  readonly hooks: Hooks;
  readonly guards: Guards;
  readonly limits: KernelLimits;
  readonly flags: KernelFlags;
  readonly wake: (p: Proc) => Promise<void>;
  /** Runs init and moves the agent to running (startup.ts). */
  readonly start: (p: Proc, restored: boolean, acknowledged?: boolean) => void | Promise<void>;
  readonly exit: (p: Proc, to: "completed" | "failed" | "killed", reason: string, kind: ExitKind) => void;
}

/**
 * Brands specs parse() produced, with a private field: nothing outside this class can mint it or
 * see it (no symbol to read off the object and copy), a spread copy or an heir does not carry it,
 * and it goes into the object like any field — no descriptor to define. The base class's
 * constructor returns the spec itself, so `new SpecBrand(spec)` stamps that very object.
 */
class Stamped {
  constructor(o: object) {
    return o;
  }
}
class SpecBrand extends Stamped {
  readonly #parsed = true;
  static stamp(spec: object): void {
    new SpecBrand(spec);
  }
  /** Own and frozen: a parsed spec is frozen right after it is stamped. */
  static holds(v: unknown): v is AgentSpec {
    return typeof v === "object" && v !== null && #parsed in v && Object.isFrozen(v);
  }
}

/** How a spawn is made: under a parent, with a given id or state, and what to do once it exists. */
export interface SpawnOptions {
  readonly parent?: string;
  readonly id?: AgentId;
  readonly state?: unknown;
  /**
   * Called once with the new agent's id as soon as it is in the process table, in the same turn as
   * its spawn record is appended and before that record is durable. A durable request delivered
   * from here is journaled in the same group commit as the spawn, and (output commit, ADR 0052) the
   * agent starts on it while that commit is written. Nothing is acknowledged early — the spawn still
   * resolves only once its record is on disk, and the reply only once everything the agent journaled
   * before it is. If the spawn then fails, the agent is ended and a request to it is refused.
   */
  readonly first?: (id: AgentId) => void;
  /**
   * false: the caller shows nothing of this spawn but the agent's reply (os.run). A durable agent's
   * spawn record then starts no commit of its own and the spawn resolves once it is appended; the
   * reply waits for it, with everything else the agent journaled (ADR 0052).
   */
  readonly acknowledged?: false;
  /**
   * A supervisor's child started as a tree of its own on a cluster (docs/adr/0048): a root here (its
   * own lease, placed by its hints), checked against and bounded by the supervisor's creator as any
   * child of it is, and linked to the supervisor in the cluster's directory.
   */
  readonly link?: SupervisorLink;
}

const NO_OPTIONS: SpawnOptions = Object.freeze({});

export class Spawner {
  /** The last input parse() saw and its spec: a program spawning one spec object over and over. */
  private lastSpecInput: unknown;
  private lastSpec: AgentSpec | undefined;

  constructor(private readonly d: SpawnerDeps) {}

  /**
   * Parses a spec (frozen through and through after parsing). A spec this kernel parsed carries a private, non-enumerable
   * brand and is returned as it is (a spread copy is not branded, so a changed copy is parsed). The
   * last input is remembered when it is frozen through and through (abi/settled-spec.ts), so one
   * such spec object spawned over and over is parsed once, as it was with a WeakMap per input —
   * whose two entries per spawned spec cost more, in the GC's ephemeron work, than the parse of a
   * distinct spec (abi/spec-check.ts) now does. An input that can still change is parsed every time:
   * a program that edits its spec object between two spawns gets the edited spec.
   */
  parse(input: unknown, source?: string): AgentSpec {
    if (input === this.lastSpecInput && this.lastSpec !== undefined) return this.lastSpec;
    if (SpecBrand.holds(input)) return input;
    const spec = parseSpec(input, source);
    SpecBrand.stamp(spec);
    // Through and through: an agent reads its spec (ctx.spec), and its lists are what it is granted.
    freezeSpec(spec);
    if (settledSpec(input)) {
      this.lastSpecInput = input;
      this.lastSpec = spec;
    }
    return spec;
  }

  /**
   * Creates and starts an agent. Under a `parent`, the whole spec tree is checked up front against
   * the parent's creator (spawn-rule.ts) and each node again as it is created, so nothing is
   * half-created and no route widens authority.
   *
   * Not async: a root spawned where nothing can make it wait — no parent or supervisor to wake, no
   * spawn hooks, no cluster to place it on — is checked, entered and started in this turn, and an
   * ephemeral one answers with one settled promise instead of an async frame (a program spawning a
   * million agents one after another allocated one per spawn). Every other spawn takes `spawnFrom`,
   * the same steps with their waits; both end in `begin`. A refusal still rejects, never throws.
   */
  spawn(input: AgentSpecInput | AgentSpec, options: SpawnOptions = NO_OPTIONS): Promise<AgentId> {
    const d = this.d;
    try {
      if (d.flags.closing) throw new AiosError("E_SHUTDOWN", "the kernel is shutting down; no new agents");
      if (options.parent !== undefined || options.link !== undefined || d.hooks.has("spawn") || d.guards.journal?.placeRoot !== undefined) {
        return this.spawnFrom(this.parse(input), options);
      }
      const spec = this.checked(this.parse(input), null);
      const resolved = d.logics.resolve(spec, "operator");
      if (resolved instanceof Promise) return resolved.then((logic) => this.begin(spec, logic, null, options, null));
      return this.begin(spec, resolved, null, options, null);
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : toAiosError(e));
    }
  }

  /** `spawn` with whatever it may wait for: a dormant creator, the spawn hooks, a placement elsewhere. */
  private async spawnFrom(parsed: AgentSpec, options: SpawnOptions): Promise<AgentId> {
    const d = this.d;
    let spec = parsed;
    const link = options.link;
    const parent = options.parent === undefined ? null : d.procs.get(options.parent);
    // Whose authority bounds it: its parent, or the supervisor of a child tree (a root here).
    const by = link === undefined ? parent : d.procs.get(link.supervisor);
    if (by !== null && by.dormant !== null) await d.wake(by);
    // Code an agent names runs isolated; the spec says so from here on (journal, clones, restarts).
    if (by !== null && (spec.module !== undefined || spec.children !== undefined) && originOf(by) === "agent") {
      const stamped = stampIsolated(spec);
      if (stamped !== undefined) spec = this.parse(stamped);
    }
    if (by !== null && isTerminal(by.status)) {
      throw new AiosError("E_NO_AGENT", `cannot spawn under ${by.id}: it is ${by.status}`, { details: { agent: by.id } });
    }
    spec = this.checked(spec, by);
    if (d.hooks.has("spawn")) await d.hooks.runPre({ op: "spawn", agents: [], details: { spec } });
    const resolved = d.logics.resolve(spec, originOf(by));
    const logic = resolved instanceof Promise ? await resolved : resolved;
    // A new root on a cluster node may be placed on another node (docs/adr/0050), which starts it.
    if (parent === null && options.id === undefined && options.state === undefined && options.first === undefined && d.guards.journal?.placeRoot !== undefined) {
      const away = await this.placeAway(spec, logic, by, link);
      if (away !== undefined) {
        if (d.hooks.has("spawn")) await d.hooks.runPost({ op: "spawn", agents: [away], details: { spec } }, away);
        return away;
      }
    }
    if (link !== undefined) this.checkTree(spec);
    const id = await this.begin(spec, logic, parent, options, by);
    if (d.hooks.has("spawn")) await d.hooks.runPost({ op: "spawn", agents: [id], details: { spec } }, id);
    return id;
  }

  /**
   * The spec with what its model and tools imply, checked whole against its creator (`by`; null: the
   * operator), and every module its tree names against the module roots.
   */
  private checked(parsed: AgentSpec, by: Proc | null): AgentSpec {
    const spec = this.withImplied(parsed, by);
    checkCreate(by, spec, this.d.guards.capabilities, true);
    // Only the operator names code: every module in the tree, checked before anything is created.
    if (spec.children !== undefined && namesModule(spec)) this.d.moduleRoots.checkTree(spec, originOf(by));
    return spec;
  }

  /**
   * Enters the process and starts it; resolves with its id once started (a durable agent's spawn
   * record on disk). A start that fails leaves nothing behind.
   */
  private begin(spec: AgentSpec, logic: AgentLogic, parent: Proc | null, options: SpawnOptions, by: Proc | null): Promise<AgentId> {
    const p = this.enter(spec, logic, parent, options.id, 0, undefined, by);
    if (options.link !== undefined) p.link = options.link;
    if (options.state !== undefined) p.state = options.state;
    let started: void | Promise<void>;
    try {
      started = this.d.start(p, options.state !== undefined, options.acknowledged !== false);
      // In the turn that appended the spawn record: a letter `first` delivers goes into its commit.
      options.first?.(p.id);
    } catch (e) {
      this.abandonStart(p, e);
      return Promise.reject(e instanceof Error ? e : toAiosError(e));
    }
    if (started === undefined) return Promise.resolve(p.id);
    return started.then(
      () => p.id,
      (e: unknown) => {
        this.abandonStart(p, e);
        throw e;
      },
    );
  }

  /** Spawns `spec` as a child of the calling agent (AgentSpawn, agent.spawn). */
  spawnAs(creator: Caller, spec: AgentSpecInput | AgentSpec): Promise<AgentId> {
    const { maxChildren: max, maxTreeAgents: most, maxTenantAgents: tenantMost } = this.d.limits;
    const self = this.d.procs.find(creator.agent);
    const alive = self?.children?.filter((c) => !isTerminal(c.status)).length ?? 0;
    if (alive >= max) {
      return Promise.reject(new AiosError("E_QUOTA", `agent ${creator.agent} already has ${alive} children alive (limit ${max})`, { details: { limit: max } }));
    }
    const adding = specAgents(spec, Math.max(most, tenantMost));
    // Its tenant: a count the table keeps; the spawned spec counts against the creator's tenant.
    const inTenant = this.d.procs.inTenant(creator.tenant);
    if (inTenant + adding > tenantMost) {
      return Promise.reject(new AiosError("E_QUOTA", `agent ${creator.agent} may not spawn: tenant ${creator.tenant} has ${inTenant} agents and the spec brings ${adding > tenantMost ? `more than ${tenantMost}` : adding} (limit ${tenantMost} agents in one tenant)`, {
        details: { limit: tenantMost, tenant: creator.tenant, agents: inTenant, adding },
      }));
    }
    // The tree it belongs to, from its topmost ancestor: a spawn may not take it past the limit. No
    // tree holds more than the table does, so the tree is walked only when the table could pass it.
    if (this.d.procs.size + adding <= most) return this.spawn(spec, { parent: creator.agent });
    let root = self;
    while (root !== undefined && root.parent !== null) root = root.parent;
    const held = root === undefined ? 0 : liveAgents(root, most);
    if (held + adding > most) {
      const what = adding > 1 ? `its spec brings ${adding > most ? `more than ${most}` : adding} agents` : "one more agent";
      return Promise.reject(new AiosError("E_QUOTA", `agent ${creator.agent} may not spawn: the tree of ${root?.id ?? creator.agent} has ${held} alive and ${what} (limit ${most} agents in one tree)`, {
        details: { limit: most, alive: held, adding },
      }));
    }
    return this.spawn(spec, { parent: creator.agent });
  }

  /**
   * A durable root the cluster places on another node: its spawn record is journaled there by the
   * cluster's journal and the tree handed over; it never enters this table. Undefined: it runs here.
   */
  private async placeAway(spec: AgentSpec, logic: AgentLogic, by: Proc | null, link: SupervisorLink | undefined): Promise<AgentId | undefined> {
    const j = this.d.guards.journal;
    const p = this.d.procs.build(spec, logic, null, undefined, 0, by);
    try {
      if (!p.durable || j?.placeRoot === undefined) return undefined;
      const node = await j.placeRoot({ id: p.id, spec: storedSpec(p.spec), status: "pending", callSeq: p.callSeq, ...(link === undefined ? {} : { supervisor: link }) });
      return node === undefined ? undefined : p.id;
    } finally {
      // Built to be journaled, never entered here: what its build derived goes.
      if (by !== null) this.d.procs.abandon(p);
    }
  }

  /** A supervisor's child tree must be durable: its supervisor follows it through the cluster's journal. */
  private checkTree(spec: AgentSpec): void {
    if (!this.d.procs.durable(spec)) {
      throw new AiosError("E_INVALID_ARG", `child ${spec.name} asks for a tree of its own (placement.tree) but is not durable: a supervisor follows a child tree through the cluster's journal`, { details: { path: "placement.tree" } });
    }
  }

  /**
   * Builds a process under `parent` and enters it in the table (`slot`: in that child's place, for a
   * restarted child), announcing it.
   */
  enter(spec: AgentSpec, logic: AgentLogic, parent: Proc | null, id?: AgentId, incarnation = 0, slot?: Proc, by: Proc | null = parent): Proc {
    const procs = this.d.procs;
    const p = procs.build(spec, logic, parent, id, incarnation, by);
    procs.commit(p, slot);
    this.d.lifecycle.created(p);
    return p;
  }

  /**
   * The logic a spec names for an agent under `parent` (recovery re-resolves journaled specs, upgrade
   * a new one): a module is checked against the roots of whoever that agent's creator is; "agent"
   * when the creator is not known (a journaled parent that did not come back).
   */
  resolveLogicFor(spec: AgentSpec, parent: Proc | null | "agent"): AgentLogic | Promise<AgentLogic> {
    const origin = parent === "agent" ? "agent" : originOf(parent);
    if (namesModule(spec)) this.d.moduleRoots.checkTree(spec, origin);
    return this.d.logics.resolve(spec, origin);
  }

  /**
   * What resolveLogicFor would refuse, found without loading or running anything: every module of
   * the tree against the roots of the agent's creator, the logic name or kind known.
   */
  checkLogicFor(spec: AgentSpec, parent: Proc | null | "agent"): void {
    const origin = parent === "agent" ? "agent" : originOf(parent);
    if (namesModule(spec)) this.d.moduleRoots.checkTree(spec, origin);
    this.d.logics.check(spec, origin);
  }

  /**
   * A start that failed (init threw, the spawn record was refused, a supervisor's child could not
   * start) leaves nothing behind: the agent ends `failed` if it has not (its children with it), and
   * the process table takes it and what it started out, as if it had never entered.
   */
  private abandonStart(p: Proc, e: unknown): void {
    if (!isTerminal(p.status)) this.d.exit(p, "failed", `start failed: ${toAiosError(e).message}`, "abnormal");
    this.d.procs.discard(p, true);
  }

  /** The spec with what its model and tools imply, as far as its creator can give it (implied-caps.ts). */
  private withImplied(spec: AgentSpec, parent: Proc | null): AgentSpec {
    if (spec.kind === "code" && spec.tools.length === 0) return spec;
    const creator = creatorOf(parent);
    return withImplied(spec, creator === null ? null : asCreator(creator, this.d.guards.capabilities), (s) => this.parse(s));
  }
}
