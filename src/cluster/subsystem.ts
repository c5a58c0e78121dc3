/**
 * A cluster node as a kernel subsystem (docs/adr/0033): it provides the kernel's journal stages (the
 * fenced cluster journal, cluster-journal.ts) and ties the kernel's agents to the node's leases:
 *
 * - a root agent spawned here takes a lease for its tree at once (ClusterNode.claim) and journals
 *   under its epoch; its children share the tree's stream and lease;
 * - a lease acquired by the node (takeover of a dead node's tree, a tree placed or handed here) is
 *   loaded from PostgreSQL and adopted by the kernel (dormant, woken when it has mail);
 * - a lease lost (taken, expired, fenced, released) stops the tree here at once, journaling nothing;
 * - mail for agents on other nodes goes through cluster_mail (mailroom.ts); this node pulls its own
 *   when woken over NATS, after each heartbeat and after each adoption;
 * - an adopted agent's push subscriptions (sealed rows of cluster_topics) are restored into ipc/
 *   before that pull, so topic copies routed to it are admitted here (docs/adr/0047).
 *
 * Adoptions and evictions run one at a time, in the order the node reported them, and only after the
 * kernel finished booting (`start`). The node joins when `join(addr)` is called (aios up calls it
 * once the API listens, so the node row carries its URL) or at start with `joinAtStart`. Booting and
 * joining wait for PostgreSQL and NATS while they are unreachable (boot-retry.ts: a warning and a
 * `cluster.join.retry` event per retry); a configuration error fails them at once. At shutdown
 * the kernel stops its agents without journaling, then this flushes the journal and leaves (the
 * leases are released, so other nodes take the trees over at once).
 */
import { AiosError, isAiosError, toAiosError, type AgentId, type Clock, type TimerHandle } from "../core/index.js";
import { isTerminal, type Subsystem, type SubsystemHost, type TopicSubscription } from "../abi/index.js";
import { BootRetry } from "./boot-retry.js";
import { ClusterJournal } from "./cluster-journal.js";
import type { Refusal } from "./mail-intake.js";
import "./events.js";
import { parseClusterConfig, type ClusterConfig, type ClusterConfigInput } from "./config.js";
import { FencedJournal } from "./fenced-journal.js";
import { Directory, type HeldSubscription } from "./directory.js";
import { Mailroom } from "./mailroom.js";
import { ReplyBox } from "./replies.js";
import { MailSeal } from "./seal.js";
import { WakeBus } from "./nats-wake.js";
import { ClusterNode, type LossReason } from "./node.js";
import type { Lease, PlacementHints } from "./leases.js";
import { openClusterPool, type ClusterPool } from "./pg-pool.js";
import { plan, type Move } from "./rebalance.js";
import { migrateCluster } from "./schema.js";
import { Monitors } from "./monitors.js";

export interface ClusterSubsystemOptions {
  readonly postgres: string;
  /**
   * The cluster secret (at least 32 characters), the same on every node and kept out of PostgreSQL:
   * it seals every cross-node letter, so a row written into cluster_mail by anyone else is refused
   * (docs/adr/0038).
   */
  readonly secret: string;
  /** NATS for wake-ups; without it nodes learn of changes at their heartbeats only. */
  readonly nats?: string;
  /** Cluster and node names, timing, capacity, tags (config.ts); `addr` may come with join(). */
  readonly config: ClusterConfigInput;
  /** Schema of the cluster tables (default aios_cluster). */
  readonly schema?: string;
  /** The node's clock (default the kernel's). */
  readonly clock?: Clock;
  /** Heartbeat on the clock's timers (default true). */
  readonly autoBeat?: boolean;
  /** Join as soon as the kernel booted (default false: the caller calls join()). */
  readonly joinAtStart?: boolean;
  /** Lease changes, for logs and tests. */
  readonly onLease?: (e: { readonly tree: string; readonly epoch: number; readonly change: "acquired" | LossReason }) => void;
}

export interface ClusterService {
  readonly config: ClusterConfig;
  readonly journal: ClusterJournal;
  readonly pool: ClusterPool;
  /** The node, once joined. */
  node(): ClusterNode | undefined;
  /** Joins the cluster (once); `addr` is shown by `aios nodes`. */
  join(addr?: string): Promise<ClusterNode>;
  /** Resolves when every adoption and eviction reported so far is done (tests, migration). */
  settled(): Promise<void>;
  /**
   * Moves the tree holding `agent` to node `to` (docs/adr/0035): its writes so far committed, it stops
   * here without journaling, and `to` takes its lease and goes on from the journal (state and mailbox).
   */
  migrate(agent: string, to: string): Promise<{ readonly tree: string; readonly epoch: number }>;
  /**
   * Compacts now (docs/adr/0045): the journals of the trees held here (each folded into a snapshot,
   * fenced by its lease), then cluster_mail (handled rows keep only their keys until mailKeysMs) and
   * cluster_replies (untaken replies older than repliesMs). Also runs by itself: the journals at
   * compactRows, the tables every compactEveryMs.
   */
  compact(): Promise<CompactReport>;
  /**
   * One rebalancing round now (docs/adr/0050): when this node is hot, migrates trees it holds to the
   * least loaded nodes (rebalance.ts plan); resolves with the moves made. Also runs by itself every
   * rebalanceEveryMs on a node that heartbeats on its clock.
   */
  rebalance(): Promise<Move[]>;
}

export interface CompactReport {
  /** Trees whose journal was folded, and the journal rows that left. */
  readonly trees: number;
  readonly journalRows: number;
  /** Handled letters that lost their body (keys kept), and letters whose keys passed the horizon. */
  readonly mailStripped: number;
  readonly mailDeleted: number;
  readonly repliesDeleted: number;
}

export function clusterSubsystem(o: ClusterSubsystemOptions): Subsystem<"cluster", ClusterService> {
  return {
    name: "cluster",
    needs: [],
    async build(host) {
      const config = parseClusterConfig(o.config);
      const seal = new MailSeal(o.secret);
      // A node stopped inside one of its transactions holds row locks a takeover waits for (the lease
      // row, read FOR SHARE by every journal write): the server ends such a session once it was idle
      // for a whole TTL, by which time the node's leases have lapsed anyway.
      const pool = openClusterPool({
        url: o.postgres,
        ...(o.schema === undefined ? {} : { schema: o.schema }),
        idleInTransactionMs: config.ttlMs,
        onError: (e) => host.logger.warn({ err: e.message }, "cluster: a PostgreSQL connection failed; the pool replaces it"),
      });
      // PostgreSQL or NATS down or restarting: wait for it, saying so (a node restarted in the middle
      // of their restart must join once they are back, not exit); a configuration error ends the boot.
      const retry = new BootRetry({
        onRetry: (n) => {
          const data = { cluster: config.cluster, node: config.node, step: n.step, down: n.down, attempt: n.attempt, delayMs: n.delayMs, error: n.error.message };
          host.logger.warn(data, `cluster: ${n.down} unreachable (${n.step}); retrying in ${n.delayMs} ms`);
          host.events.emit("cluster.join.retry", data, undefined, "warn");
        },
      });
      let bus: WakeBus | undefined;
      try {
        await retry.until("migrating the cluster tables", "PostgreSQL", () => migrateCluster(pool));
        const nats = o.nats;
        if (nats !== undefined) bus = await retry.until("connecting to NATS", "NATS", () => WakeBus.open({ url: nats, cluster: config.cluster, node: config.node, onError: (e) => host.kernelError(e, "cluster wake-ups") }));
      } catch (e) {
        await pool.end().catch(() => undefined);
        throw e;
      }
      const member = new Member(host, o, config, pool, bus, seal, retry);
      return {
        service: member,
        stages: { journal: member.journal, syscallJournal: member.journal },
        start: () => member.start(),
        stop: () => member.stop(),
      };
    },
  };
}

class Member implements ClusterService {
  readonly journal: ClusterJournal;
  private joined: ClusterNode | undefined;
  private joining: Promise<ClusterNode> | undefined;
  private pullQueued = false;
  private readonly mailroom: Mailroom;
  private readonly replies: ReplyBox;
  private readonly directory: Directory;
  private readonly monitors: Monitors;
  private watchQueued = false;
  /** When cluster_mail and cluster_replies were last compacted here (the node's clock). */
  private tablesAt: number;
  /** The epoch at which each tree was last lost here, until an adoption of it looks (see acquired). */
  private readonly lostAt = new Map<string, number>();
  /** The rebalancing timer (autoBeat nodes with rebalanceEveryMs > 0). */
  private rebalanceTimer: TimerHandle | undefined;
  private stopping = false;
  /** Adoptions and evictions, one after the other; opened by start(). */
  private queue: Promise<void>;
  private open!: () => void;

  constructor(
    private readonly host: SubsystemHost,
    private readonly o: ClusterSubsystemOptions,
    readonly config: ClusterConfig,
    readonly pool: ClusterPool,
    private readonly bus: WakeBus | undefined,
    seal: MailSeal,
    private readonly retry: BootRetry,
  ) {
    this.queue = new Promise<void>((r) => (this.open = r));
    const now = (): number => this.clock.now();
    this.tablesAt = now();
    this.mailroom = new Mailroom(pool, config.cluster, config.node, seal, now, config.mailboxRows);
    this.replies = new ReplyBox(pool, config.cluster, config.node, seal, now);
    this.directory = new Directory(pool, config.cluster, config.node, seal);
    this.monitors = new Monitors(pool, config.cluster, config.node);
    this.journal = new ClusterJournal(new FencedJournal(pool, config.cluster), this.mailroom, {
      now: () => host.clock.now(),
      sleep: (ms) => host.clock.sleep(ms),
      parkLimit: host.maxParkedSenders,
      deliver: (to, letters) => host.adoptMail(to, letters),
      wakeReply: (node) => {
        // A lost wake-up costs the caller's node one heartbeat: it takes its replies at every beat.
        bus?.publish("reply", node).catch((e: unknown) => host.logger.warn({ err: String(e) }, "cluster: a reply wake-up was not published"));
      },
      replyLost: (call, route, e) => host.kernelError(e, `storing the reply to request ${call} for node ${route}`),
      forgedReply: (call, origin, detail) => this.forgedReply(call, origin, detail),
      acquire: (root, hints) => this.claim(root, hints),
      choose: (hints) => this.choose(hints),
      handOff: (root, epoch, to) => this.handOff(root, epoch, to),
      wake: (owner, agent) => {
        // A lost wake-up costs the owner one heartbeat: it pulls its mail at every beat.
        bus?.publish("mail", owner ?? "all", [agent]).catch((e: unknown) => host.logger.warn({ err: String(e) }, "cluster: a mail wake-up was not published"));
      },
      // ipc/'s receive-side checks, when ipc/ is on the stack (the kernel's remoteMail stage).
      vouch: (m) => host.guards.remoteMail?.vouch(m) ?? [],
      admit: (m, keys, origin) => host.guards.remoteMail?.admit(m, keys, origin) ?? null,
      refused: (r) => this.refused(r),
      forgedSkills: (agent, why) => {
        const reason = `cluster_skills row of ${agent} left out of intent routing: ${why}`;
        this.host.guards.audit?.record({ agent, syscall: "cluster.skills", decision: "denied", by: "cluster_skills", reason });
        this.host.logger.warn({ agent, why }, "cluster: a skills row was left out of intent routing");
      },
      onFenced: (key, epoch) => {
        const node = this.joined;
        if (node === undefined) return;
        node.drop(key, epoch, "fenced").catch((e: unknown) => host.kernelError(e, `releasing the fenced lease of ${key}`));
      },
    }, this.replies, this.directory, config.compactRows);
  }

  private get clock(): Clock {
    return this.o.clock ?? this.host.clock;
  }

  async compact(): Promise<CompactReport> {
    const j = await this.journal.compact();
    const t = await this.compactTables();
    return { trees: j.trees, journalRows: j.deleted, ...t };
  }

  private async compactTables(): Promise<Omit<CompactReport, "trees" | "journalRows">> {
    const now = this.clock.now();
    this.tablesAt = now;
    const mail = await this.mailroom.compact(now - this.config.mailKeysMs);
    const repliesDeleted = await this.replies.compact(now - this.config.repliesMs);
    return { mailStripped: mail.stripped, mailDeleted: mail.deleted, repliesDeleted };
  }

  node(): ClusterNode | undefined {
    return this.joined;
  }

  start(): void {
    this.open();
    if (this.o.joinAtStart === true) this.join().catch((e: unknown) => this.host.kernelError(e, `joining cluster ${this.config.cluster}`));
  }

  join(addr?: string): Promise<ClusterNode> {
    this.joining ??= ClusterNode.start({
      pool: this.pool,
      config: addr === undefined ? this.config : { ...this.config, addr },
      clock: this.clock,
      ...(this.bus === undefined ? {} : { bus: this.bus }),
      ...(this.o.autoBeat === undefined ? {} : { autoBeat: this.o.autoBeat }),
      retry: this.retry,
      onAcquire: (lease) => this.acquired(lease),
      onMail: () => this.pull(),
      onBeat: () => this.watch(),
      onLose: (tree, epoch, why) => this.lost(tree, epoch, why),
      onError: (e) => this.host.kernelError(e, `cluster node ${this.config.node}`),
    }).then((n) => {
      this.joined = n;
      if (this.o.autoBeat !== false) this.armRebalance();
      return n;
    });
    return this.joining;
  }

  async rebalance(): Promise<Move[]> {
    const node = this.joined;
    if (node === undefined) return [];
    const held = node.held();
    // Trees loaded here (adopted): a lease still being adopted is not moved before it is.
    const trees = this.journal.held().filter((k) => held.has(k)).sort().map((tree) => ({ tree, hints: this.journal.hintsOfTree(tree) }));
    const c = this.config;
    const moves = plan(c.node, await node.loads(), trees, { threshold: c.rebalanceThreshold, maxMoves: c.rebalanceMoves });
    const done: Move[] = [];
    for (const m of moves) {
      try {
        await this.migrate(m.tree, m.to);
        done.push(m);
      } catch (e) {
        // Lost or ended meanwhile, or the target left: the next round looks again.
        this.host.logger.warn({ tree: m.tree, to: m.to, err: toAiosError(e).message }, "cluster: a rebalancing move was not made");
      }
    }
    if (done.length > 0) this.host.events.emit("cluster.rebalanced", { node: c.node, moves: done });
    return done;
  }

  private armRebalance(): void {
    const every = this.config.rebalanceEveryMs;
    if (every === 0 || this.stopping) return;
    this.rebalanceTimer = this.clock.setTimeout(() => {
      this.rebalanceTimer = undefined;
      this.rebalance()
        .catch((e: unknown) => this.host.logger.warn({ err: toAiosError(e).message }, "cluster: a rebalancing round failed"))
        .finally(() => this.armRebalance());
    }, Math.max(every, 2 * this.config.heartbeatMs));
  }

  settled(): Promise<void> {
    return this.queue;
  }

  async migrate(agent: string, to: string): Promise<{ tree: string; epoch: number }> {
    const node = this.joined;
    const tree = this.journal.streamKeyOf(agent);
    const lease = tree === undefined ? undefined : node?.held().get(tree);
    if (node === undefined || tree === undefined || lease === undefined) {
      throw new AiosError("E_NO_AGENT", `agent ${agent} is not held by node ${this.config.node}`, { details: { agent, node: this.config.node } });
    }
    // Every write made so far is committed before the tree stops here; the new owner reads them all.
    await this.journal.flush();
    await node.handover(tree, to);
    await this.queue;
    return { tree, epoch: lease.epoch };
  }

  private member(agent: string): ClusterNode {
    const node = this.joined;
    if (node === undefined) {
      throw new AiosError("E_UNAVAILABLE", `node ${this.config.node} has not joined cluster ${this.config.cluster} yet: a durable agent needs a lease`, { details: { agent } });
    }
    return node;
  }

  /** Where a new root goes: another node, or undefined for here (node.ts choose). */
  private choose(hints: PlacementHints): Promise<string | undefined> {
    return this.joined === undefined ? Promise.resolve(undefined) : this.joined.choose(hints);
  }

  /** Hands a new root journaled here to `to`; when `to` cannot take it now, releases it to any node. */
  private async handOff(root: string, epoch: number, to: string): Promise<void> {
    const node = this.member(root);
    try {
      await node.handover(root, to);
    } catch (e) {
      if (isAiosError(e, "E_NO_AGENT")) return; // lost meanwhile: its new owner starts it from the journal
      if (!isAiosError(e, "E_INVALID_ARG")) throw e;
      await node.drop(root, epoch, "released");
    }
  }

  private async claim(root: string, hints: PlacementHints = {}): Promise<Lease> {
    const lease = await this.member(root).claim(root, hints);
    this.o.onLease?.({ tree: root, epoch: lease.epoch, change: "acquired" });
    return lease;
  }

  private then(what: string, fn: () => Promise<void>): void {
    this.queue = this.queue.then(fn).catch((e: unknown) => this.host.kernelError(e, what));
  }

  /**
   * Moves waiting cross-node mail into the journals and mailboxes here and answers this node's requests
   * whose replies came; coalesces requests.
   */
  private pull(): void {
    if (this.pullQueued) return;
    this.pullQueued = true;
    this.then("pulling cross-node mail", async () => {
      this.pullQueued = false;
      await this.journal.pullMail();
      await this.journal.pullReplies();
      const every = this.config.compactEveryMs;
      if (every > 0 && this.clock.now() - this.tablesAt >= every) await this.compactTables();
    });
  }

  /**
   * Supervision across nodes (docs/adr/0048), once per beat: the supervisors held here are told of
   * their child trees that ended or whose node died, each report marked told once applied; child
   * trees held here that their supervisor let go are stopped (journaled, as a kill).
   */
  private watch(): void {
    if (this.watchQueued) return;
    this.watchQueued = true;
    this.then("supervising child trees across nodes", async () => {
      this.watchQueued = false;
      for (const d of await this.monitors.downs()) {
        if ((await this.host.remoteDown(d)) === "applied") await this.monitors.told(d);
      }
      for (const g of await this.monitors.letGo()) {
        if (this.host.agent(g.agent) !== undefined) await this.host.stopAgent(g.agent as AgentId, g.reason);
      }
    });
  }

  /** A reply row addressed here whose seal failed: never handed to a caller; audited and reported. */
  private forgedReply(call: string, origin: string, detail: string): void {
    this.host.guards.audit?.record({ agent: call, syscall: "cluster.reply", decision: "denied", by: `node:${origin}`, reason: `reply to request ${call} refused (forged: ${detail})` });
    this.host.events.emit("cluster.mail.refused", { row: null, recipient: this.config.node, origin, reason: "forged", detail: `reply to request ${call}: ${detail}` }, undefined, "warn");
    this.host.logger.warn({ call, origin, detail }, "cluster: a reply from another node was refused");
  }

  /** A letter from another node refused here: audited, an event, a warning (its row keeps the reason). */
  private refused(r: Refusal): void {
    const reason = `${r.reason}: ${r.detail}`;
    const by = r.origin === null ? "cluster_mail (no origin)" : `node:${r.origin}`;
    this.host.guards.audit?.record({ agent: r.recipient, syscall: "cluster.mail", decision: "denied", by, reason: `cluster_mail row ${r.row} refused (${reason})` });
    this.host.events.emit("cluster.mail.refused", { row: r.row, recipient: r.recipient, origin: r.origin, reason: r.reason, detail: r.detail }, r.recipient as AgentId, "warn");
    this.host.logger.warn({ row: r.row, recipient: r.recipient, origin: r.origin, reason: r.reason, detail: r.detail }, "cluster: a letter from another node was refused");
  }

  private acquired(lease: Lease): void {
    this.then(`adopting tree ${lease.agent}`, async () => {
      // Lost again while earlier work ran: nothing to adopt.
      if (this.joined !== undefined && this.joined.held().get(lease.agent)?.epoch !== lease.epoch) return;
      let state, topics;
      try {
        state = await this.journal.load(lease);
        // Only a stack with ipc/ has subscriptions to restore (its remoteMail stage).
        topics = this.host.guards.remoteMail?.resubscribe === undefined ? [] : await this.directory.held(state.agents.map((a) => a.id));
      } catch (e) {
        // Unreadable now: give the lease back so this node or another tries again.
        await this.joined?.drop(lease.agent, lease.epoch, "released");
        throw toAiosError(e);
      }
      // Lost while it loaded (the eviction ran at once, before this stream existed): let it go.
      const lostEpoch = this.lostAt.get(lease.agent);
      this.lostAt.delete(lease.agent);
      if (lostEpoch !== undefined && lostEpoch >= lease.epoch) {
        this.journal.drop(lease.agent, "lost while loading");
        return;
      }
      const out = await this.host.adoptAgents(state);
      this.resubscribe(lease.agent, topics);
      this.o.onLease?.({ tree: lease.agent, epoch: lease.epoch, change: "acquired" });
      this.pull(); // letters posted while the tree had no owner
      for (const f of out.failed) this.host.kernelError(new AiosError("E_AGENT_CRASHED", `agent ${f.id} of tree ${lease.agent} could not be adopted: ${f.reason}`, { details: { agent: f.id } }), "cluster takeover");
    });
  }

  /**
   * The subscriptions the adopted agents made where they ran before hold here too (docs/adr/0047, 0068):
   * sealed rows only; an unsealed one (written by hand) is audited and reported, never restored.
   */
  private resubscribe(tree: string, rows: readonly HeldSubscription[]): void {
    const byAgent = new Map<string, TopicSubscription[]>();
    for (const r of rows) {
      if (!r.sealed) {
        const reason = `cluster_topics row (${r.agent}, ${r.pattern}, ${r.mode}) not restored on adopting tree ${tree}: its seal does not verify`;
        this.host.guards.audit?.record({ agent: r.agent, syscall: "cluster.topics", decision: "denied", by: "cluster_topics", reason });
        this.host.logger.warn({ agent: r.agent, pattern: r.pattern, tree }, "cluster: an unsealed subscription was not restored");
        continue;
      }
      const a = this.host.agent(r.agent);
      if (a === undefined || isTerminal(a.status)) continue; // not adopted here, or ended
      byAgent.set(r.agent, [...(byAgent.get(r.agent) ?? []), { pattern: r.pattern, mode: r.mode }]);
    }
    for (const [agent, subs] of byAgent) this.host.guards.remoteMail?.resubscribe?.(agent as AgentId, subs);
  }

  private lost(tree: string, epoch: number, why: LossReason): void {
    // At once, not behind queued work (a pull, an adoption waiting on PostgreSQL): until it leaves the
    // table, an agent of the tree that crashed on a fenced write would be "failed" here, and a local
    // sender would be refused (E_NO_AGENT) instead of mailing the tree's new owner (fault suite).
    this.lostAt.set(tree, epoch);
    const ids = this.journal.drop(tree, why) as AgentId[];
    this.host.evictAgents(ids, `its lease (epoch ${epoch}) was ${why}`);
    this.then(`stopping tree ${tree}`, () => {
      this.o.onLease?.({ tree, epoch, change: why });
      return Promise.resolve();
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.retry.stop(); // a join still waiting for PostgreSQL or NATS ends
    if (this.rebalanceTimer !== undefined) this.clock.clearTimeout(this.rebalanceTimer);
    await this.journal.close();
    try {
      await (await this.joining?.catch(() => undefined))?.stop();
    } finally {
      await this.queue;
      await this.bus?.close().catch(() => undefined);
      await this.pool.end().catch(() => undefined);
    }
  }
}
