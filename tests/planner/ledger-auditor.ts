/**
 * The auditor: an independent model of the ledger for the model-based tests. It is written from
 * the rules in ADR 0011, not from ledger/rules.ts: plain Maps of bigint balances, a copy-on-write
 * chain for linked batches. For every request it predicts the outcome (created, exists, or the
 * failure's reason); the test compares that prediction and the balances with the real ledger.
 */
import type { TransferInput } from "../../src/planner/index.js";

export type Flag = "none" | "dr" | "cr";
export interface MAccount { flag: Flag; dp: bigint; dpo: bigint; cp: bigint; cpo: bigint }
interface MPending { amount: bigint; dr: string; cr: string; expiresAt: number; state: "pending" | "posted" | "voided" | "expired" }
interface MState { accounts: Map<string, MAccount>; requests: Map<string, TransferInput>; pendings: Map<string, MPending> }

/** "created", "exists", or the failure's reason. */
export type Outcome = string;

const FIELDS = ["debitAccountId", "creditAccountId", "amount", "pendingId", "ledger", "code", "flags", "timeoutMs", "userData"] as const;
const flagKey = (t: TransferInput): string => {
  const f = t.flags ?? {};
  return [f.linked, f.pending, f.postPending, f.voidPending].map((b) => (b === true ? 1 : 0)).join("");
};
const field = (t: TransferInput, f: (typeof FIELDS)[number]): string => (f === "flags" ? flagKey(t) : f === "timeoutMs" ? String(t.timeoutMs ?? 0) : String(t[f] ?? "-"));

function clone(s: MState): MState {
  return {
    accounts: new Map([...s.accounts].map(([k, v]) => [k, { ...v }])),
    requests: new Map(s.requests),
    pendings: new Map([...s.pendings].map(([k, v]) => [k, { ...v }])),
  };
}

export class Auditor {
  private s: MState = { accounts: new Map(), requests: new Map(), pendings: new Map() };

  openAccount(id: string, flag: Flag): void {
    if (!this.s.accounts.has(id)) this.s.accounts.set(id, { flag, dp: 0n, dpo: 0n, cp: 0n, cpo: 0n });
  }
  accounts(): ReadonlyMap<string, MAccount> {
    return this.s.accounts;
  }
  pendingState(id: string): string | undefined {
    return this.s.pendings.get(id)?.state;
  }
  /** Ids of every pending transfer ever created, whatever its state now. */
  pendingIds(): string[] {
    return [...this.s.pendings.keys()];
  }
  knownIds(): string[] {
    return [...this.s.requests.keys()];
  }
  request(id: string): TransferInput | undefined {
    return this.s.requests.get(id);
  }

  expire(now: number): void {
    for (const p of this.s.pendings.values()) {
      if (p.state !== "pending" || p.expiresAt === 0 || p.expiresAt > now) continue;
      p.state = "expired";
      this.acc(p.dr).dp -= p.amount;
      this.acc(p.cr).cp -= p.amount;
    }
  }

  /** Predicts a batch: one outcome per request, applying what commits. */
  batch(reqs: readonly TransferInput[], now: number): Outcome[] {
    this.expire(now);
    const out: Outcome[] = [];
    let i = 0;
    while (i < reqs.length) {
      let end = i;
      while (end < reqs.length - 1 && reqs[end]?.flags?.linked === true) end++;
      if (reqs[end]?.flags?.linked === true) {
        for (let k = i; k <= end; k++) out.push(k === end ? "linked_event_chain_open" : "linked_event_failed");
        break;
      }
      const work = clone(this.s);
      const chain: Outcome[] = [];
      let failedAt = -1;
      for (let k = i; k <= end; k++) {
        const o = one(work, reqs[k] as TransferInput, now);
        chain.push(o);
        if (o !== "created" && o !== "exists") {
          failedAt = k - i;
          break;
        }
      }
      if (failedAt < 0) {
        this.s = work;
        out.push(...chain);
      } else {
        for (let k = i; k <= end; k++) out.push(k - i === failedAt ? (chain[failedAt] as string) : "linked_event_failed");
      }
      i = end + 1;
    }
    return out;
  }

  private acc(id: string): MAccount {
    const a = this.s.accounts.get(id);
    if (a === undefined) throw new Error(`auditor: no account ${id}`);
    return a;
  }
}

function one(s: MState, t: TransferInput, now: number): Outcome {
  const f = t.flags ?? {};
  const phase2 = f.postPending === true || f.voidPending === true;
  if (!phase2 && t.debitAccountId === t.creditAccountId) return "accounts_must_be_different";
  if (phase2 && t.pendingId === t.id) return "pending_id_must_be_different";
  const prior = s.requests.get(t.id);
  if (prior !== undefined) {
    const diff = FIELDS.find((k) => field(prior, k) !== field(t, k));
    return diff === undefined ? "exists" : `exists_with_different_${diff}`;
  }
  if (!phase2) {
    const amount = t.amount as bigint;
    const dr = s.accounts.get(t.debitAccountId as string);
    if (dr === undefined) return "debit_account_not_found";
    const cr = s.accounts.get(t.creditAccountId as string);
    if (cr === undefined) return "credit_account_not_found";
    const pending = f.pending === true;
    if (dr.flag === "dr" && dr.dp + dr.dpo + amount > dr.cpo) return "exceeds_credits";
    if (cr.flag === "cr" && cr.cp + cr.cpo + amount > cr.dpo) return "exceeds_debits";
    if (pending) {
      dr.dp += amount;
      cr.cp += amount;
      s.pendings.set(t.id, { amount, dr: t.debitAccountId as string, cr: t.creditAccountId as string, expiresAt: (t.timeoutMs ?? 0) > 0 ? now + (t.timeoutMs as number) : 0, state: "pending" });
    } else {
      dr.dpo += amount;
      cr.cpo += amount;
    }
    s.requests.set(t.id, t);
    return "created";
  }
  const pid = t.pendingId as string;
  if (!s.requests.has(pid)) return "pending_transfer_not_found";
  const p = s.pendings.get(pid);
  if (p === undefined) return "pending_transfer_not_pending";
  if (p.state === "expired") return "pending_transfer_expired";
  if (p.state !== "pending") return `pending_transfer_already_${p.state}`;
  const posted = f.postPending === true ? (t.amount ?? p.amount) : 0n;
  if (posted > p.amount) return "exceeds_pending_transfer_amount";
  const dr = s.accounts.get(p.dr) as MAccount;
  const cr = s.accounts.get(p.cr) as MAccount;
  dr.dp -= p.amount;
  cr.cp -= p.amount;
  dr.dpo += posted;
  cr.cpo += posted;
  p.state = f.postPending === true ? "posted" : "voided";
  s.requests.set(t.id, t);
  return "created";
}
