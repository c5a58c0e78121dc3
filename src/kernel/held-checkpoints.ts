/**
 * Checkpoints a full disk refused (issue #19.2). A durable agent's `handled` record — the ack of the
 * message and its new checkpoint, in one record — is appended without waiting. When the store refuses
 * it with E_STORAGE_FULL the agent is held: it takes no further message, so no later checkpoint can
 * carry the effect of a message the journal still holds as unacknowledged (recovery would deliver it
 * again). The refused acks are kept and appended again, all in one batch (one transaction) with the
 * agent's current checkpoint, on the kernel's clock with backoff, until the store takes them; then
 * the agent runs on. Until then a crash loses nothing: the journal holds the older checkpoint and the
 * unacknowledged messages, which are handled again from that state.
 *
 * Narrow window, documented: a record appended before the refusal was known may land in the next
 * batch and commit if space returned in between; until the retry commits, that checkpoint carries the
 * refused message's effect. Other journal failures are reported (kernel.error), not retried.
 */
import { isAiosError, type Clock, type Logger, type MessageId } from "../core/index.js";
import { isTerminal } from "../abi/index.js";
import type { Guards } from "./guards.js";
import type { KernelFlags } from "./kernel-port.js";
import { snapshotOf, type Proc } from "./proc.js";

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;


/** What holding checkpoints uses: the kernel's clock, log, flags, journal (in the door's stages) and error sink. */
export interface HeldCheckpointsDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly guards: Guards;
  readonly flags: KernelFlags;
  readonly kernelError: (e: unknown, where: string) => void;
}

export class HeldCheckpoints {
  constructor(
    private readonly k: HeldCheckpointsDeps,
    /** Puts a released agent with mail back on the run queue. */
    private readonly resume: (p: Proc) => void,
  ) {}

  /** A `handled` record of `p` for `msg` failed with `e`. */
  failed(p: Proc, msg: MessageId | undefined, e: unknown): void {
    if (!isAiosError(e, "E_STORAGE_FULL")) {
      this.k.kernelError(e, `checkpoint of ${p.id}`);
      return;
    }
    if (p.held !== null) {
      p.held.push(msg);
      return;
    }
    this.k.kernelError(e, `checkpoint of ${p.id} (the agent is held until the store takes it again)`);
    p.held = [msg];
    this.later(p, 0);
  }

  private later(p: Proc, attempt: number): void {
    this.k.clock.setTimeout(() => this.retry(p, attempt), Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** attempt));
  }

  private retry(p: Proc, attempt: number): void {
    const held = p.held;
    const j = this.k.guards.journal;
    if (held === null) return;
    // An agent that ended has nothing left to ack; at a shutdown the journal keeps the older
    // checkpoint with the messages unacknowledged, and the next boot handles them again from it.
    if (j === undefined || isTerminal(p.status) || this.k.flags.closing) {
      p.held = null;
      return;
    }
    let snap: unknown;
    try {
      snap = snapshotOf(p);
    } catch (e) {
      this.k.kernelError(e, `snapshot of ${p.id}`);
      this.later(p, attempt + 1);
      return;
    }
    const n = held.length;
    // Appended in one turn: one batch, so every ack and the checkpoint commit together or not at all.
    Promise.all(held.map((m) => j.handled(p.id, m, snap, p.callSeq))).then(
      () => {
        held.splice(0, n);
        // Acks refused after the hold began (records already in flight) go in the next round.
        if (held.length > 0) return this.later(p, 0);
        p.held = null;
        this.k.logger.warn({ agent: p.id, records: n }, "held checkpoint appended after the store refused it; the agent runs on");
        this.resume(p);
      },
      () => this.later(p, attempt + 1),
    );
  }
}
