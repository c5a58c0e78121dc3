/**
 * Escrow on the ledger's two-phase transfers. A reservation `r` is a pending transfer payer ->
 * escrow account of the ledger (`escrow:<ledger>`, which may never pay out more than it received).
 * Settling it posts `r:post` (the accepted amount; a partial post returns the rest to the payer)
 * linked with `r:pay` (escrow -> worker, same amount), so the worker is paid exactly when the
 * reservation is posted; refusing it voids it (`r:void`), as does its timeout. Every step has a
 * derived id, so a retried settle or refund returns the original result instead of paying twice.
 */
import { AiosError } from "../../core/index.js";
import type { Ledger } from "./ledger.js";
import type { PendingStatus, Transfer } from "./types.js";

/** Account code of escrow accounts; transfers made by escrow carry TRANSFER_CODE. */
export const ESCROW_ACCOUNT_CODE = 2;
export const ESCROW_TRANSFER_CODE = 2;

export interface ReserveInput {
  /** The reservation id (the pending transfer's id); at most 120 characters. */
  readonly id: string;
  readonly ledger: string;
  readonly payer: string;
  readonly amount: bigint;
  /** Voids itself after this many ms on the ledger's clock (0 = never). */
  readonly timeoutMs: number;
  readonly userData?: string;
}

export interface Settlement {
  readonly posted: bigint;
  /** What went back to the payer (the unposted part of the reservation). */
  readonly returned: bigint;
  readonly transfers: readonly Transfer[];
}

export const escrowAccountId = (ledger: string): string => `escrow:${ledger}`;

export class Escrow {
  constructor(private readonly ledger: Ledger) {}

  /** Holds `amount` of the payer's credits against a task: pending payer -> escrow. */
  reserve(r: ReserveInput): Transfer {
    if (r.id.length > 120) throw new AiosError("E_INVALID_ARG", "reserve: id: at most 120 characters (derived ids append a suffix)", { details: { path: "id" } });
    this.ledger.createAccount({ id: escrowAccountId(r.ledger), ledger: r.ledger, code: ESCROW_ACCOUNT_CODE, flags: { debitsMustNotExceedCredits: true } });
    return this.ledger.transfer({
      id: r.id, debitAccountId: r.payer, creditAccountId: escrowAccountId(r.ledger), amount: r.amount, ledger: r.ledger, code: ESCROW_TRANSFER_CODE,
      flags: { pending: true }, timeoutMs: r.timeoutMs, ...(r.userData === undefined ? {} : { userData: r.userData }),
    });
  }

  /**
   * accept: posts `amount` (default: all) of the reservation and pays it to `worker`, atomically;
   * the rest returns to the payer. Not accepted: voids the reservation (see refund). A post of 0 is
   * a void.
   */
  settle(id: string, verdict: { accept: boolean; worker: string; amount?: bigint }): Settlement {
    const p = this.ledger.lookupTransfer(id);
    if (p === undefined || !p.flags.pending) throw new AiosError("E_NOT_FOUND", `settle: id: no reservation ${id}`, { details: { path: "id", transfer: id } });
    if (!verdict.accept || verdict.amount === 0n) return this.refund(id);
    const amount = verdict.amount ?? p.amount;
    const results = this.ledger.createTransfers([
      { id: `${id}:post`, pendingId: id, amount, flags: { postPending: true, linked: true } },
      { id: `${id}:pay`, debitAccountId: p.creditAccountId, creditAccountId: verdict.worker, amount, ledger: p.ledger, code: ESCROW_TRANSFER_CODE },
    ]);
    const transfers: Transfer[] = [];
    for (const r of results) {
      // The failing member carries the cause; its linked partner only says the chain failed.
      if (r.status === "failed" && r.error.details["reason"] !== "linked_event_failed") throw r.error;
      if (r.status !== "failed") transfers.push(r.transfer);
    }
    return { posted: amount, returned: p.amount - amount, transfers };
  }

  /** Voids the reservation: every reserved credit returns to the payer. */
  refund(id: string): Settlement {
    const t = this.ledger.transfer({ id: `${id}:void`, pendingId: id, flags: { voidPending: true } });
    return { posted: 0n, returned: t.amount, transfers: [t] };
  }

  state(id: string): PendingStatus | undefined {
    return this.ledger.pending(id);
  }
}
