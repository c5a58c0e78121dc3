/**
 * Human renderings of the planner's answers: a plan card, the market book, ledger balances with the
 * double-entry check, transfers and reputation profiles. Money is shown in credits (the API's
 * micro-credit strings divided exactly, no float on the way); `--json` prints the raw answers.
 */
import { AiosError } from "../core/index.js";
import type { LedgerBalances, PlanView } from "../gateway/index.js";
import type { MarketTaskJson, Profile, TransferJson } from "../planner/index.js";
import { cell, formatTable } from "./output.js";

const MICRO = 1_000_000n;

/** "1500000" -> "1.5" (exact, from the decimal string). */
export function credits(micro: string): string {
  const v = BigInt(micro);
  const neg = v < 0n;
  const a = neg ? -v : v;
  const frac = (a % MICRO).toString().padStart(6, "0").replace(/0+$/, "");
  return `${neg ? "-" : ""}${a / MICRO}${frac === "" ? "" : `.${frac}`}`;
}

/** "2.5" -> 2500000n; at most 6 decimals, never a float. */
export function parseCredits(text: string, option: string): bigint {
  const m = /^(\d{1,13})(?:\.(\d{1,6}))?$/.exec(text.trim());
  if (m === null) throw new AiosError("E_INVALID_ARG", `${option}: expected credits like 2 or 2.5 (at most 6 decimals), got "${text}"`, { details: { path: option } });
  return BigInt(m[1] ?? "0") * MICRO + BigInt((m[2] ?? "").padEnd(6, "0"));
}

export function planCard(p: PlanView): string {
  const lines = [`plan ${p.planId} v${p.version}: ${p.status}`];
  for (const [id, s] of Object.entries(p.tasks ?? {})) lines.push(`  ${id.padEnd(16)} ${s}`);
  if (p.answer !== undefined) {
    const a = p.answer as { text?: unknown };
    lines.push(`answer: ${typeof a.text === "string" ? a.text : JSON.stringify(p.answer)}`);
  }
  if (p.error !== undefined) lines.push(`error: ${p.error.code}: ${p.error.message}`);
  return lines.join("\n");
}

export function bookTable(tasks: readonly MarketTaskJson[]): string {
  if (tasks.length === 0) return "(no tasks on the market)";
  return formatTable(
    tasks.map((t) => [t.taskId, t.status, credits(t.budget), t.bids.map((b) => `${b.worker}@${credits(b.price)}`).join(" ") || "-", t.award?.worker ?? "-", t.award === undefined ? "-" : credits(t.award.price), t.paid === undefined ? "-" : credits(t.paid)]),
    ["TASK", "STATUS", "BUDGET", "BIDS", "WINNER", "PRICE", "PAID"],
  );
}

export function balancesText(b: LedgerBalances): string {
  const table = b.accounts.length === 0 ? "(no accounts)" : formatTable(
    b.accounts.map((a) => [a.account, a.ledger, credits(a.available), credits(a.creditsPosted), credits(a.debitsPosted), credits(a.creditsPending), credits(a.debitsPending)]),
    ["ACCOUNT", "LEDGER", "AVAILABLE", "CREDITS", "DEBITS", "CR PENDING", "DR PENDING"],
  );
  const t = b.totals;
  const check = `double entry over ${t.accounts} accounts: debits posted ${credits(t.debitsPosted)} = credits posted ${credits(t.creditsPosted)}, pending ${credits(t.debitsPending)} = ${credits(t.creditsPending)}: ${t.balanced ? "balanced" : "NOT BALANCED"}`;
  return `${table}\n${check}`;
}

export function transfersTable(ts: readonly TransferJson[]): string {
  if (ts.length === 0) return "(no transfers)";
  return formatTable(ts.map((t) => [t.seq, t.id, t.debitAccountId, t.creditAccountId, credits(t.amount), t.flags.join(",") || "-", new Date(t.timestamp).toISOString()]), ["SEQ", "ID", "DEBIT", "CREDIT", "AMOUNT", "FLAGS", "AT"]);
}

export function reputationTable(ps: readonly Profile[]): string {
  if (ps.length === 0) return "(no agents known to reputation)";
  const d = (p: Profile, k: keyof Profile["dimensions"]): string => `${p.dimensions[k].mean.toFixed(2)} (${p.dimensions[k].evidence.toFixed(1)})`;
  return formatTable(
    ps.map((p) => [p.agent, p.trust.toFixed(3), d(p, "quality"), d(p, "reliability"), d(p, "timeliness"), d(p, "costAccuracy"), d(p, "bidHonesty"), d(p, "cooperation")].map(cell)),
    ["AGENT", "TRUST", "QUALITY", "RELIABILITY", "TIMELINESS", "COST ACC.", "BID HONESTY", "COOPERATION"],
  );
}
