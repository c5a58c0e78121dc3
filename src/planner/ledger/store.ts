/**
 * The ledger's SQLite file: schema, prepared statements and row <-> object mapping. Nothing here
 * decides anything; ledger.ts owns the rules and calls these inside one transaction per batch.
 * The connection reads every INTEGER as a BigInt (defaultSafeIntegers) so balances never pass
 * through a double. WAL + synchronous=FULL: a batch the ledger acknowledged is fsynced, and NORMAL
 * may roll back an acknowledged commit on power loss.
 */
import Database from "better-sqlite3";
import { AiosError, ownerOnlyDatabase } from "../../core/index.js";
import type { Account, AccountFlags, PendingState, PendingStatus, Transfer, TransferFlags } from "./types.js";

const SCHEMA_VERSION = 1;

const SCHEMA_SQL = `
  CREATE TABLE IF NOT EXISTS ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
  CREATE TABLE IF NOT EXISTS ledger_accounts (
    id TEXT PRIMARY KEY, ledger TEXT NOT NULL, code INTEGER NOT NULL, flags INTEGER NOT NULL,
    debits_pending INTEGER NOT NULL CHECK (debits_pending >= 0), debits_posted INTEGER NOT NULL CHECK (debits_posted >= 0),
    credits_pending INTEGER NOT NULL CHECK (credits_pending >= 0), credits_posted INTEGER NOT NULL CHECK (credits_posted >= 0),
    user_data TEXT, ts INTEGER NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS ledger_accounts_ledger ON ledger_accounts (ledger, id);
  CREATE TABLE IF NOT EXISTS ledger_transfers (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE,
    debit_account_id TEXT NOT NULL, credit_account_id TEXT NOT NULL, amount INTEGER NOT NULL CHECK (amount >= 0),
    pending_id TEXT, ledger TEXT NOT NULL, code INTEGER NOT NULL, flags INTEGER NOT NULL, timeout_ms INTEGER NOT NULL,
    user_data TEXT, ts INTEGER NOT NULL,
    request TEXT NOT NULL
  ) STRICT;
  CREATE INDEX IF NOT EXISTS ledger_transfers_debit ON ledger_transfers (debit_account_id, seq);
  CREATE INDEX IF NOT EXISTS ledger_transfers_credit ON ledger_transfers (credit_account_id, seq);
  CREATE TABLE IF NOT EXISTS ledger_pending (
    id TEXT PRIMARY KEY, amount INTEGER NOT NULL, expires_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'posted', 'voided', 'expired')), resolved_by TEXT
  ) STRICT;
  CREATE INDEX IF NOT EXISTS ledger_pending_expiry ON ledger_pending (expires_at) WHERE state = 'pending' AND expires_at > 0;
`;

const ACCOUNT_BITS = { debitsMustNotExceedCredits: 1, creditsMustNotExceedDebits: 2 } as const;
const TRANSFER_BITS = { linked: 1, pending: 2, postPending: 4, voidPending: 8 } as const;

export function accountFlagBits(f: AccountFlags): number {
  return (f.debitsMustNotExceedCredits ? ACCOUNT_BITS.debitsMustNotExceedCredits : 0) | (f.creditsMustNotExceedDebits ? ACCOUNT_BITS.creditsMustNotExceedDebits : 0);
}
function accountFlags(bits: number): AccountFlags {
  return { debitsMustNotExceedCredits: (bits & ACCOUNT_BITS.debitsMustNotExceedCredits) !== 0, creditsMustNotExceedDebits: (bits & ACCOUNT_BITS.creditsMustNotExceedDebits) !== 0 };
}
export function transferFlagBits(f: TransferFlags): number {
  let b = 0;
  for (const k of Object.keys(TRANSFER_BITS) as (keyof TransferFlags)[]) if (f[k]) b |= TRANSFER_BITS[k];
  return b;
}
function transferFlags(bits: number): TransferFlags {
  return {
    linked: (bits & TRANSFER_BITS.linked) !== 0,
    pending: (bits & TRANSFER_BITS.pending) !== 0,
    postPending: (bits & TRANSFER_BITS.postPending) !== 0,
    voidPending: (bits & TRANSFER_BITS.voidPending) !== 0,
  };
}

interface AccountRow {
  id: string; ledger: string; code: bigint; flags: bigint;
  debits_pending: bigint; debits_posted: bigint; credits_pending: bigint; credits_posted: bigint;
  user_data: string | null; ts: bigint;
}
interface TransferRow {
  id: string; debit_account_id: string; credit_account_id: string; amount: bigint; pending_id: string | null;
  ledger: string; code: bigint; flags: bigint; timeout_ms: bigint; user_data: string | null; ts: bigint; request: string;
}
interface PendingRow { id: string; amount: bigint; expires_at: bigint; state: PendingState; resolved_by: string | null }

function toAccount(r: AccountRow): Account {
  return {
    id: r.id, ledger: r.ledger, code: Number(r.code), flags: accountFlags(Number(r.flags)),
    debitsPending: r.debits_pending, debitsPosted: r.debits_posted, creditsPending: r.credits_pending, creditsPosted: r.credits_posted,
    ...(r.user_data === null ? {} : { userData: r.user_data }), timestamp: Number(r.ts),
  };
}
function toTransfer(r: TransferRow): Transfer {
  return {
    id: r.id, debitAccountId: r.debit_account_id, creditAccountId: r.credit_account_id, amount: r.amount,
    ...(r.pending_id === null ? {} : { pendingId: r.pending_id }), ledger: r.ledger, code: Number(r.code),
    flags: transferFlags(Number(r.flags)), timeoutMs: Number(r.timeout_ms), ...(r.user_data === null ? {} : { userData: r.user_data }), timestamp: Number(r.ts),
  };
}
function toPending(r: PendingRow): PendingStatus {
  return { id: r.id, state: r.state, amount: r.amount, expiresAt: Number(r.expires_at), ...(r.resolved_by === null ? {} : { resolvedBy: r.resolved_by }) };
}

/** The balance columns, as ledger.ts updates them. */
export interface Balances { debitsPending: bigint; debitsPosted: bigint; creditsPending: bigint; creditsPosted: bigint }

export class LedgerStore {
  readonly db: Database.Database;
  private readonly s;

  constructor(path: string) {
    let db: Database.Database | undefined;
    try {
      ownerOnlyDatabase(path);
      db = new Database(path, { timeout: 1000 });
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
      db.defaultSafeIntegers(true);
      // One transaction for the schema and its version row: one fsync, not one per statement.
      db.exec(`BEGIN IMMEDIATE; ${SCHEMA_SQL} INSERT OR IGNORE INTO ledger_meta (key, value) VALUES ('schema', '${SCHEMA_VERSION}'); COMMIT;`);
      this.db = db;
    } catch (e) {
      if (db?.open === true) db.close();
      throw new AiosError("E_STORAGE", `cannot open the ledger database ${path}`, { cause: e, details: { path } });
    }
    const v = (this.db.prepare("SELECT value FROM ledger_meta WHERE key = 'schema'").get() as { value: string } | undefined)?.value;
    if (Number(v) > SCHEMA_VERSION) {
      this.db.close();
      throw new AiosError("E_SCHEMA_VERSION", `ledger database schema ${v} is newer than this build's ${SCHEMA_VERSION}`, { details: { path } });
    }
    this.s = {
      account: db.prepare("SELECT * FROM ledger_accounts WHERE id = ?"),
      accounts: db.prepare("SELECT * FROM ledger_accounts ORDER BY id"),
      accountsOf: db.prepare("SELECT * FROM ledger_accounts WHERE ledger = ? ORDER BY id"),
      insertAccount: db.prepare(
        "INSERT INTO ledger_accounts (id, ledger, code, flags, debits_pending, debits_posted, credits_pending, credits_posted, user_data, ts) VALUES (?, ?, ?, ?, 0, 0, 0, 0, ?, ?)",
      ),
      setBalances: db.prepare("UPDATE ledger_accounts SET debits_pending = ?, debits_posted = ?, credits_pending = ?, credits_posted = ? WHERE id = ?"),
      transfer: db.prepare("SELECT * FROM ledger_transfers WHERE id = ?"),
      transfersOf: db.prepare("SELECT * FROM ledger_transfers WHERE (debit_account_id = @account OR credit_account_id = @account) AND seq > @after ORDER BY seq LIMIT @limit"),
      transfersAll: db.prepare("SELECT * FROM ledger_transfers WHERE seq > ? ORDER BY seq LIMIT ?"),
      insertTransfer: db.prepare(
        "INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, pending_id, ledger, code, flags, timeout_ms, user_data, ts, request) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      pending: db.prepare("SELECT * FROM ledger_pending WHERE id = ?"),
      insertPending: db.prepare("INSERT INTO ledger_pending (id, amount, expires_at, state, resolved_by) VALUES (?, ?, ?, 'pending', NULL)"),
      resolvePending: db.prepare("UPDATE ledger_pending SET state = ?, resolved_by = ? WHERE id = ? AND state = 'pending'"),
      dueExpiries: db.prepare("SELECT * FROM ledger_pending WHERE state = 'pending' AND expires_at > 0 AND expires_at <= ? ORDER BY expires_at, id"),
      nextExpiry: db.prepare("SELECT MIN(expires_at) AS at FROM ledger_pending WHERE state = 'pending' AND expires_at > 0"),
      pendingAll: db.prepare("SELECT * FROM ledger_pending ORDER BY id"),
    };
  }

  account(id: string): Account | undefined {
    const r = this.s.account.get(id) as AccountRow | undefined;
    return r === undefined ? undefined : toAccount(r);
  }
  accounts(ledger?: string): Account[] {
    const rows = (ledger === undefined ? this.s.accounts.all() : this.s.accountsOf.all(ledger)) as AccountRow[];
    return rows.map(toAccount);
  }
  insertAccount(a: Omit<Account, "debitsPending" | "debitsPosted" | "creditsPending" | "creditsPosted">): void {
    this.s.insertAccount.run(a.id, a.ledger, a.code, accountFlagBits(a.flags), a.userData ?? null, a.timestamp);
  }
  setBalances(id: string, b: Balances): void {
    this.s.setBalances.run(b.debitsPending, b.debitsPosted, b.creditsPending, b.creditsPosted, id);
  }

  transfer(id: string): { transfer: Transfer; request: string } | undefined {
    const r = this.s.transfer.get(id) as TransferRow | undefined;
    return r === undefined ? undefined : { transfer: toTransfer(r), request: r.request };
  }
  /** Transfers in commit order, after sequence `after` (0 = from the start). */
  transfers(opts: { account?: string; after?: number; limit?: number } = {}): { transfer: Transfer; seq: number }[] {
    const after = opts.after ?? 0;
    const limit = opts.limit ?? 1000;
    const rows = (opts.account === undefined ? this.s.transfersAll.all(after, limit) : this.s.transfersOf.all({ account: opts.account, after, limit })) as (TransferRow & { seq: bigint })[];
    return rows.map((r) => ({ transfer: toTransfer(r), seq: Number(r.seq) }));
  }
  insertTransfer(t: Transfer, request: string): void {
    this.s.insertTransfer.run(
      t.id, t.debitAccountId, t.creditAccountId, t.amount, t.pendingId ?? null, t.ledger, t.code, transferFlagBits(t.flags), t.timeoutMs, t.userData ?? null, t.timestamp, request,
    );
  }

  pending(id: string): PendingStatus | undefined {
    const r = this.s.pending.get(id) as PendingRow | undefined;
    return r === undefined ? undefined : toPending(r);
  }
  pendingAll(): PendingStatus[] {
    return (this.s.pendingAll.all() as PendingRow[]).map(toPending);
  }
  insertPending(id: string, amount: bigint, expiresAt: number): void {
    this.s.insertPending.run(id, amount, expiresAt);
  }
  /** Moves a pending transfer out of `pending`; false when it had already left it (never twice). */
  resolvePending(id: string, state: Exclude<PendingState, "pending">, by: string | null): boolean {
    return this.s.resolvePending.run(state, by, id).changes === 1;
  }
  dueExpiries(now: number): PendingStatus[] {
    return (this.s.dueExpiries.all(now) as PendingRow[]).map(toPending);
  }
  nextExpiry(): number | undefined {
    const r = this.s.nextExpiry.get() as { at: bigint | null };
    return r.at === null ? undefined : Number(r.at);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
