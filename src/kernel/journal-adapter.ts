/**
 * The kernel's durable store: KernelJournal and SyscallJournal (durability.ts, guards.ts) over the
 * store's checksummed, group-committed Journal. kernel/ imports store/, never the reverse.
 *
 * `createSqliteJournal(dataDir)` opens the SQLite store synchronously — so a locked data directory
 * or a newer schema fails at boot with a clear error — and starts recovery at once. Every write and
 * `recover()` wait for that recovery; `lookup` (synchronous, on the syscall hot path) is answered
 * from the journal's in-memory fold and is only valid after `recover()` resolved.
 *
 * Replay contract: a journaled result is returned by `lookup` and never re-run; an intent without a
 * result is reported `inFlight` (the dispatcher then retries only with an idempotency key).
 */
import { join } from "node:path";
import { AiosError, type AgentId, type AgentStatus, type MessageId, type SerializedError } from "../core/index.js";
import { FileAckMark, Journal, PgDriver, SqliteDriver, enqueueRecord, handledRecord, intentRecord, recoveredAgent, resultRecord, spawnRecord, transitionRecord, type JournalOptions, type PgDriverOptions, type SqliteDriverOptions, type JournalRecord, type RecoveryReport, type StorageDriver } from "../store/index.js";
import type { AppendOptions, Caller, KernelJournal, RecoveredAgent, RecoveredState, StoredAgent, StoredMessage, SyscallJournal, SyscallName } from "../abi/index.js";

/**
 * Records no caller waits for (a syscall's result, a transition) do not start a
 * group commit of their own: they ride the next commit someone waits for (a spawn, a letter, an
 * intent), or go within the journal's unawaitedMs. A sequential durable run then pays one commit
 * (spawn + start request) instead of two, and half the fsyncs (docs/adr/0037).
 */
const UNAWAITED = { wait: false } as const;

export type DurableJournalOptions = JournalOptions;

/**
 * Records waiting for a commit (not yet handed to the writer) above which a durable agent's send to
 * a durable agent waits for its letter's commit instead of going on (ADR 0053): the bound on what
 * senders can run ahead of the disk, and so on the heap the queue holds and the next batch's size.
 */
const SENDER_BACKLOG = 16_384;

export class DurableJournal implements KernelJournal, SyscallJournal {
  private journal: Journal | undefined;
  private readonly opening: Promise<Journal>;

  /** The kernel's run-queue probe (commitHereWhen); until it is handed over, batches use the writer thread. */
  private idle: (() => boolean) | undefined;

  /** `notes`: what opening the driver already had to do (e.g. a repaired header), for the report. */
  constructor(driver: StorageDriver, options: DurableJournalOptions = {}, private readonly notes: readonly string[] = []) {
    const here = options.here ?? ((): boolean => this.idle?.() === true);
    this.opening = Journal.open(driver, { ...options, here }).then(
      (j) => (this.journal = j),
      async (e: unknown) => {
        // Recovery refused or failed: release the data directory so a person can inspect it.
        await driver.close().catch(() => undefined);
        throw e;
      },
    );
    // The failure is reported by recover() and every write; keep it from being an unhandled rejection.
    this.opening.catch(() => undefined);
  }

  /** ADR 0072: the kernel says when nothing waits on its run queue; batches then commit on its thread. */
  commitHereWhen(idle: () => boolean): void {
    this.idle = idle;
  }

  /** The recovery report, once recovery ran. */
  get report(): RecoveryReport | undefined {
    return this.journal?.recovery;
  }

  /** The underlying journal (compaction, statistics). */
  async store(): Promise<Journal> {
    return this.opening;
  }

  /**
   * Plain promise chaining, not async functions: on the durable hot path each async layer cost
   * another promise and microtask per record.
   */
  private append(rec: JournalRecord, wait?: false, late?: (e: unknown) => void): Promise<void> {
    this.recovered = undefined; // recover() describes the journal again once it changed
    const j = this.journal;
    const o = wait === false ? UNAWAITED : undefined;
    // commit: one promise per commit batch, shared by its records (no seq needed here). With `late`,
    // encoded when its batch is written (ADR 0075).
    if (j !== undefined) return late === undefined ? j.commit(rec, o) : j.commitDeferred(rec, late, o);
    return this.opening.then((x) => (late === undefined ? x.commit(rec, o) : x.commitDeferred(rec, late, o)));
  }

  spawned(a: StoredAgent, options?: AppendOptions): Promise<void> {
    return this.append(spawnRecord(a), options?.wait);
  }

  transitioned(id: AgentId, to: AgentStatus, op: string, reason?: string): Promise<void> {
    // Unawaited, every one: no caller waits for a transition (the lifecycle only reports a failed
    // one), so none starts a commit of its own. It rides the next commit someone waits for, or goes
    // within unawaitedMs. A crash before that is a crash before the transition: the start is redone
    // from pending; an end (stop, exit, kill, crash) is not yet journaled, so the agent comes back at
    // its last checkpoint, as it would have a moment earlier. An agent's end used to start a commit
    // that the next run's first records joined, so that run's answer waited for two (ADR 0053).
    return this.append(transitionRecord(id, to, op, reason), false);
  }

  enqueue(m: StoredMessage, options?: AppendOptions): Promise<void> {
    return this.appendOrThrow(enqueueRecord(m), options?.wait);
  }

  sent(from: AgentId, cause: MessageId, nth: number): boolean {
    return this.journal?.state.wasSent(from, cause, nth) === true;
  }

  handled(id: AgentId, msgId: MessageId | undefined, checkpoint: unknown, callSeq: number): Promise<void> {
    // A checkpoint JSON cannot hold throws here (KernelJournal.handled): the run loop ends the agent.
    return this.appendOrThrow(handledRecord(id, msgId, checkpoint, callSeq));
  }

  /**
   * `append`, but a record JSON cannot hold throws in the caller's turn (a letter, a checkpoint:
   * KernelJournal.enqueue and handled), so nothing is delivered or acknowledged on it.
   */
  private appendOrThrow(rec: JournalRecord, wait?: false): Promise<void> {
    const j = this.journal;
    if (j === undefined) return this.append(rec, wait);
    this.recovered = undefined;
    return j.commitOrThrow(rec, wait === false ? UNAWAITED : undefined);
  }

  /**
   * What the journal holds. Specs come back as journaled, not
   * validated here: the kernel validates each once, with today's schema, and reports one it no
   * longer accepts (kernel/recovery.ts). Built once until the next append: the store subsystem and
   * the kernel's recovery both ask at boot, before anything is appended, and building it twice cost
   * ~40 CPU-ms at 10,000 agents (issue #17.6); its readers only read it.
   */
  recover(): Promise<RecoveredState> {
    return (this.recovered ??= this.readRecovered());
  }

  private recovered: Promise<RecoveredState> | undefined;

  private async readRecovered(): Promise<RecoveredState> {
    const j = await this.opening;
    const report = [...this.notes, ...j.recovery.messages];
    const agents: RecoveredAgent[] = [];
    const mailboxes = new Map<AgentId, StoredMessage[]>();
    for (const a of j.state.agents.values()) {
      const { agent, mail } = recoveredAgent(a);
      agents.push(agent);
      if (mail.length > 0) mailboxes.set(agent.id, mail);
    }
    return { agents, mailboxes, report };
  }

  lookup(caller: Caller, callSeq: number): { found: true; result: unknown; error?: SerializedError } | { found: false; inFlight: boolean } {
    if (this.journal === undefined) {
      throw new AiosError("E_INTERNAL", "SyscallJournal.lookup called before the journal finished recovery (await recover() at boot)");
    }
    return this.journal.state.lookup(caller.agent, callSeq);
  }

  intent(caller: Caller, callSeq: number, syscall: SyscallName, args: unknown, idempotencyKey?: string): Promise<void> {
    return this.append(intentRecord(caller.agent, callSeq, syscall, args, idempotencyKey));
  }

  result(caller: Caller, callSeq: number, result: unknown, error?: SerializedError, late?: (e: unknown) => void): Promise<void> {
    // Unawaited (the dispatcher never waits for a result): the next intent, letter or spawn carries it.
    return this.append(resultRecord(caller.agent, callSeq, result, error), false, late);
  }

  /** More records wait for a commit than SENDER_BACKLOG: durable senders wait for theirs (ADR 0053). */
  backlogged(): boolean {
    const j = this.journal;
    return j === undefined || j.queued() >= SENDER_BACKLOG;
  }

  durable(): Promise<void> {
    const j = this.journal;
    return j !== undefined ? j.durable() : this.opening.then((x) => x.durable());
  }

  async flush(): Promise<void> {
    await (await this.opening).flush();
  }

  async close(): Promise<void> {
    let j: Journal;
    try {
      j = await this.opening;
    } catch {
      return; // recovery failed: the driver was never handed to a journal; nothing to flush
    }
    await j.close();
  }
}

/**
 * Opens (creating if needed) the SQLite store in `dataDir` and returns the kernel's journal over it.
 * Throws at once E_CONFLICT (another process holds the directory, naming its pid),
 * E_SCHEMA_VERSION (written by a newer build) or E_CORRUPT (the database cannot be opened).
 */
export function createSqliteJournal(dataDir: string, options: DurableJournalOptions = {}, driverOptions: SqliteDriverOptions = {}): DurableJournal {
  const driver = SqliteDriver.open(dataDir, driverOptions);
  // The acknowledgement mark lives beside the database, outside it (store/ack-mark.ts).
  options = { ack: new FileAckMark(join(dataDir, "journal.ack")), ...options };
  const notes = driver.repairedFrom === undefined ? [] : [`the database file was cut short; its header was repaired to read what remains (original kept at ${driver.repairedFrom})`];
  return new DurableJournal(driver, options, notes);
}

/**
 * Opens (creating and migrating if needed) the journal in a PostgreSQL schema. Rejects with
 * E_CONFLICT (another AIOS holds the schema), E_SCHEMA_VERSION or E_STORAGE (unreachable).
 * No file acknowledgement mark: PostgreSQL's commit (synchronous_commit=on) is the acknowledgement,
 * and a mark on one machine's disk would be wrong the moment another node opens the store.
 */
export async function createPgJournal(driver: PgDriverOptions, options: DurableJournalOptions = {}): Promise<DurableJournal> {
  return new DurableJournal(await PgDriver.open(driver), options);
}
