/**
 * Ledger: a double-entry ledger of accounts and transfers in bigint micro-credits, modelled on
 * TigerBeetle (ADR 0011). Owns one SQLite file. Invariants, for every committed state:
 *  - conservation: sum of debits_posted = sum of credits_posted, and the same for pending, over
 *    all accounts (every transfer moves one amount from one debit to one credit);
 *  - no account breaks its flag (debits <= credits, or credits <= debits);
 *  - transfers are immutable and idempotent by id: the same id with the same fields returns the
 *    original transfer (`exists`), with a different field an E_CONFLICT naming it;
 *  - a pending transfer leaves `pending` at most once (posted in full or part, voided, or expired
 *    when its timeout passes on the injected clock — checked at every batch and by a clock timer);
 *  - a batch is one SQLite transaction; a linked chain (flags.linked on every member but the last)
 *    commits all-or-nothing, other members of a batch succeed or fail on their own.
 */
import { AiosError, type Clock, type TimerHandle } from "../../core/index.js";
import { applyTransfer, expireDue } from "./rules.js";
import { LedgerStore } from "./store.js";
import type { Account, AccountInput, AccountResult, PendingStatus, Transfer, TransferInput, TransferResult } from "./types.js";
import { ledgerError, normalAccount, normalTransfer, type NormalTransfer } from "./validate.js";

export interface LedgerOptions {
  /** The SQLite file (e.g. `<dataDir>/ledger.db`), or ":memory:". */
  readonly path: string;
  readonly clock: Clock;
}

/** A failure inside a linked chain: which member failed and why (rolls the chain's savepoint back). */
class ChainFailure {
  constructor(
    readonly index: number,
    readonly error: AiosError,
  ) {}
}

export class Ledger {
  private readonly store: LedgerStore;
  private readonly clock: Clock;
  private timer: { handle: TimerHandle; at: number } | undefined;
  private readonly expiryListeners = new Set<(ids: readonly string[]) => void>();
  private readonly commitListeners = new Set<(created: readonly Transfer[]) => void>();
  private closed = false;

  constructor(opts: LedgerOptions) {
    this.store = new LedgerStore(opts.path);
    this.clock = opts.clock;
    this.arm();
  }

  /** Creates accounts (one transaction). Idempotent by id like transfers; no linked chains. */
  createAccounts(inputs: readonly AccountInput[]): AccountResult[] {
    this.open();
    const now = this.clock.now();
    return this.store.db.transaction(() =>
      inputs.map((input): AccountResult => {
        let a;
        try {
          a = normalAccount(input);
        } catch (e) {
          return { id: String(input.id), status: "failed", error: e as AiosError };
        }
        const prior = this.store.account(a.id);
        if (prior !== undefined) {
          const field = (["ledger", "code", "flags", "userData"] as const).find((f) =>
            f === "flags" ? JSON.stringify(prior.flags) !== JSON.stringify(a.flags) : (prior[f] ?? null) !== a[f],
          );
          if (field === undefined) return { id: a.id, status: "exists", account: prior };
          return { id: a.id, status: "failed", error: ledgerError("E_CONFLICT", `exists_with_different_${field}`, { account: a.id }, field, "an account with this id exists with a different value") };
        }
        const row = { id: a.id, ledger: a.ledger, code: a.code, flags: a.flags, ...(a.userData === null ? {} : { userData: a.userData }), timestamp: now };
        this.store.insertAccount(row);
        return { id: a.id, status: "created", account: this.store.account(a.id) as Account };
      }),
    )();
  }

  /** One account, throwing its failure. */
  createAccount(input: AccountInput): Account {
    const [r] = this.createAccounts([input]);
    if (r === undefined) throw new AiosError("E_INTERNAL", "createAccounts returned no result");
    if (r.status === "failed") throw r.error;
    return r.account;
  }

  /**
   * Applies a batch of transfers in one transaction and returns one result per transfer, in order.
   * Storage failures throw (nothing of the batch is committed); rule failures are results.
   */
  createTransfers(inputs: readonly TransferInput[]): TransferResult[] {
    this.open();
    const now = this.clock.now();
    const results: TransferResult[] = new Array<TransferResult>(inputs.length);
    const normal: (NormalTransfer | AiosError)[] = inputs.map((t) => {
      try {
        return normalTransfer(t);
      } catch (e) {
        return e as AiosError;
      }
    });
    const linked = (i: number): boolean => inputs[i]?.flags?.linked === true;
    let expired: string[] = [];
    const tx = this.store.db.transaction(() => {
      expired = expireDue(this.store, now);
      for (let i = 0; i < inputs.length; ) {
        let end = i;
        while (end < inputs.length - 1 && linked(end)) end++;
        if (linked(end)) {
          // The batch ends inside an open chain: none of it may commit.
          for (let k = i; k <= end; k++) results[k] = this.failure(inputs, k, k === end ? ledgerError("E_INVALID_ARG", "linked_event_chain_open", { transfer: idOf(inputs, k) }, "flags.linked", "the last transfer of a batch cannot be linked") : undefined, end);
          break;
        }
        this.applyChain(normal, i, end, now, results, inputs);
        i = end + 1;
      }
    });
    try {
      tx.immediate();
    } catch (e) {
      throw e instanceof AiosError ? e : new AiosError("E_STORAGE", `ledger batch of ${inputs.length} transfers failed to commit`, { cause: e });
    }
    this.arm();
    if (expired.length > 0) this.notifyExpired(expired);
    if (this.commitListeners.size > 0) {
      const created = results.flatMap((r) => (r.status === "created" ? [r.transfer] : []));
      if (created.length > 0) for (const fn of this.commitListeners) fn(created);
    }
    return results;
  }

  /** One transfer, throwing its failure; returns the committed (or already existing) transfer. */
  transfer(input: TransferInput): Transfer {
    const [r] = this.createTransfers([input]);
    if (r === undefined) throw new AiosError("E_INTERNAL", "createTransfers returned no result");
    if (r.status === "failed") throw r.error;
    return r.transfer;
  }

  private applyChain(normal: readonly (NormalTransfer | AiosError)[], from: number, to: number, now: number, results: TransferResult[], inputs: readonly TransferInput[]): void {
    const chain = this.store.db.transaction(() => {
      for (let k = from; k <= to; k++) {
        const r = normal[k];
        if (r instanceof AiosError) throw new ChainFailure(k, r);
        try {
          const a = applyTransfer(this.store, r as NormalTransfer, now);
          results[k] = { id: a.transfer.id, ...a };
        } catch (e) {
          if (e instanceof AiosError && e.code !== "E_INTERNAL" && e.code !== "E_CORRUPT") throw new ChainFailure(k, e);
          throw e;
        }
      }
    });
    try {
      chain();
    } catch (e) {
      if (!(e instanceof ChainFailure)) throw e;
      for (let k = from; k <= to; k++) results[k] = this.failure(inputs, k, k === e.index ? e.error : undefined, e.index);
    }
  }

  private failure(inputs: readonly TransferInput[], k: number, own: AiosError | undefined, culprit: number): TransferResult {
    const id = idOf(inputs, k);
    const error = own ?? ledgerError("E_CANCELLED", "linked_event_failed", { transfer: id }, "flags.linked", `linked transfer ${idOf(inputs, culprit)} failed, so its chain did not commit`);
    return { id, status: "failed", error };
  }

  /** Voids expired pending transfers now (the clock timer calls this; so does every batch). */
  sweep(): string[] {
    if (this.closed) return [];
    const ids = this.store.db.transaction(() => expireDue(this.store, this.clock.now())).immediate();
    this.arm();
    if (ids.length > 0) this.notifyExpired(ids);
    return ids;
  }

  /** Called with the ids of pending transfers that expired (after their transaction committed). */
  onExpired(fn: (ids: readonly string[]) => void): () => void {
    this.expiryListeners.add(fn);
    return () => this.expiryListeners.delete(fn);
  }

  /** Called with the transfers a batch created (not the `exists` replays), after it committed. */
  onTransfers(fn: (created: readonly Transfer[]) => void): () => void {
    this.commitListeners.add(fn);
    return () => this.commitListeners.delete(fn);
  }

  account(id: string): Account | undefined {
    return this.store.account(id);
  }
  accounts(ledger?: string): Account[] {
    return this.store.accounts(ledger);
  }
  lookupTransfer(id: string): Transfer | undefined {
    return this.store.transfer(id)?.transfer;
  }
  /** Transfers in commit order (optionally touching one account), paged by sequence number. */
  transfers(opts: { account?: string; after?: number; limit?: number } = {}): { transfer: Transfer; seq: number }[] {
    return this.store.transfers(opts);
  }
  pending(id: string): PendingStatus | undefined {
    return this.store.pending(id);
  }
  pendings(): PendingStatus[] {
    return this.store.pendingAll();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer.handle);
    this.timer = undefined;
    this.store.close();
  }

  private open(): void {
    if (this.closed) throw new AiosError("E_SHUTDOWN", "the ledger is closed");
  }

  /** Keeps one clock timer set for the earliest pending expiry. */
  private arm(): void {
    const at = this.store.nextExpiry();
    if (this.timer !== undefined && this.timer.at === at) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer.handle);
    this.timer = undefined;
    if (at === undefined) return;
    const handle = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.sweep();
    }, Math.max(0, at - this.clock.now()));
    this.timer = { handle, at };
  }

  private notifyExpired(ids: readonly string[]): void {
    for (const fn of this.expiryListeners) fn(ids);
  }
}

function idOf(inputs: readonly TransferInput[], k: number): string {
  return String(inputs[k]?.id);
}
