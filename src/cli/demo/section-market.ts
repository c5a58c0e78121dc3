/**
 * Demo section 8: the planner engine. A goal of three parts is planned into a task graph (three
 * parallel parts and a join); three scripted workers bid for every task on the market (order book:
 * best price wins, escrow reserves it); bob's join result is vetoed by the critic — the escrow is
 * voided, the result never leaves — and the task is re-posted without bob and redone; the ledger
 * balances at the end. Offline: rule-based planner, scripted workers and judge. Every id, bid,
 * verdict and balance printed is the real one.
 */
import type { AnyKernelEvent } from "../../core/index.js";
import type { Aios } from "../../sdk/index.js";
import { credits } from "../planner-render.js";
import type { Narrator } from "./narrator.js";
import { MARKET_WORKER_MODULE } from "./paths.js";

const WORKERS = [
  { name: "bob", price: 100_000, sloppyOn: ["join"] },
  { name: "ann", price: 200_000, sloppyOn: [] },
  { name: "cy", price: 150_000, sloppyOn: [] },
] as const;
const GOAL = "Granite forms from cooling magma; Basalt forms from fast-cooling lava; Marble forms from heated limestone";

export async function sectionMarket(os: Aios, say: Narrator): Promise<boolean> {
  say.section("A plan through the market: bids, a veto, a balanced ledger", "`os.plan(goal)` (or `aios plan`) turns a goal into a validated task graph. Each task is posted to the market; registered workers bid, the order book clears at the best price and escrow reserves it on the double-entry ledger. The critic scores every result on five dimensions: below 0.85 it is vetoed — escrow voided, the result kept inside — and the task is re-posted without that worker.");
  const seen: AnyKernelEvent[] = [];
  const sub = os.events.subscribe({ types: ["critic.verdict", "ledger.transfer"] }, (e) => void seen.push(e));
  await os.ledger.deposit("operator", 10_000_000n, { id: "demo-fund" });
  const names = new Map<string, string>();
  for (const w of WORKERS) {
    const id = await os.spawn({ name: w.name, kind: "code", module: MARKET_WORKER_MODULE, export: "marketWorker", capabilities: ["market#join", "market:**#bid"], args: { price: w.price, sloppyOn: [...w.sloppyOn] } });
    names.set(id, w.name);
  }
  const who = (id: string | undefined): string => (id === undefined ? "-" : (names.get(id) ?? id));
  say.show("workers", WORKERS.map((w) => `${w.name} bids ${credits(String(w.price))}`).join(", ") + " (credits); bob cuts corners on joins");
  const r = await os.plan(GOAL);
  await new Promise((res) => setImmediate(res));
  sub();
  say.show("goal", GOAL);
  say.show(`plan ${r.planId}`, "part1, part2, part3 (in parallel) -> join");
  for (const t of await os.market.book()) {
    if (!t.taskId.startsWith(r.planId)) continue;
    const bids = t.bids.map((b) => `${who(b.worker)}@${credits(b.price)}`).join(" ");
    say.say(`market ${t.taskId.slice(r.planId.length + 1).padEnd(12)} bids ${bids.padEnd(28)} -> ${who(t.award?.worker)} ${t.status}${t.paid === undefined ? "" : ` (paid ${credits(t.paid)})`}`);
  }
  const verdicts = seen.filter((e) => e.type === "critic.verdict").map((e) => e.data as { subject: string; accept: boolean; score: number; worker?: string; reasons: readonly string[] });
  const vetoes = verdicts.filter((v) => !v.accept);
  for (const v of vetoes) say.show(`critic vetoed ${who(v.worker)}'s ${v.subject.slice(r.planId.length + 1)}`, `score ${v.score} < 0.85: ${v.reasons.slice(0, 2).join("; ")}`);
  say.show("answer", r.status === "answered" ? ((r.answer as { text?: string }).text ?? JSON.stringify(r.answer)) : `${r.status}`);
  const totals = await os.ledger.totals();
  const balances = await os.ledger.balances();
  say.say(balances.filter((a) => a.account !== "mint:default").map((a) => `${a.account.startsWith("agent:") ? who(a.account.slice(6)) : a.account} ${credits(a.available)}`).join(", "));
  say.show("ledger", `${seen.filter((e) => e.type === "ledger.transfer").length} transfers; debits posted ${credits(totals.debitsPosted)} = credits posted ${credits(totals.creditsPosted)}, pending ${credits(totals.debitsPending)}: ${totals.balanced ? "balanced" : "NOT balanced"}`);
  const ok = r.status === "answered" && vetoes.length === 1 && totals.balanced && totals.debitsPending === "0";
  if (ok) say.ok("one result vetoed and redone by another worker; every credit accounted for (double entry, escrow empty)");
  return ok;
}
