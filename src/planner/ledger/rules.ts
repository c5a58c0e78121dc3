/**
 * The ledger's rules for one transfer, applied inside the batch's SQLite transaction: idempotency
 * by id, account existence and ledger, balance flags, overflow, and the two-phase state machine
 * (a pending transfer leaves `pending` once: posted, voided or expired). Each rule either updates
 * the store or throws a ledger error naming the transfer and field; ledger.ts turns a throw into
 * that transfer's failed result and rolls its linked chain back.
 */
import { AiosError } from "../../core/index.js";
import type { Balances, LedgerStore } from "./store.js";
import { MAX_AMOUNT, type Account, type Transfer } from "./types.js";
import { differingField, encodeRequest, ledgerError, type NormalTransfer } from "./validate.js";

export type Applied = { readonly status: "created" | "exists"; readonly transfer: Transfer };

const balancesOf = (a: Account): Balances => ({ debitsPending: a.debitsPending, debitsPosted: a.debitsPosted, creditsPending: a.creditsPending, creditsPosted: a.creditsPosted });

function checkOverflow(b: Balances, id: string): void {
  for (const [k, v] of Object.entries(b) as [keyof Balances, bigint][]) {
    if (v > MAX_AMOUNT) throw ledgerError("E_INVALID_ARG", `overflows_${k}`, { transfer: id }, "amount", `would push ${k} past 2^63-1`);
    if (v < 0n) throw new AiosError("E_INTERNAL", `transfer ${id}: ${k} would go negative`, { details: { transfer: id, balance: k } });
  }
}

/** The balance flags: only a growing debit (credit) total can break the debit (credit) rule. */
function checkFlags(dr: Account, drB: Balances, cr: Account, crB: Balances, id: string): void {
  if (dr.flags.debitsMustNotExceedCredits && drB.debitsPending + drB.debitsPosted > drB.creditsPosted) {
    throw ledgerError("E_QUOTA", "exceeds_credits", { transfer: id }, "debitAccountId", `account ${dr.id} would owe more than it holds (debits must not exceed credits)`);
  }
  if (cr.flags.creditsMustNotExceedDebits && crB.creditsPending + crB.creditsPosted > crB.debitsPosted) {
    throw ledgerError("E_QUOTA", "exceeds_debits", { transfer: id }, "creditAccountId", `account ${cr.id} would be credited past its debits (credits must not exceed debits)`);
  }
}

function loadAccount(store: LedgerStore, accountId: string, id: string, field: "debitAccountId" | "creditAccountId"): Account {
  const a = store.account(accountId);
  if (a === undefined) throw ledgerError("E_NOT_FOUND", field === "debitAccountId" ? "debit_account_not_found" : "credit_account_not_found", { transfer: id }, field, `no account ${accountId}`);
  return a;
}

export function applyTransfer(store: LedgerStore, r: NormalTransfer, now: number): Applied {
  const prior = store.transfer(r.id);
  if (prior !== undefined) {
    const field = differingField(prior.request, r);
    if (field !== undefined) throw ledgerError("E_CONFLICT", `exists_with_different_${field}`, { transfer: r.id }, field, "a transfer with this id exists with a different value");
    return { status: "exists", transfer: prior.transfer };
  }
  return r.flags.postPending || r.flags.voidPending ? resolve(store, r, now) : create(store, r, now);
}

function create(store: LedgerStore, r: NormalTransfer, now: number): Applied {
  const id = r.id;
  const amount = r.amount as bigint;
  const dr = loadAccount(store, r.debitAccountId as string, id, "debitAccountId");
  const cr = loadAccount(store, r.creditAccountId as string, id, "creditAccountId");
  if (dr.ledger !== cr.ledger) throw ledgerError("E_INVALID_ARG", "accounts_must_have_the_same_ledger", { transfer: id }, "creditAccountId", `ledger ${cr.ledger} differs from the debit account's ${dr.ledger}`);
  if (r.ledger !== dr.ledger) throw ledgerError("E_INVALID_ARG", "transfer_must_have_the_same_ledger_as_accounts", { transfer: id }, "ledger", `the accounts are on ledger ${dr.ledger}`);
  const drB = balancesOf(dr);
  const crB = balancesOf(cr);
  if (r.flags.pending) {
    drB.debitsPending += amount;
    crB.creditsPending += amount;
  } else {
    drB.debitsPosted += amount;
    crB.creditsPosted += amount;
  }
  checkOverflow(drB, id);
  checkOverflow(crB, id);
  checkFlags(dr, drB, cr, crB, id);
  store.setBalances(dr.id, drB);
  store.setBalances(cr.id, crB);
  const t: Transfer = {
    id, debitAccountId: dr.id, creditAccountId: cr.id, amount, ledger: dr.ledger, code: r.code as number,
    flags: r.flags, timeoutMs: r.timeoutMs, ...(r.userData === null ? {} : { userData: r.userData }), timestamp: now,
  };
  store.insertTransfer(t, encodeRequest(r));
  if (r.flags.pending) store.insertPending(id, amount, r.timeoutMs > 0 ? now + r.timeoutMs : 0);
  return { status: "created", transfer: t };
}

function resolve(store: LedgerStore, r: NormalTransfer, now: number): Applied {
  const id = r.id;
  const pendingId = r.pendingId as string;
  const p = store.transfer(pendingId)?.transfer;
  if (p === undefined) throw ledgerError("E_NOT_FOUND", "pending_transfer_not_found", { transfer: id }, "pendingId", `no transfer ${pendingId}`);
  if (!p.flags.pending) throw ledgerError("E_INVALID_ARG", "pending_transfer_not_pending", { transfer: id }, "pendingId", `transfer ${pendingId} is not a pending transfer`);
  const st = store.pending(pendingId);
  if (st === undefined) throw new AiosError("E_CORRUPT", `pending transfer ${pendingId} has no status row`, { details: { transfer: pendingId } });
  if (st.state === "expired") throw ledgerError("E_TIMEOUT", "pending_transfer_expired", { transfer: id }, "pendingId", `pending transfer ${pendingId} expired`);
  if (st.state !== "pending") throw ledgerError("E_CONFLICT", `pending_transfer_already_${st.state}`, { transfer: id }, "pendingId", `pending transfer ${pendingId} was already ${st.state} by ${st.resolvedBy ?? "?"}`);
  const same = (field: "debitAccountId" | "creditAccountId" | "ledger" | "code", given: string | number | null, actual: string | number): void => {
    if (given !== null && given !== actual) throw ledgerError("E_INVALID_ARG", `pending_transfer_has_different_${field}`, { transfer: id }, field, `the pending transfer has ${String(actual)}`);
  };
  same("debitAccountId", r.debitAccountId, p.debitAccountId);
  same("creditAccountId", r.creditAccountId, p.creditAccountId);
  same("ledger", r.ledger, p.ledger);
  same("code", r.code, p.code);
  let posted = 0n;
  if (r.flags.postPending) {
    posted = r.amount ?? p.amount;
    if (posted > p.amount) throw ledgerError("E_INVALID_ARG", "exceeds_pending_transfer_amount", { transfer: id }, "amount", `posts ${posted} of a pending ${p.amount}`);
  } else if (r.amount !== null && r.amount !== p.amount) {
    throw ledgerError("E_INVALID_ARG", "pending_transfer_has_different_amount", { transfer: id }, "amount", `a void releases the whole pending ${p.amount}`);
  }
  const dr = loadAccount(store, p.debitAccountId, id, "debitAccountId");
  const cr = loadAccount(store, p.creditAccountId, id, "creditAccountId");
  const drB = balancesOf(dr);
  const crB = balancesOf(cr);
  drB.debitsPending -= p.amount;
  crB.creditsPending -= p.amount;
  drB.debitsPosted += posted;
  crB.creditsPosted += posted;
  checkOverflow(drB, id);
  checkOverflow(crB, id);
  checkFlags(dr, drB, cr, crB, id);
  store.setBalances(dr.id, drB);
  store.setBalances(cr.id, crB);
  if (!store.resolvePending(pendingId, r.flags.postPending ? "posted" : "voided", id)) {
    throw new AiosError("E_INTERNAL", `pending transfer ${pendingId} left 'pending' twice`, { details: { transfer: pendingId } });
  }
  const t: Transfer = {
    id, debitAccountId: p.debitAccountId, creditAccountId: p.creditAccountId, amount: r.flags.postPending ? posted : p.amount, pendingId,
    ledger: p.ledger, code: p.code, flags: r.flags, timeoutMs: 0, ...(r.userData === null ? {} : { userData: r.userData }), timestamp: now,
  };
  store.insertTransfer(t, encodeRequest(r));
  return { status: "created", transfer: t };
}

/** Voids every pending transfer whose timeout has passed at `now`; returns their ids. */
export function expireDue(store: LedgerStore, now: number): string[] {
  const due = store.dueExpiries(now);
  for (const st of due) {
    const p = store.transfer(st.id)?.transfer;
    if (p === undefined) throw new AiosError("E_CORRUPT", `pending status ${st.id} has no transfer`, { details: { transfer: st.id } });
    const dr = loadAccount(store, p.debitAccountId, p.id, "debitAccountId");
    const cr = loadAccount(store, p.creditAccountId, p.id, "creditAccountId");
    const drB = balancesOf(dr);
    const crB = balancesOf(cr);
    drB.debitsPending -= p.amount;
    crB.creditsPending -= p.amount;
    checkOverflow(drB, p.id);
    checkOverflow(crB, p.id);
    store.setBalances(dr.id, drB);
    store.setBalances(cr.id, crB);
    store.resolvePending(st.id, "expired", null);
  }
  return due.map((d) => d.id);
}
