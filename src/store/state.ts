/**
 * The state a journal folds to: every live (non-terminal) agent with its last checkpoint, its callSeq,
 * its unacknowledged mailbox in enqueue order, and the side-effecting calls made since its last
 * checkpoint. Recovery builds it by applying records in seq order; the journal keeps it current as
 * batches commit, so compaction and syscall look-ups never scan the disk.
 *
 * Invariant (property-tested): applying `toRecords()` to an empty state gives an equal state, which
 * is what makes compaction safe.
 *
 * De-duplication window: an enqueue may carry a `key` (ipc/'s message id). While the message waits
 * its key lives in the mailbox record; when it is handled the key moves to the agent's `seen` set,
 * which keeps the last `seenWindow` keys (oldest evicted first). So the keys of a durable agent that
 * survive a restart are: every unacknowledged message's, plus the last `seenWindow` handled ones.
 * Compaction writes `seen` into the checkpoint record, so the window outlives the records it came from.
 *
 * Replayable sends (ADR 0016): an enqueue with `cause`/`nth` is also the sender's note "while handling
 * letter `cause` I made send #nth". It is kept on the sender (`sent`) while that letter is still in the
 * sender's mailbox, i.e. while a crash could make the sender handle it again; the sender's `handled`
 * record drops it. Compaction writes it on the letter's own enqueue record (`sent`), because the
 * recipient may have handled the copy (so its enqueue is gone) while the sender has not.
 */
import type { JournalRecord, RecordStatus } from "./records.js";
import { TERMINAL, journaledError } from "./records.js";
import type { SerializedError } from "../core/index.js";
import { SmallMap } from "./small-map.js";

type Enqueue = Extract<JournalRecord, { t: "enqueue" }>;
type Intent = Extract<JournalRecord, { t: "intent" }>;
type Result = Extract<JournalRecord, { t: "result" }>;

export interface CallEntry {
  intent?: Intent;
  result?: Result;
}

/** Handled-message keys kept per durable agent (the durable half of ipc/'s de-duplication window). */
export const SEEN_WINDOW = 4096;

export interface AgentEntry {
  readonly agent: string;
  spec: unknown;
  parent?: string;
  status: RecordStatus;
  checkpoint?: unknown;
  callSeq: number;
  /** Unacknowledged messages by id, in enqueue order (a set and a delete per message: small-map.ts). */
  readonly mailbox: SmallMap<string, Enqueue>;
  readonly calls: Map<number, CallEntry>;
  /** Keys of the last handled keyed messages, oldest first; absent until one is handled. */
  seen: Set<string> | undefined;
  /**
   * Per unhandled letter id: the sends (their `nth`) already journaled while handling it, in the
   * order journaled (one number, the common case, or a short array: no Set per letter). Absent
   * until the agent's first such send; kept (possibly empty) after.
   */
  sent: SmallMap<string, number | number[]> | undefined;
}

export type CallLookup =
  | { readonly found: true; readonly result: unknown; readonly error?: SerializedError }
  | { readonly found: false; readonly inFlight: boolean };

function callRecords(calls: ReadonlyMap<number, CallEntry>): number {
  let n = 0;
  for (const c of calls.values()) n += (c.intent ? 1 : 0) + (c.result ? 1 : 0);
  return n;
}

export class JournalState {
  readonly agents = new Map<string, AgentEntry>();
  /** Records `toRecords()` would write, kept current by `apply` (checked against a recount in tests). */
  private count = 0;

  constructor(readonly seenWindow = SEEN_WINDOW) {}

  apply(rec: JournalRecord): void {
    switch (rec.t) {
      case "spawn":
      case "checkpoint": {
        const prev = this.agents.get(rec.agent);
        if (TERMINAL.has(rec.status)) {
          if (prev !== undefined) this.remove(prev);
          return;
        }
        const entry: AgentEntry = {
          agent: rec.agent,
          spec: rec.spec,
          status: rec.status,
          callSeq: rec.callSeq,
          mailbox: prev?.mailbox ?? new SmallMap<string, Enqueue>(),
          calls: prev?.calls ?? new Map<number, CallEntry>(),
          seen: rec.t === "checkpoint" && rec.seen !== undefined ? new Set(rec.seen.slice(-this.seenWindow)) : prev?.seen,
          sent: prev?.sent,
        };
        if (rec.parent !== undefined) entry.parent = rec.parent;
        if ("checkpoint" in rec) entry.checkpoint = rec.checkpoint;
        if (prev === undefined) this.count++;
        this.agents.set(rec.agent, entry);
        return;
      }
      case "transition": {
        const a = this.agents.get(rec.agent);
        if (a === undefined) return;
        if (TERMINAL.has(rec.to)) this.remove(a);
        else a.status = rec.to;
        return;
      }
      case "enqueue": {
        // A message for an agent that already ended (or was never durable) has no one to wait for it.
        const to = this.agents.get(rec.to);
        if (rec.cause !== undefined && rec.nth !== undefined && rec.from !== undefined) {
          const sender = this.agents.get(rec.from);
          if (sender !== undefined && sender.mailbox.has(rec.cause)) markSent(sender, rec.cause, rec.nth);
        }
        if (to === undefined) return;
        const mailbox = to.mailbox;
        const before = mailbox.size;
        if (rec.sent === undefined) mailbox.set(rec.id, rec);
        else {
          const { sent, ...letter } = rec;
          mailbox.set(rec.id, letter);
          for (const n of sent) markSent(to, rec.id, n);
        }
        this.count += mailbox.size - before;
        return;
      }
      case "handled": {
        const a = this.agents.get(rec.agent);
        if (a === undefined) return;
        if (rec.msg !== undefined) {
          const m = a.mailbox.get(rec.msg);
          if (m !== undefined) {
            a.mailbox.delete(rec.msg);
            this.count--;
            if (m.key !== undefined) this.remember(a, m.key);
            // Kept when it empties: an agent that sends while it handles fills it again at once, and
            // a Map made and dropped per letter was ~10 % of the durable relay's allocations.
            a.sent?.delete(rec.msg);
          }
        }
        a.checkpoint = rec.checkpoint;
        a.callSeq = rec.callSeq;
        // Calls up to the checkpoint's callSeq are folded into the checkpoint: never replayed again.
        if (a.calls.size > 0) {
          for (const [seq, c] of a.calls) {
            if (seq > rec.callSeq) continue;
            this.count -= (c.intent ? 1 : 0) + (c.result ? 1 : 0);
            a.calls.delete(seq);
          }
        }
        return;
      }
      case "intent":
      case "result": {
        const a = this.agents.get(rec.agent);
        if (a === undefined) return;
        let c = a.calls.get(rec.callSeq);
        if (c === undefined) {
          c = {};
          a.calls.set(rec.callSeq, c);
        }
        if (rec.t === "intent") {
          if (c.intent === undefined) this.count++;
          c.intent = rec;
        } else {
          if (c.result === undefined) this.count++;
          c.result = rec;
        }
        return;
      }
    }
  }

  /** Adds a handled key to the agent's window (newest last), evicting the oldest beyond the bound. */
  private remember(a: AgentEntry, key: string): void {
    const seen = (a.seen ??= new Set());
    seen.delete(key);
    seen.add(key);
    if (seen.size > this.seenWindow) seen.delete(seen.values().next().value as string);
  }

  private remove(a: AgentEntry): void {
    this.count -= 1 + a.mailbox.size + callRecords(a.calls);
    this.agents.delete(a.agent);
  }

  /** True when `agent`, handling letter `cause`, already had its send #`nth` journaled. */
  wasSent(agent: string, cause: string, nth: number): boolean {
    const s = this.agents.get(agent)?.sent?.get(cause);
    return s === nth || (Array.isArray(s) && s.includes(nth));
  }

  lookup(agent: string, callSeq: number): CallLookup {
    const c = this.agents.get(agent)?.calls.get(callSeq);
    if (c?.result !== undefined) {
      // The error read back as a replayed call's error (journaledError), the same on every driver.
      return { found: true, result: c.result.result, ...(c.result.error === undefined ? {} : { error: journaledError(c.result.error) }) };
    }
    return { found: false, inFlight: c?.intent !== undefined };
  }

  /** How many records `toRecords()` would write (O(1); drives the compaction decision per batch). */
  size(): number {
    return this.count;
  }

  /**
   * The fewest records that rebuild this state: one checkpoint per agent, then what is still open;
   * only those of `only` when given (one cluster tree's agents: cluster/tree-streams.ts).
   */
  toRecords(only?: Iterable<string>): JournalRecord[] {
    const out: JournalRecord[] = [];
    const agents = only === undefined ? this.agents.values() : [...only].flatMap((id) => this.agents.get(id) ?? []);
    for (const a of agents) {
      out.push({
        t: "checkpoint",
        agent: a.agent,
        spec: a.spec,
        status: a.status,
        callSeq: a.callSeq,
        ...(a.parent === undefined ? {} : { parent: a.parent }),
        ...("checkpoint" in a && a.checkpoint !== undefined ? { checkpoint: a.checkpoint } : {}),
        ...(a.seen === undefined || a.seen.size === 0 ? {} : { seen: [...a.seen] }),
      });
      a.mailbox.forEach((m) => {
        const sent = a.sent?.get(m.id);
        out.push(sent === undefined ? m : { ...m, sent: typeof sent === "number" ? [sent] : [...sent].sort((x, y) => x - y) });
      });
      for (const seq of [...a.calls.keys()].sort((x, y) => x - y)) {
        const c = a.calls.get(seq);
        if (c?.intent) out.push(c.intent);
        if (c?.result) out.push(c.result);
      }
    }
    return out;
  }
}

function markSent(a: AgentEntry, cause: string, nth: number): void {
  const sent = (a.sent ??= new SmallMap<string, number | number[]>());
  const s = sent.get(cause);
  if (s === undefined) sent.set(cause, nth);
  else if (typeof s === "number") {
    if (s !== nth) sent.set(cause, [s, nth]);
  } else if (!s.includes(nth)) s.push(nth);
}
