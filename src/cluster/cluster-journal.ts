/**
 * The kernel's journal on a cluster node (docs/adr/0033): KernelJournal and SyscallJournal over the
 * fenced per-agent journal in PostgreSQL (fenced-journal.ts). The unit of ownership is an agent
 * tree: a root agent and everything spawned under it share one stream of cluster_journal rows, keyed
 * by the root's id, under one lease — the kernel wakes, runs and supervises a tree as a unit, so a
 * supervisor and its children are never split across nodes.
 *
 * Rows hold the store's own journal records (store/records.ts), so the fold is the store's
 * JournalState: replay after a takeover is the same code as replay after a restart. Every record is
 * written under the stream's lease epoch; PostgreSQL's fence refuses it when a newer epoch exists, and
 * then the stream is dead here: every pending and later write of it is refused, and `onFenced` tells
 * the node, which stops the tree locally. A write PostgreSQL did not confirm kills the stream the same
 * way, and so does a durable sender's letter it did not confirm: the tree restarts from what
 * PostgreSQL holds (docs/adr/0044). A record joins the fold only once committed, so `lookup` and
 * `sent` never answer from a write PostgreSQL did not keep.
 *
 * The streams, their group commit and fold are tree-streams.ts; cross-node mail and replies are
 * mail-intake.ts. `recover()` is empty: a cluster node holds no agents at boot; they arrive as its
 * leases do (`load`) and leave as they go (`drop`).
 */
import { toAiosError, type AgentId, type MessageId, type SerializedError } from "../core/index.js";
import { isTerminal, type Caller, type KernelJournal, type RecoveredState, type StoredAgent, type StoredMessage, type SyscallJournal, type SyscallName, type TopicDirectory, type SkillDirectory, type SkillEntry } from "../abi/index.js";
import type { Directory } from "./directory.js";
import { enqueueRecord, handledRecord, intentRecord, resultRecord, spawnRecord, transitionRecord } from "../store/index.js";
import { isFenced } from "./errors.js";
import type { DirectoryEntry, FencedJournal } from "./fenced-journal.js";
import type { Lease, PlacementHints } from "./leases.js";
import type { Mailroom } from "./mailroom.js";
import { MailIntake, type MailIntakeHooks } from "./mail-intake.js";
import type { ReplyBox } from "./replies.js";
import { TreeStreams } from "./tree-streams.js";

export interface ClusterJournalHooks extends MailIntakeHooks {
  /** A lease for a new tree rooted at `root` (placement and acquisition, node.ts). */
  readonly acquire: (root: string, hints: PlacementHints) => Promise<Pick<Lease, "agent" | "epoch">>;
  /** Where a new root goes (docs/adr/0050): another node's name, or undefined for this node. */
  readonly choose?: (hints: PlacementHints) => Promise<string | undefined>;
  /** Hands the tree `root`, held here at `epoch`, to node `to` (or to any node when `to` cannot take it). */
  readonly handOff?: (root: string, epoch: number, to: string) => Promise<void>;
  /** A cluster_skills row left out of intent routing (its seal does not verify, or it does not parse). */
  readonly forgedSkills?: (agent: string, why: string) => void;
  /** PostgreSQL refused a write of stream `key`: the lease is lost; the node stops the tree. */
  readonly onFenced: (key: string, epoch: number) => void;
}

/** The longest a request may wait for its reply (the kernel's request timer answers first). */
const MAX_REQUEST_MS = 600_000;

function directoryEntry(a: StoredAgent): DirectoryEntry {
  const e = { agent: a.id, name: a.spec.name, ended: isTerminal(a.status) };
  return a.supervisor === undefined ? e : { ...e, supervisor: a.supervisor.supervisor, slot: a.supervisor.slot };
}

/** A root spec's placement hints (docs/adr/0050); a journaled spec is read, not trusted. */
export function hintsOf(spec: unknown): PlacementHints {
  const p = (spec as { placement?: { node?: unknown; tags?: unknown } } | null | undefined)?.placement;
  if (p === undefined || p === null) return {};
  const tags = Array.isArray(p.tags) ? p.tags.filter((t): t is string => typeof t === "string") : [];
  return { ...(typeof p.node === "string" ? { node: p.node } : {}), ...(tags.length === 0 ? {} : { tags }) };
}

export class ClusterJournal implements KernelJournal, SyscallJournal {
  private readonly streams: TreeStreams;
  private readonly intake: MailIntake;

  /** The cluster's push subscriptions (docs/adr/0041); ipc/ reads it through the kernel's host. */
  readonly topics?: TopicDirectory;
  /** The cluster's intent skills (docs/adr/0055); ipc/ reads it through the kernel's host. */
  readonly skills?: SkillDirectory;

  /** `compactRows`: journal rows a tree holds before it is folded into a snapshot (0: on demand only). */
  constructor(journal: FencedJournal, mail: Mailroom, private readonly hooks: ClusterJournalHooks, replies?: ReplyBox, directory?: Directory, compactRows?: number) {
    // A local letter waits for the cross-node letters stored for its recipient before it (docs/adr/0073).
    this.streams = new TreeStreams(journal, hooks.onFenced, compactRows, (agents) => this.intake.makeWay(agents));
    this.intake = new MailIntake(this.streams, mail, hooks, replies, directory);
    if (directory !== undefined) {
      this.topics = {
        subscribe: (agent, pattern, on, mode) => directory.subscribe(agent, pattern, on, mode),
        subscribers: async (topic) => (await directory.subscribers(topic)) as AgentId[],
      };
      this.skills = {
        record: (agent, skills) => directory.recordSkills(agent, skills),
        live: async () => (await directory.liveSkills((agent, why) => hooks.forgedSkills?.(agent, why))) as { agent: AgentId; skills: SkillEntry[] }[],
      };
    }
  }

  /** The fold of every agent this node holds (all its streams). */
  get state(): TreeStreams["state"] {
    return this.streams.state;
  }

  /** Requests of this node still waiting for a reply from another node. */
  get waitingReplies(): number {
    return this.intake.waitingReplies;
  }

  /** Stream keys (tree roots) held here. */
  held(): string[] {
    return this.streams.held();
  }

  /** The placement hints of the root of tree `key` held here (its journaled spec's). */
  hintsOfTree(key: string): PlacementHints {
    return hintsOf(this.streams.state.agents.get(key)?.spec);
  }

  /** The tree root whose stream holds `agent`, when this node holds it. */
  streamKeyOf(agent: string): string | undefined {
    return this.streams.of(agent)?.key;
  }

  /** Takes over a tree's stream under `lease` (tree-streams.ts load). */
  load(lease: Pick<Lease, "agent" | "epoch">): Promise<RecoveredState> {
    return this.streams.load(lease);
  }

  /** Forgets a stream here (its lease is gone): pending writes are refused, its agents leave the fold. */
  drop(key: string, why: string): string[] {
    return this.streams.drop(key, why);
  }

  /**
   * Folds the journal of tree `key` (every tree held here when omitted) into a snapshot now, between
   * two of its batches (docs/adr/0045); resolves with the rows deleted. E_CONFLICT (fenced) when the
   * tree is not held here or its lease moved on: a stale owner's compaction is refused by PostgreSQL.
   */
  async compact(key?: string): Promise<{ readonly trees: number; readonly deleted: number }> {
    const keys = key === undefined ? this.streams.held() : [key];
    const deleted = await Promise.all(keys.map((k) => this.streams.compact(k)));
    return { trees: keys.length, deleted: deleted.reduce((a, b) => a + b, 0) };
  }

  /** This node's name as the reply route of requests journaled here (docs/adr/0050). */
  get replyRoute(): string {
    return this.intake.node;
  }

  /** Keeps a request's callback when its agent leaves this node, for its next owner's reply (docs/adr/0050). */
  keepReply(id: MessageId, reply: (err: Error | null, value?: unknown) => void): boolean {
    return this.intake.keep(id, reply, MAX_REQUEST_MS);
  }

  /**
   * Places a new root (docs/adr/0050): when placement picks another node, the spawn record is
   * journaled here under a lease of this node, then the tree is handed to that node, which starts it
   * from the journal under the next epoch (no activation here). Undefined: it runs here.
   */
  async placeRoot(a: StoredAgent): Promise<string | undefined> {
    const { choose, handOff } = this.hooks;
    if (choose === undefined || handOff === undefined) return undefined;
    const hints = hintsOf(a.spec);
    const to = await choose(hints);
    if (to === undefined) return undefined;
    const lease = await this.hooks.acquire(a.id, hints);
    const s = this.streams.open(a.id, lease.epoch);
    this.streams.adopt(s, a.id);
    await this.streams.append(s, spawnRecord(a), { agent: directoryEntry(a) });
    await handOff(a.id, lease.epoch, to);
    return to;
  }

  spawned(a: StoredAgent): Promise<void> {
    const rec = spawnRecord(a);
    const entry = directoryEntry(a);
    const known = this.streams.of(a.id);
    if (known !== undefined) return this.streams.append(known, rec, { agent: entry }); // a restart under the same id
    if (a.parent !== undefined) {
      let s;
      try {
        s = this.streams.stream(a.parent, `spawning ${a.id}`);
      } catch (e) {
        return Promise.reject(toAiosError(e));
      }
      this.streams.adopt(s, a.id);
      return this.streams.append(s, rec, { agent: entry });
    }
    // A new tree: its own stream, under a lease taken for it.
    return this.hooks.acquire(a.id, hintsOf(a.spec)).then((lease) => {
      const s = this.streams.open(a.id, lease.epoch);
      this.streams.adopt(s, a.id);
      return this.streams.append(s, rec, { agent: entry });
    });
  }

  transitioned(id: AgentId, to: StoredAgent["status"], op: string, reason?: string): Promise<void> {
    // The directory follows: an agent that ended no longer answers to its name (ADR 0041).
    const agent = isTerminal(to) ? { agent: id, ended: true, status: to } : { agent: id, ended: false };
    return this.streams.write(id, `transition of ${id}`, transitionRecord(id, to, op, reason), { agent });
  }

  enqueue(m: StoredMessage): Promise<void> {
    // The recipient's tree is no longer held here (its lease was lost; the agent is on its way out of
    // the table): the letter goes to the tree's new owner through cluster_mail, never a refusal to the
    // sender, whose own lease is sound (the fault suite: a sender crashed on its recipient's fence).
    if (this.streams.live(m.to) === undefined) return this.enqueueRemote(m);
    return this.confirmed(m, this.enqueueHere(m).catch((e: unknown) => {
      if (isFenced(toAiosError(e)) && this.streams.live(m.to) === undefined) return this.intake.enqueueRemote(m);
      throw e;
    }));
  }

  /**
   * A durable sender's letter PostgreSQL did not confirm (E_UNAVAILABLE, E_STORAGE): the sender's tree
   * restarts from its journal too (TreeStreams.broke), so its handling runs again and sends the same
   * replayable copy, instead of crashing on the error and being journaled as failed for good by a
   * later write once PostgreSQL is back, its acknowledged letters never handled (docs/adr/0044).
   */
  private confirmed(m: StoredMessage, sent: Promise<void>): Promise<void> {
    // The same promise depth for every letter, with a sender or not: local letters reach the kernel's
    // mailbox in commit order (see mail-intake.ts pullMail).
    return sent.catch((e: unknown) => {
      const err = toAiosError(e);
      const s = m.from === undefined ? undefined : this.streams.live(m.from);
      if (s !== undefined && (err.code === "E_UNAVAILABLE" || err.code === "E_STORAGE")) this.streams.broke(s, err);
      throw err;
    });
  }

  private enqueueHere(m: StoredMessage): Promise<void> {
    return this.streams.write(m.to, `message to ${m.to}`, enqueueRecord(m), undefined, true);
  }

  /** Mail for an agent on another node (mail-intake.ts); a full mailbox there parks it here unless `onFull` is "fail". */
  enqueueRemote(m: StoredMessage, onFull?: "wait" | "fail"): Promise<void> {
    return this.confirmed(m, this.intake.enqueueRemote(m, onFull));
  }

  /** A request for an agent on another node (mail-intake.ts). */
  requestRemote(m: StoredMessage, reply: (err: Error | null, value?: unknown) => void, timeoutMs: number, onFull?: "wait" | "fail"): Promise<void> {
    return this.intake.requestRemote(m, reply, timeoutMs, onFull);
  }

  /** Letters of this node waiting for room in a full mailbox on another node (docs/adr/0069). */
  get parkedLetters(): number {
    return this.intake.parkedLetters;
  }

  /** The reply callback of a letter `id` to `to` from node `route` (mail-intake.ts). */
  remoteReply(route: string, id: MessageId, to: AgentId): (err: Error | null, value?: unknown) => void {
    return this.intake.remoteReply(route, id, to);
  }

  /** Takes the replies waiting for this node and answers the requests still waiting for them. */
  pullReplies(): Promise<number> {
    return this.intake.pullReplies();
  }

  /** Moves the letters waiting for agents held here into their journals and mailboxes, each as it commits (mail-intake.ts). */
  pullMail(): Promise<number> {
    return this.intake.pullMail();
  }

  sent(from: AgentId, cause: MessageId, nth: number): boolean {
    const copy = `${from}/${cause}/${nth}`;
    return this.streams.state.wasSent(from, cause, nth) || this.streams.hasCopy(copy) || this.streams.pendingCopy(copy);
  }

  handled(id: AgentId, msgId: MessageId | undefined, checkpoint: unknown, callSeq: number): Promise<void> {
    return this.streams.write(id, `checkpoint of ${id}`, handledRecord(id, msgId, checkpoint, callSeq), undefined, true);
  }

  /** Nothing at boot: a node's agents arrive with its leases (load). */
  recover(): Promise<RecoveredState> {
    return Promise.resolve({ agents: [], mailboxes: new Map(), report: [] });
  }

  lookup(caller: Caller, callSeq: number): { found: true; result: unknown; error?: SerializedError } | { found: false; inFlight: boolean } {
    return this.streams.state.lookup(caller.agent, callSeq);
  }

  intent(caller: Caller, callSeq: number, syscall: SyscallName, args: unknown, idempotencyKey?: string): Promise<void> {
    return this.streams.write(caller.agent, `${syscall} of ${caller.agent}`, intentRecord(caller.agent, callSeq, syscall, args, idempotencyKey));
  }

  result(caller: Caller, callSeq: number, result: unknown, error?: SerializedError): Promise<void> {
    return this.streams.write(caller.agent, `result of ${caller.agent}`, resultRecord(caller.agent, callSeq, result, error));
  }

  /** Resolves once every write queued so far was answered by PostgreSQL. */
  flush(): Promise<void> {
    return this.streams.flush();
  }

  /** Writes what is queued; refuses the letters still parked for other nodes' full mailboxes. */
  close(): Promise<void> {
    this.intake.close();
    return this.flush();
  }
}
