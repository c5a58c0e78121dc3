/**
 * One cluster node (docs/adr/0028): joins, heartbeats on its injected clock, renews its leases in the
 * heartbeat's transaction, notices leases taken from it, takes over agents whose leases expired (or
 * that were placed on it), and leaves gracefully by releasing everything. It owns `held` — the leases
 * this node believes it has — and nothing else: the pool and the wake bus belong to the caller.
 *
 * Single activation rests on the fence (schema.ts), not on this bookkeeping: a node that misses a
 * beat still cannot write once another node holds a newer epoch. The bookkeeping only makes it stop
 * early: an agent missing from the renewal's answer was taken ("taken"); when no renewal succeeded
 * for a whole TTL, every lease is dropped locally ("expired"), since others may take them now.
 */
import { AiosError, toAiosError, type Clock, type TimerHandle } from "../core/index.js";
import type { BootRetry, Needed } from "./boot-retry.js";
import type { ClusterConfig } from "./config.js";
import { toClusterError } from "./errors.js";
import { LeaseTable, type Lease, type PlacementHints } from "./leases.js";
import { NodeTable, type NodeInfo } from "./membership.js";
import type { WakeBus } from "./nats-wake.js";
import { eligible, place, type Candidate } from "./placement.js";
import { migrateCluster } from "./schema.js";
import type { ClusterPool } from "./pg-pool.js";
import { inTransaction, naming } from "./sql.js";

export type LossReason = "taken" | "expired" | "released" | "fenced";

export interface ClusterNodeOptions {
  readonly pool: ClusterPool;
  readonly config: ClusterConfig;
  readonly clock: Clock;
  /** Wake-ups to and from other nodes; without it a node learns only at its heartbeats. */
  readonly bus?: WakeBus;
  /** A lease was acquired: the agent may be activated under `lease.epoch`. */
  readonly onAcquire?: (lease: Lease) => void;
  /** A lease is gone: the activation must stop (its writes would be refused anyway). */
  readonly onLose?: (agent: string, epoch: number, why: LossReason) => void;
  /** Failures of background heartbeats and wake-ups (the node keeps beating). */
  readonly onError?: (e: AiosError) => void;
  /** Letters (or replies) may wait for this node: a "mail" or "reply" wake-up came, or a beat ran. */
  readonly onMail?: () => void;
  /** A beat ran (after onMail): what the node reads once per heartbeat (supervision across nodes). */
  readonly onBeat?: () => void;
  /** Heartbeat on the clock's timers (default true); tests may call beat() by hand instead. */
  readonly autoBeat?: boolean;
  /** Retries of start()'s steps while PostgreSQL or NATS is unreachable (default: none, start fails). */
  readonly retry?: BootRetry;
}

export interface BeatReport {
  /** Leases renewed (this node's load). */
  readonly renewed: number;
  /** Agents found taken by another node at this beat. */
  readonly lost: readonly string[];
  /** Leases acquired by this beat's takeover scan. */
  readonly acquired: readonly Lease[];
}

export interface Placed {
  /** The node chosen (or holding it already); undefined when no live node can take the agent. */
  readonly node: string | undefined;
  /** Set when this node acquired it. */
  readonly lease: Lease | null;
}

export class ClusterNode {
  private readonly leases: LeaseTable;
  private readonly nodes: NodeTable;
  private readonly mine = new Map<string, Lease>();
  /** Agents this node's place() is acquiring: its own takeover scan leaves them to it. */
  private readonly placing = new Set<string>();
  /** Roots choose() placed since the last beat, by node (their targets may not hold them yet). */
  private readonly sent = new Map<string, number>();
  private lastRenewed: number;
  private timer: TimerHandle | undefined;
  private running: Promise<BeatReport> | undefined;
  private again = false;
  private stopped = false;

  private constructor(private readonly o: ClusterNodeOptions) {
    this.leases = new LeaseTable(o.pool, o.config.cluster);
    this.nodes = new NodeTable(o.pool, o.config.cluster);
    this.lastRenewed = o.clock.now();
  }

  /** Migrates the cluster tables, joins, listens for wake-ups, runs a first beat and starts beating. */
  static async start(o: ClusterNodeOptions): Promise<ClusterNode> {
    // Each step on its own: a retried step never repeats one that succeeded (the bus subscribes once).
    const until = <T>(step: string, down: Needed, fn: () => Promise<T>): Promise<T> => (o.retry === undefined ? fn() : o.retry.until(step, down, fn));
    await until("migrating the cluster tables", "PostgreSQL", () => migrateCluster(o.pool));
    const n = new ClusterNode(o);
    const { config: c } = o;
    await until(`joining cluster ${c.cluster}`, "PostgreSQL", () => n.nodes.join({ node: c.node, addr: c.addr, capacity: c.capacity, tags: c.tags }, o.clock.now(), c.ttlMs));
    const bus = o.bus;
    if (bus !== undefined) {
      await until("subscribing to wake-ups", "NATS", () => bus.subscribe((w) => (w.kind === "mail" || w.kind === "reply" ? o.onMail?.() : n.kick())));
      await n.wake("joined", "all", []);
    }
    await until("the first heartbeat", "PostgreSQL", () => n.beat());
    if (o.autoBeat !== false) n.arm();
    return n;
  }

  get name(): string {
    return this.o.config.node;
  }

  /** The leases this node holds, by agent. */
  held(): ReadonlyMap<string, Lease> {
    return this.mine;
  }

  /** Every node of the cluster with its load (live first). */
  list(): Promise<NodeInfo[]> {
    return this.nodes.list(this.o.clock.now());
  }

  /**
   * Places an agent: records it (with its hints) and, when placement picks this node, acquires it;
   * when it picks another node, wakes that node, which acquires it at once (or at its next beat).
   */
  async place(agent: string, hints: PlacementHints = {}): Promise<Placed> {
    this.placing.add(agent);
    try {
      return await this.placeOnce(agent, hints);
    } finally {
      this.placing.delete(agent);
    }
  }

  private async placeOnce(agent: string, hints: PlacementHints): Promise<Placed> {
    const now = this.o.clock.now();
    await this.leases.register(agent, hints);
    const row = await this.leases.get(agent);
    if (row !== undefined && row.owner !== null && row.expiresAt > now) return { node: row.owner, lease: this.mine.get(agent) ?? null };
    const target = place(await this.candidates(now), row?.hints ?? hints);
    if (target === this.name) {
      const lease = await this.leases.acquire(agent, this.name, now, this.o.config.ttlMs);
      if (lease !== null) this.gain(lease);
      return { node: lease === null ? (await this.leases.get(agent))?.owner ?? undefined : this.name, lease };
    }
    if (target !== undefined) await this.wake("placed", target, [agent]);
    return { node: target, lease: null };
  }

  /**
   * Where a new root spawned on this node runs (docs/adr/0050): another live node when placement
   * picks one whose load ratio is lower than this node's by more than placementSlack, or the one its
   * hints prefer, or one with the tags they require that this node lacks; else undefined (here). The
   * choices made since this node's last beat count on their nodes (a target may not hold its root yet;
   * one that does counts it twice until then, which only spreads a burst wider).
   * E_UNAVAILABLE when no live node carries the tags the hints require.
   */
  async choose(hints: PlacementHints = {}): Promise<string | undefined> {
    const candidates = (await this.candidates(this.o.clock.now())).map((c) => ({ ...c, held: c.held + (this.sent.get(c.node) ?? 0) }));
    const target = place(candidates, hints);
    const self = candidates.find((c) => c.node === this.name);
    if (target === undefined) {
      if (self !== undefined && (hints.tags ?? []).every((t) => self.tags.includes(t))) return undefined; // full everywhere: here, as before
      throw new AiosError("E_UNAVAILABLE", `no live node of cluster ${this.o.config.cluster} carries the tags ${JSON.stringify(hints.tags ?? [])}`, { retryable: true, details: { path: "placement.tags" } });
    }
    if (target === this.name) return this.keep(undefined);
    const best = candidates.find((c) => c.node === target);
    // Only for a load lower by more than the slack (or a preference, or tags this node lacks): a
    // cluster about even keeps its spawns where they are made (no handover, no second epoch).
    if (hints.node !== target && self !== undefined && best !== undefined && eligible(self, hints)) {
      const slack = this.o.config.placementSlack * self.capacity * best.capacity;
      if (self.held * best.capacity - best.held * self.capacity <= slack) return this.keep(undefined);
    }
    return this.keep(target);
  }

  /** Counts a choice on its node until the next beat (undefined: this node). */
  private keep(target: string | undefined): string | undefined {
    const node = target ?? this.name;
    this.sent.set(node, (this.sent.get(node) ?? 0) + 1);
    return target;
  }

  /**
   * Takes the lease of a new agent (a tree spawned on this node) for this node, without onAcquire:
   * there is nothing to load. E_CONFLICT when another node holds it live.
   */
  async claim(agent: string, hints: PlacementHints = {}): Promise<Lease> {
    if (this.stopped) throw new AiosError("E_UNAVAILABLE", `node ${this.name} has left cluster ${this.o.config.cluster}`, { details: { node: this.name } });
    const lease = await this.leases.acquire(agent, this.name, this.o.clock.now(), this.o.config.ttlMs, hints);
    if (lease === null) throw new AiosError("E_CONFLICT", `agent ${agent} is held by another node`, { retryable: false, details: { agent, node: this.name } });
    this.mine.set(agent, lease);
    return lease;
  }

  /**
   * Gives up a lease this node holds at `epoch` (a write of it was fenced, or it moves away): dropped
   * here (onLose with `why`), released in PostgreSQL when still ours (a CAS at that epoch: a newer
   * owner is untouched), and the others woken to take it.
   */
  async drop(agent: string, epoch: number, why: LossReason): Promise<void> {
    if (this.mine.get(agent)?.epoch !== epoch) return;
    this.lose(agent, epoch, why);
    if (await this.leases.release(agent, this.name, epoch)) await this.wake("released", "all", [agent]);
  }

  /**
   * Moves an agent (tree) this node holds to node `to` (docs/adr/0035): the lease is released with
   * `to` as its preferred node, dropped here (onLose "released"), and `to` is woken to take it.
   * E_INVALID_ARG when `to` is not a live node that could take it.
   */
  async handover(agent: string, to: string): Promise<void> {
    const lease = this.mine.get(agent);
    if (lease === undefined) throw new AiosError("E_NO_AGENT", `agent ${agent} is not held by node ${this.name}`, { details: { agent, node: this.name } });
    const target = (await this.candidates(this.o.clock.now())).find((c) => c.node === to);
    if (target === undefined || to === this.name) throw new AiosError("E_INVALID_ARG", `node ${to} is not another live node of cluster ${this.o.config.cluster}`, { details: { path: "node", node: to } });
    if (!(await this.leases.handover(agent, this.name, lease.epoch, to))) return; // lost meanwhile: not ours to move
    this.lose(agent, lease.epoch, "released");
    await this.wake("placed", to, [agent]);
  }

  /** One heartbeat: renew (node row + leases, one transaction), then the takeover scan. */
  beat(): Promise<BeatReport> {
    if (this.running !== undefined) {
      this.again = true;
      return this.running;
    }
    const run = this.beatOnce()
      .then((r) => {
        this.o.onMail?.(); // a lost mail wake-up costs one beat
        this.o.onBeat?.();
        return r;
      })
      .finally(() => {
      this.running = undefined;
      if (this.again && !this.stopped) {
        this.again = false;
        this.kick();
      }
    });
    this.running = run;
    return run;
  }

  /** Leaves: stops beating, releases every lease (kept epochs), marks the node left, wakes the others. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    const now = this.o.clock.now();
    const released = await naming(`leaving cluster ${this.o.config.cluster}`, { node: this.name }, () =>
      inTransaction(this.o.pool, async (c) => {
        const r = await this.leases.releaseAll(c, this.name);
        await this.nodes.leave(c, this.name, now);
        return r;
      }),
    );
    for (const [agent, lease] of [...this.mine]) this.lose(agent, lease.epoch, "released");
    await this.wake("left", "all", released);
  }

  private async beatOnce(): Promise<BeatReport> {
    const { config: c, clock } = this.o;
    const now = clock.now();
    this.sent.clear();
    const before = new Map(this.mine);
    let renewed: Lease[];
    let present: boolean;
    try {
      [renewed, present] = await inTransaction(this.o.pool, async (tx) => {
        const r = await this.leases.renew(tx, this.name, now, c.ttlMs);
        return [r, await this.nodes.beat(tx, this.name, now, c.ttlMs, r.length)] as const;
      });
    } catch (e) {
      // No renewal for a whole TTL: others may take our agents now; stop them here first.
      if (now - this.lastRenewed >= c.ttlMs) for (const [agent, lease] of [...this.mine]) this.lose(agent, lease.epoch, "expired");
      throw toClusterError(e, `heartbeat of ${this.name}`, { node: this.name });
    }
    this.lastRenewed = now;
    if (!present) await this.nodes.join({ node: this.name, addr: c.addr, capacity: c.capacity, tags: c.tags }, now, c.ttlMs);
    const still = new Map(renewed.map((l) => [l.agent, l]));
    const lost: string[] = [];
    // Only leases held when the renewal started can be judged by it (place() may acquire meanwhile).
    for (const [agent, lease] of before) {
      if (still.get(agent)?.epoch === lease.epoch || this.mine.get(agent) !== lease) continue;
      lost.push(agent);
      this.lose(agent, lease.epoch, "taken");
    }
    for (const l of renewed) {
      if (this.mine.get(l.agent)?.epoch === l.epoch) {
        this.mine.set(l.agent, l);
      } else if (!this.mine.has(l.agent)) {
        // Owned here in PostgreSQL but run by no activation of this process (a previous incarnation of
        // this node name, or leases dropped during an outage): release it, so the scan below (or
        // another node) reacquires it under a new epoch instead of renewing an orphan forever.
        await this.leases.release(l.agent, this.name, l.epoch);
      }
    }
    return { renewed: this.mine.size, lost, acquired: await this.takeover(now) };
  }

  /** Acquires the claimable leases that placement assigns to this node. */
  private async takeover(now: number): Promise<Lease[]> {
    const claimable = await this.leases.claimable(now);
    if (claimable.length === 0) return [];
    const candidates = (await this.candidates(now)).map((x) => ({ ...x }));
    const acquired: Lease[] = [];
    for (const row of claimable) {
      if (this.placing.has(row.agent)) continue; // registered unowned a moment ago by place(), which acquires it
      const target = place(candidates, row.hints);
      if (target === undefined) continue;
      const cand = candidates.find((x) => x.node === target);
      if (cand !== undefined) cand.held++; // spread this scan's assignments as placement would
      if (target !== this.name) continue;
      // Waiting at most one heartbeat for the row's lock: a stopped owner's open transaction must not
      // stop this node's own heartbeats (leases.ts); the next beat tries again.
      const lease = await this.leases.acquire(row.agent, this.name, now, this.o.config.ttlMs, {}, this.o.config.heartbeatMs);
      if (lease === null) continue; // another node won the race (or holds the row locked): the next beat looks again
      this.gain(lease);
      acquired.push(lease);
    }
    return acquired;
  }

  /** The live nodes as placement sees them now: held leases, capacity, tags (this node always). */
  loads(): Promise<Candidate[]> {
    return this.candidates(this.o.clock.now());
  }

  private async candidates(now: number): Promise<Candidate[]> {
    const [nodes, counts] = await Promise.all([this.nodes.list(now), this.leases.heldCounts(now)]);
    const live = nodes.filter((n) => n.live || n.node === this.name);
    return live.map((n) => ({ node: n.node, held: counts.get(n.node) ?? 0, capacity: n.capacity, tags: n.tags }));
  }

  private gain(lease: Lease): void {
    this.mine.set(lease.agent, lease);
    this.o.onAcquire?.(lease);
  }

  private lose(agent: string, epoch: number, why: LossReason): void {
    this.mine.delete(agent);
    this.o.onLose?.(agent, epoch, why);
  }

  private async wake(kind: "joined" | "left" | "placed" | "released", to: string, agents: readonly string[]): Promise<void> {
    try {
      await this.o.bus?.publish(kind, to, agents);
    } catch (e) {
      // A lost wake-up costs one heartbeat period, never correctness (the next beat re-reads PostgreSQL).
      this.o.onError?.(toAiosError(e, "E_UNAVAILABLE"));
    }
  }

  /** Runs a beat soon (a wake-up arrived); errors go to onError. */
  private kick(): void {
    if (this.stopped) return;
    this.beat().catch((e: unknown) => this.o.onError?.(toAiosError(e, "E_UNAVAILABLE")));
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      this.beat()
        .catch((e: unknown) => this.o.onError?.(e instanceof AiosError ? e : toAiosError(e, "E_UNAVAILABLE")))
        .finally(() => this.arm());
    }, this.o.config.heartbeatMs);
  }
}
