/**
 * Replayable sends (ADR 0016) received by the agents a cluster node holds, by `from/cause/nth`. On
 * one node the sender's fold notes its own sends; on a cluster the copy is journaled in the
 * *recipient's* stream (or cluster_mail), so a sender taken over by a node without that stream would
 * send it again. The recipient's side knows: `ClusterJournal.sent()` answers from here too, and a
 * pulled letter found here is a duplicate (found by the fault suite: one forward handled twice after
 * a takeover). Each stream remembers its last `WINDOW` copies, as the fold remembers seen keys.
 */
import { Counts } from "../core/index.js";

/** A stream's own list of the copies its agents received, oldest first. */
export interface CopyHolder {
  readonly copies: Set<string>;
}

/** How many replayable sends a stream remembers having received (as the fold's seen window). */
const WINDOW = 10_000;

export class ReceivedCopies<S extends CopyHolder> {
  /** Committed copies, by the stream that received them. */
  private readonly received = new Map<string, S>();
  /** Copies being written to a stream here (queued or in flight): a copy must wait for them. */
  private readonly pending = new Counts<string>();

  /** A copy received here (committed). */
  has(copy: string): boolean {
    return this.received.has(copy);
  }

  /** A copy being written here now. */
  writing(copy: string): boolean {
    return this.pending.has(copy);
  }

  /** A copy's record was queued for writing. */
  begin(copy: string): void {
    this.pending.add(copy);
  }

  /** A copy's record was answered (committed or refused). */
  end(copy: string): void {
    this.pending.remove(copy);
  }

  /** Notes a copy received by an agent of `s`, within the window. */
  note(s: S, copy: string): void {
    s.copies.add(copy);
    this.received.set(copy, s);
    if (s.copies.size > WINDOW) {
      const oldest = s.copies.values().next().value as string;
      s.copies.delete(oldest);
      if (this.received.get(oldest) === s) this.received.delete(oldest);
    }
  }

  /** Forgets the copies of a stream no longer held here. */
  forget(s: S): void {
    for (const c of s.copies) if (this.received.get(c) === s) this.received.delete(c);
  }
}
