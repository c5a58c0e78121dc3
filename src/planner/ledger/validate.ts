/**
 * Shape checks for account and transfer requests, before anything touches the store, and the
 * canonical request form that idempotency compares: a retried transfer with the same id must carry
 * the same fields, and when it does not, the error names the first field that differs.
 */
import { AiosError, type ErrorCode } from "../../core/index.js";
import { transferFlagBits } from "./store.js";
import { MAX_AMOUNT, NO_ACCOUNT_FLAGS, NO_TRANSFER_FLAGS, type AccountFlags, type AccountInput, type TransferFlags, type TransferInput } from "./types.js";

const MAX_ID = 128;
const MAX_USER_DATA = 1024;
/** 2^31 - 1 ms (~24.8 days): the longest a reservation may stay pending. */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/** A ledger error: a stable code, TigerBeetle's result name as `reason`, the transfer and field. */
export function ledgerError(code: ErrorCode, reason: string, subject: { transfer?: string; account?: string }, field: string, message: string): AiosError {
  const who = subject.transfer !== undefined ? `transfer ${subject.transfer}` : `account ${subject.account ?? "?"}`;
  return new AiosError(code, `${who}: ${field}: ${message} (${reason})`, {
    // None of these heal by retrying the same request (E_CONFLICT defaults to retryable).
    retryable: false,
    details: { reason, path: field, ...subject },
  });
}

function checkId(v: unknown, subject: { transfer?: string; account?: string }, field: string): string {
  if (typeof v !== "string" || v.length === 0 || v.length > MAX_ID) {
    throw ledgerError("E_INVALID_ARG", `${field}_must_be_an_id`, subject, field, `must be a string of 1-${MAX_ID} characters`);
  }
  return v;
}
function checkCode(v: unknown, subject: { transfer?: string; account?: string }): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0xffff_ffff) {
    throw ledgerError("E_INVALID_ARG", "code_must_be_u32", subject, "code", "must be an integer in 0..2^32-1");
  }
  return v;
}
function checkUserData(v: unknown, subject: { transfer?: string; account?: string }): string | null {
  if (v === undefined) return null;
  if (typeof v !== "string" || v.length > MAX_USER_DATA) throw ledgerError("E_INVALID_ARG", "user_data_invalid", subject, "userData", `must be a string of at most ${MAX_USER_DATA} characters`);
  return v;
}
function checkAmount(v: unknown, subject: { transfer: string }, min: bigint): bigint {
  if (typeof v !== "bigint") throw ledgerError("E_INVALID_ARG", "amount_must_be_bigint", subject, "amount", "must be a bigint count of micro-credits");
  if (v < min || v > MAX_AMOUNT) throw ledgerError("E_INVALID_ARG", min > 0n ? "amount_must_not_be_zero" : "amount_out_of_range", subject, "amount", `must be in ${min}..2^63-1`);
  return v;
}

export interface NormalAccount {
  readonly id: string;
  readonly ledger: string;
  readonly code: number;
  readonly flags: AccountFlags;
  readonly userData: string | null;
}

export function normalAccount(a: AccountInput): NormalAccount {
  const id = checkId(a.id, { account: String(a.id) }, "id");
  const subject = { account: id };
  const flags = { ...NO_ACCOUNT_FLAGS, ...(a.flags ?? {}) };
  if (flags.debitsMustNotExceedCredits && flags.creditsMustNotExceedDebits) {
    throw ledgerError("E_INVALID_ARG", "flags_are_mutually_exclusive", subject, "flags", "debitsMustNotExceedCredits and creditsMustNotExceedDebits exclude each other");
  }
  return { id, ledger: checkId(a.ledger, subject, "ledger"), code: checkCode(a.code, subject), flags, userData: checkUserData(a.userData, subject) };
}

/** The request as the caller gave it, every field present (null when absent), in a fixed order. */
export interface NormalTransfer {
  readonly id: string;
  readonly debitAccountId: string | null;
  readonly creditAccountId: string | null;
  readonly amount: bigint | null;
  readonly pendingId: string | null;
  readonly ledger: string | null;
  readonly code: number | null;
  readonly flags: TransferFlags;
  readonly timeoutMs: number;
  readonly userData: string | null;
}

export function normalTransfer(t: TransferInput): NormalTransfer {
  const id = checkId(t.id, { transfer: String(t.id) }, "id");
  const subject = { transfer: id };
  const flags = { ...NO_TRANSFER_FLAGS, ...(t.flags ?? {}) };
  const phases = [flags.pending, flags.postPending, flags.voidPending].filter(Boolean).length;
  if (phases > 1) throw ledgerError("E_INVALID_ARG", "flags_are_mutually_exclusive", subject, "flags", "at most one of pending, postPending, voidPending");
  const timeoutMs = t.timeoutMs ?? 0;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 0 || timeoutMs > MAX_TIMEOUT_MS) {
    throw ledgerError("E_INVALID_ARG", "timeout_out_of_range", subject, "timeoutMs", `must be an integer in 0..${MAX_TIMEOUT_MS}`);
  }
  if (timeoutMs > 0 && !flags.pending) throw ledgerError("E_INVALID_ARG", "timeout_reserved_for_pending_transfer", subject, "timeoutMs", "only a pending transfer has a timeout");
  const opt = (v: string | undefined, field: string): string | null => (v === undefined ? null : checkId(v, subject, field));
  const base = {
    id,
    debitAccountId: opt(t.debitAccountId, "debitAccountId"),
    creditAccountId: opt(t.creditAccountId, "creditAccountId"),
    pendingId: opt(t.pendingId, "pendingId"),
    ledger: opt(t.ledger, "ledger"),
    code: t.code === undefined ? null : checkCode(t.code, subject),
    flags,
    timeoutMs,
    userData: checkUserData(t.userData, subject),
  };
  if (flags.postPending || flags.voidPending) {
    if (base.pendingId === null) throw ledgerError("E_INVALID_ARG", "pending_id_must_not_be_zero", subject, "pendingId", "a post or void names the pending transfer");
    if (base.pendingId === id) throw ledgerError("E_INVALID_ARG", "pending_id_must_be_different", subject, "pendingId", "must differ from the transfer's own id");
    return { ...base, amount: t.amount === undefined ? null : checkAmount(t.amount, subject, 0n) };
  }
  if (base.pendingId !== null) throw ledgerError("E_INVALID_ARG", "pending_id_must_be_zero", subject, "pendingId", "only a post or void names a pending transfer");
  if (base.debitAccountId === null) throw ledgerError("E_INVALID_ARG", "debit_account_id_must_not_be_zero", subject, "debitAccountId", "required");
  if (base.creditAccountId === null) throw ledgerError("E_INVALID_ARG", "credit_account_id_must_not_be_zero", subject, "creditAccountId", "required");
  if (base.debitAccountId === base.creditAccountId) throw ledgerError("E_INVALID_ARG", "accounts_must_be_different", subject, "creditAccountId", "must differ from debitAccountId");
  if (base.ledger === null) throw ledgerError("E_INVALID_ARG", "ledger_must_not_be_zero", subject, "ledger", "required");
  if (base.code === null) throw ledgerError("E_INVALID_ARG", "code_must_not_be_zero", subject, "code", "required");
  return { ...base, amount: checkAmount(t.amount, subject, 1n) };
}

const FIELDS = ["debitAccountId", "creditAccountId", "amount", "pendingId", "ledger", "code", "flags", "timeoutMs", "userData"] as const;

/** The stored form of a request (bigints as decimal strings, flags as names). */
export function encodeRequest(r: NormalTransfer): string {
  return JSON.stringify(FIELDS.map((f) => {
    const v = r[f];
    if (f === "flags") return transferFlagBits(r.flags);
    return typeof v === "bigint" ? v.toString() : v;
  }));
}

/** The first field in which `r` differs from the stored request, or undefined when they are the same. */
export function differingField(stored: string, r: NormalTransfer): (typeof FIELDS)[number] | undefined {
  const a = JSON.parse(stored) as unknown[];
  const b = JSON.parse(encodeRequest(r)) as unknown[];
  for (let i = 0; i < FIELDS.length; i++) {
    if (JSON.stringify(a[i]) !== JSON.stringify(b[i])) return FIELDS[i];
  }
  return undefined;
}
