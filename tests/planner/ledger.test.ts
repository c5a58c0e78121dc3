/**
 * The ledger's rules, example by example, on a real SQLite file: idempotency and conflicts,
 * balance flags, two-phase post/partial post/void/timeout, linked chains, reopen, and escrow.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AiosError, SimulatedClock } from "../../src/core/index.js";
import { Escrow, Ledger, escrowAccountId, type TransferResult } from "../../src/planner/index.js";

let dir: string;
let clock: SimulatedClock;
let ledger: Ledger;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "aios-ledger-"));
  clock = new SimulatedClock();
  ledger = new Ledger({ path: join(dir, "ledger.db"), clock });
  ledger.createAccounts([
    { id: "bank", ledger: "t1", code: 1 },
    { id: "alice", ledger: "t1", code: 1, flags: { debitsMustNotExceedCredits: true } },
    { id: "bob", ledger: "t1", code: 1, flags: { debitsMustNotExceedCredits: true } },
    { id: "other", ledger: "t2", code: 1 },
  ]);
  ledger.transfer({ id: "fund-alice", debitAccountId: "bank", creditAccountId: "alice", amount: 1000n, ledger: "t1", code: 1 });
});
afterEach(() => {
  ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

function err(fn: () => unknown): AiosError {
  try {
    fn();
  } catch (e) {
    if (e instanceof AiosError) return e;
    throw e;
  }
  throw new Error("expected an AiosError");
}
const failed = (r: TransferResult | undefined): AiosError => {
  if (r?.status !== "failed") throw new Error(`expected a failure, got ${r?.status}`);
  return r.error;
};
const bal = (id: string): [bigint, bigint, bigint, bigint] => {
  const a = ledger.account(id);
  if (a === undefined) throw new Error(`no account ${id}`);
  return [a.debitsPending, a.debitsPosted, a.creditsPending, a.creditsPosted];
};

describe("accounts", () => {
  it("are idempotent by id and name the differing field on conflict", () => {
    const [again] = ledger.createAccounts([{ id: "alice", ledger: "t1", code: 1, flags: { debitsMustNotExceedCredits: true } }]);
    expect(again?.status).toBe("exists");
    const [clash] = ledger.createAccounts([{ id: "alice", ledger: "t1", code: 7, flags: { debitsMustNotExceedCredits: true } }]);
    expect(clash?.status === "failed" && clash.error.code).toBe("E_CONFLICT");
    expect(clash?.status === "failed" && clash.error.details["path"]).toBe("code");
  });
  it("refuse both balance flags at once", () => {
    const e = err(() => ledger.createAccount({ id: "x", ledger: "t1", code: 1, flags: { debitsMustNotExceedCredits: true, creditsMustNotExceedDebits: true } }));
    expect([e.code, e.details["reason"]]).toEqual(["E_INVALID_ARG", "flags_are_mutually_exclusive"]);
  });
});

describe("single-phase transfers", () => {
  it("move posted balances double-entry", () => {
    ledger.transfer({ id: "t1", debitAccountId: "alice", creditAccountId: "bob", amount: 300n, ledger: "t1", code: 1 });
    expect(bal("alice")).toEqual([0n, 300n, 0n, 1000n]);
    expect(bal("bob")).toEqual([0n, 0n, 0n, 300n]);
  });
  it("refuse to overdraw an account with debits_must_not_exceed_credits", () => {
    const e = err(() => ledger.transfer({ id: "t1", debitAccountId: "alice", creditAccountId: "bob", amount: 1001n, ledger: "t1", code: 1 }));
    expect([e.code, e.details["reason"], e.details["path"], e.details["transfer"]]).toEqual(["E_QUOTA", "exceeds_credits", "debitAccountId", "t1"]);
    expect(ledger.lookupTransfer("t1")).toBeUndefined();
    expect(bal("alice")).toEqual([0n, 0n, 0n, 1000n]);
  });
  it("refuse a credit past debits on a credits_must_not_exceed_debits account", () => {
    ledger.createAccount({ id: "cap", ledger: "t1", code: 1, flags: { creditsMustNotExceedDebits: true } });
    const e = err(() => ledger.transfer({ id: "t1", debitAccountId: "bank", creditAccountId: "cap", amount: 1n, ledger: "t1", code: 1 }));
    expect([e.code, e.details["reason"], e.details["path"]]).toEqual(["E_QUOTA", "exceeds_debits", "creditAccountId"]);
  });
  it("return the original for the same id and fields, E_CONFLICT naming the field otherwise", () => {
    const first = ledger.transfer({ id: "t1", debitAccountId: "alice", creditAccountId: "bob", amount: 10n, ledger: "t1", code: 1 });
    clock.advance(5000);
    const [again] = ledger.createTransfers([{ id: "t1", debitAccountId: "alice", creditAccountId: "bob", amount: 10n, ledger: "t1", code: 1 }]);
    expect(again).toEqual({ id: "t1", status: "exists", transfer: first });
    expect(bal("bob")).toEqual([0n, 0n, 0n, 10n]);
    const e = err(() => ledger.transfer({ id: "t1", debitAccountId: "alice", creditAccountId: "bob", amount: 11n, ledger: "t1", code: 1 }));
    expect([e.code, e.details["reason"], e.details["path"], e.retryable]).toEqual(["E_CONFLICT", "exists_with_different_amount", "amount", false]);
    const e2 = err(() => ledger.transfer({ id: "t1", debitAccountId: "alice", creditAccountId: "bank", amount: 10n, ledger: "t1", code: 1 }));
    expect(e2.details["path"]).toBe("creditAccountId");
  });
  it("name the bad field of a malformed request", () => {
    expect(err(() => ledger.transfer({ id: "t1", debitAccountId: "alice", creditAccountId: "alice", amount: 1n, ledger: "t1", code: 1 })).details["path"]).toBe("creditAccountId");
    expect(err(() => ledger.transfer({ id: "t1", debitAccountId: "alice", creditAccountId: "bob", amount: 0n, ledger: "t1", code: 1 })).details["path"]).toBe("amount");
    expect(err(() => ledger.transfer({ id: "t1", debitAccountId: "nobody", creditAccountId: "bob", amount: 1n, ledger: "t1", code: 1 })).code).toBe("E_NOT_FOUND");
    expect(err(() => ledger.transfer({ id: "t1", debitAccountId: "alice", creditAccountId: "other", amount: 1n, ledger: "t1", code: 1 })).details["reason"]).toBe("accounts_must_have_the_same_ledger");
    expect(err(() => ledger.transfer({ id: "t1", debitAccountId: "alice", creditAccountId: "bob", amount: 1n, ledger: "t1", code: 1, timeoutMs: 5 })).details["path"]).toBe("timeoutMs");
    expect(err(() => ledger.transfer({ id: "", debitAccountId: "alice", creditAccountId: "bob", amount: 1n, ledger: "t1", code: 1 })).details["path"]).toBe("id");
  });
  it("refuse a balance past 2^63-1", () => {
    ledger.createAccounts([{ id: "big", ledger: "t1", code: 1 }, { id: "source", ledger: "t1", code: 1 }]);
    ledger.transfer({ id: "b1", debitAccountId: "source", creditAccountId: "big", amount: (1n << 63n) - 1n, ledger: "t1", code: 1 });
    const e = err(() => ledger.transfer({ id: "b2", debitAccountId: "alice", creditAccountId: "big", amount: 1n, ledger: "t1", code: 1 }));
    expect([e.code, e.details["reason"]]).toEqual(["E_INVALID_ARG", "overflows_creditsPosted"]);
  });
});

describe("two-phase transfers", () => {
  const reserve = (id: string, amount: bigint, timeoutMs = 0) =>
    ledger.transfer({ id, debitAccountId: "alice", creditAccountId: "bob", amount, ledger: "t1", code: 1, flags: { pending: true }, timeoutMs });

  it("reserve as pending and count pending against debits_must_not_exceed_credits", () => {
    reserve("p1", 800n);
    expect(bal("alice")).toEqual([800n, 0n, 0n, 1000n]);
    expect(bal("bob")).toEqual([0n, 0n, 800n, 0n]);
    expect(err(() => reserve("p2", 201n)).details["reason"]).toBe("exceeds_credits");
  });
  it("post in full", () => {
    reserve("p1", 800n);
    const t = ledger.transfer({ id: "p1-post", pendingId: "p1", flags: { postPending: true } });
    expect(t.amount).toBe(800n);
    expect(bal("alice")).toEqual([0n, 800n, 0n, 1000n]);
    expect(bal("bob")).toEqual([0n, 0n, 0n, 800n]);
    expect(ledger.pending("p1")).toMatchObject({ state: "posted", resolvedBy: "p1-post" });
  });
  it("post part and release the rest", () => {
    reserve("p1", 800n);
    ledger.transfer({ id: "p1-post", pendingId: "p1", amount: 300n, flags: { postPending: true } });
    expect(bal("alice")).toEqual([0n, 300n, 0n, 1000n]);
    expect(bal("bob")).toEqual([0n, 0n, 0n, 300n]);
    expect(err(() => ledger.transfer({ id: "x", pendingId: "p1", flags: { postPending: true } })).details["reason"]).toBe("pending_transfer_already_posted");
  });
  it("refuse a post above the pending amount and a void after a post", () => {
    reserve("p1", 100n);
    expect(err(() => ledger.transfer({ id: "p1-post", pendingId: "p1", amount: 101n, flags: { postPending: true } })).details["reason"]).toBe("exceeds_pending_transfer_amount");
    ledger.transfer({ id: "p1-post", pendingId: "p1", flags: { postPending: true } });
    const e = err(() => ledger.transfer({ id: "p1-void", pendingId: "p1", flags: { voidPending: true } }));
    expect([e.code, e.details["reason"], e.details["path"]]).toEqual(["E_CONFLICT", "pending_transfer_already_posted", "pendingId"]);
  });
  it("void returns everything", () => {
    reserve("p1", 800n);
    ledger.transfer({ id: "p1-void", pendingId: "p1", flags: { voidPending: true } });
    expect(bal("alice")).toEqual([0n, 0n, 0n, 1000n]);
    expect(bal("bob")).toEqual([0n, 0n, 0n, 0n]);
  });
  it("expire on the injected clock, by timer, and refuse a later post", () => {
    reserve("p1", 800n, 1000);
    const expired: string[] = [];
    ledger.onExpired((ids) => expired.push(...ids));
    clock.advance(999);
    expect(ledger.pending("p1")?.state).toBe("pending");
    clock.advance(1);
    expect(expired).toEqual(["p1"]);
    expect(ledger.pending("p1")?.state).toBe("expired");
    expect(bal("alice")).toEqual([0n, 0n, 0n, 1000n]);
    const e = err(() => ledger.transfer({ id: "late", pendingId: "p1", flags: { postPending: true } }));
    expect([e.code, e.details["reason"]]).toEqual(["E_TIMEOUT", "pending_transfer_expired"]);
  });
  it("expire at the next batch when no timer ran, and after reopening the file", () => {
    reserve("p1", 500n, 1000);
    ledger.close();
    clock.advance(2000); // the closed ledger's timer is gone: nothing fires
    ledger = new Ledger({ path: join(dir, "ledger.db"), clock });
    expect(ledger.pending("p1")?.state).toBe("pending");
    ledger.transfer({ id: "t", debitAccountId: "bank", creditAccountId: "bob", amount: 1n, ledger: "t1", code: 1 });
    expect(ledger.pending("p1")?.state).toBe("expired");
    expect(bal("alice")).toEqual([0n, 0n, 0n, 1000n]);
  });
  it("re-arms the expiry timer when reopened", () => {
    reserve("p1", 500n, 1000);
    ledger.close();
    ledger = new Ledger({ path: join(dir, "ledger.db"), clock });
    clock.advance(1000);
    expect(ledger.pending("p1")?.state).toBe("expired");
  });
});

describe("linked transfers", () => {
  it("commit a chain all-or-nothing while unlinked neighbours stand alone", () => {
    const rs = ledger.createTransfers([
      { id: "solo", debitAccountId: "bank", creditAccountId: "bob", amount: 5n, ledger: "t1", code: 1 },
      { id: "c1", debitAccountId: "alice", creditAccountId: "bob", amount: 600n, ledger: "t1", code: 1, flags: { linked: true } },
      { id: "c2", debitAccountId: "alice", creditAccountId: "bob", amount: 600n, ledger: "t1", code: 1 },
      { id: "after", debitAccountId: "bank", creditAccountId: "bob", amount: 7n, ledger: "t1", code: 1 },
    ]);
    expect(rs.map((r) => r.status)).toEqual(["created", "failed", "failed", "created"]);
    expect(failed(rs[1]).details["reason"]).toBe("linked_event_failed");
    expect(failed(rs[2]).details["reason"]).toBe("exceeds_credits");
    expect(ledger.lookupTransfer("c1")).toBeUndefined();
    expect(bal("alice")).toEqual([0n, 0n, 0n, 1000n]);
    expect(bal("bob")).toEqual([0n, 0n, 0n, 12n]);
  });
  it("refuse a batch that ends inside an open chain", () => {
    const rs = ledger.createTransfers([{ id: "c1", debitAccountId: "bank", creditAccountId: "bob", amount: 1n, ledger: "t1", code: 1, flags: { linked: true } }]);
    expect(failed(rs[0]).details["reason"]).toBe("linked_event_chain_open");
    expect(ledger.lookupTransfer("c1")).toBeUndefined();
  });
  it("keep state across close and reopen", () => {
    ledger.transfer({ id: "t1", debitAccountId: "alice", creditAccountId: "bob", amount: 42n, ledger: "t1", code: 1 });
    ledger.close();
    ledger = new Ledger({ path: join(dir, "ledger.db"), clock });
    expect(bal("bob")).toEqual([0n, 0n, 0n, 42n]);
    expect(ledger.transfers({ account: "bob" }).map((t) => t.transfer.id)).toEqual(["t1"]);
  });
});

describe("escrow", () => {
  it("reserves, settles part to the worker and returns the rest", () => {
    const escrow = new Escrow(ledger);
    escrow.reserve({ id: "task-1", ledger: "t1", payer: "alice", amount: 500n, timeoutMs: 60_000 });
    expect(bal("alice")).toEqual([500n, 0n, 0n, 1000n]);
    const s = escrow.settle("task-1", { accept: true, worker: "bob", amount: 200n });
    expect([s.posted, s.returned]).toEqual([200n, 300n]);
    expect(bal("alice")).toEqual([0n, 200n, 0n, 1000n]);
    expect(bal("bob")).toEqual([0n, 0n, 0n, 200n]);
    expect(bal(escrowAccountId("t1"))).toEqual([0n, 200n, 0n, 200n]);
    // A retried settle is the same settlement, not a second payment.
    escrow.settle("task-1", { accept: true, worker: "bob", amount: 200n });
    expect(bal("bob")).toEqual([0n, 0n, 0n, 200n]);
    expect(err(() => escrow.settle("task-1", { accept: true, worker: "bob", amount: 250n })).code).toBe("E_CONFLICT");
    expect(err(() => escrow.refund("task-1")).details["reason"]).toBe("pending_transfer_already_posted");
  });
  it("refunds on rejection and on timeout", () => {
    const escrow = new Escrow(ledger);
    escrow.reserve({ id: "task-1", ledger: "t1", payer: "alice", amount: 500n, timeoutMs: 0 });
    escrow.settle("task-1", { accept: false, worker: "bob" });
    escrow.reserve({ id: "task-2", ledger: "t1", payer: "alice", amount: 400n, timeoutMs: 10 });
    clock.advance(10);
    expect(escrow.state("task-2")?.state).toBe("expired");
    expect(bal("alice")).toEqual([0n, 0n, 0n, 1000n]);
    expect(bal("bob")).toEqual([0n, 0n, 0n, 0n]);
    expect(err(() => escrow.settle("task-2", { accept: true, worker: "bob" })).code).toBe("E_TIMEOUT");
  });
});
