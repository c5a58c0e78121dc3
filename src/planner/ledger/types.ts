/**
 * The ledger's data shapes, after TigerBeetle's accounts and transfers. Every amount is a `bigint`
 * count of micro-credits (1 credit = 1,000,000 micro-credits); nothing here is ever a float. Stored
 * columns are SQLite INTEGERs, so each balance is bounded by 2^63 - 1 micro-credits (~9.2e12
 * credits); a transfer that would push a balance past that fails with reason `overflows_<balance>`.
 */
import type { AiosError } from "../../core/index.js";

/** Micro-credits per credit. */
export const MICRO = 1_000_000n;
/** The largest value any amount or balance may take (SQLite's signed 64-bit INTEGER). */
export const MAX_AMOUNT = (1n << 63n) - 1n;

export interface AccountFlags {
  /** debits_pending + debits_posted may never exceed credits_posted (a payer that cannot overdraw). */
  readonly debitsMustNotExceedCredits: boolean;
  /** credits_pending + credits_posted may never exceed debits_posted (e.g. a capped liability). */
  readonly creditsMustNotExceedDebits: boolean;
}

export interface AccountInput {
  readonly id: string;
  /** The ledger (a tenant): transfers only move value between accounts of one ledger. */
  readonly ledger: string;
  /** What kind of account this is (operator-defined: 1 = agent wallet, 2 = escrow, ...). */
  readonly code: number;
  readonly flags?: Partial<AccountFlags>;
  readonly userData?: string;
}

export interface Account {
  readonly id: string;
  readonly ledger: string;
  readonly code: number;
  readonly flags: AccountFlags;
  readonly debitsPending: bigint;
  readonly debitsPosted: bigint;
  readonly creditsPending: bigint;
  readonly creditsPosted: bigint;
  readonly userData?: string;
  readonly timestamp: number;
}

export interface TransferFlags {
  /** Chains this transfer to the next one in the batch: the chain commits all-or-nothing. */
  readonly linked: boolean;
  /** Phase one: reserves the amount (pending debits and credits) until posted, voided or expired. */
  readonly pending: boolean;
  /** Phase two: posts the pending transfer `pendingId`, in full or for `amount` (the rest returns). */
  readonly postPending: boolean;
  /** Phase two: voids the pending transfer `pendingId` (the whole amount returns). */
  readonly voidPending: boolean;
}

/**
 * A transfer request. Single-phase and pending transfers name both accounts, the amount, the ledger
 * and the code. A post or void names `pendingId`; its accounts, ledger and code default to the
 * pending transfer's (when given they must match), and a post without `amount` posts it all.
 */
export interface TransferInput {
  readonly id: string;
  readonly debitAccountId?: string;
  readonly creditAccountId?: string;
  readonly amount?: bigint;
  readonly pendingId?: string;
  readonly ledger?: string;
  readonly code?: number;
  readonly flags?: Partial<TransferFlags>;
  /** Pending transfers only: milliseconds on the ledger's clock after which it voids itself (0 = never). */
  readonly timeoutMs?: number;
  readonly userData?: string;
}

/** A committed transfer: immutable once written. */
export interface Transfer {
  readonly id: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  /** For a post, the amount actually posted; for a void, the amount released. */
  readonly amount: bigint;
  readonly pendingId?: string;
  readonly ledger: string;
  readonly code: number;
  readonly flags: TransferFlags;
  readonly timeoutMs: number;
  readonly userData?: string;
  readonly timestamp: number;
}

/** Where a pending transfer stands. It leaves `pending` at most once. */
export type PendingState = "pending" | "posted" | "voided" | "expired";

export interface PendingStatus {
  readonly id: string;
  readonly state: PendingState;
  readonly amount: bigint;
  /** Clock ms at which it expires; 0 = never. */
  readonly expiresAt: number;
  /** The post or void transfer that resolved it (absent while pending or when it expired). */
  readonly resolvedBy?: string;
}

export type TransferResult =
  | { readonly id: string; readonly status: "created" | "exists"; readonly transfer: Transfer }
  | { readonly id: string; readonly status: "failed"; readonly error: AiosError };

export type AccountResult =
  | { readonly id: string; readonly status: "created" | "exists"; readonly account: Account }
  | { readonly id: string; readonly status: "failed"; readonly error: AiosError };

export const NO_ACCOUNT_FLAGS: AccountFlags = { debitsMustNotExceedCredits: false, creditsMustNotExceedDebits: false };
export const NO_TRANSFER_FLAGS: TransferFlags = { linked: false, pending: false, postPending: false, voidPending: false };
