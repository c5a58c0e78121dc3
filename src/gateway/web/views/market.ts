/**
 * The market (planner/'s order book): every task posted, its status, budget, the bids on it, the
 * award and what was paid — the same data as `aios market book`, amounts in credits (the ledger
 * keeps integer micro-credits). Bids are listed as text, not drawn; nothing here is only visual.
 */
import type { MarketTaskJson } from "../../../planner/index.js";
import { h, isoTime, type Html } from "../html.js";

/** Integer micro-credits (a decimal string) as credits with six decimals. */
export function credits(micro: string): string {
  let n: bigint;
  try {
    n = BigInt(micro);
  } catch {
    return micro;
  }
  const neg = n < 0n;
  const a = neg ? -n : n;
  return `${neg ? "-" : ""}${a / 1_000_000n}.${(a % 1_000_000n).toString().padStart(6, "0")}`;
}

export function marketView(tasks: readonly MarketTaskJson[] | undefined, status: string): Html {
  if (tasks === undefined) return h`<p>This system runs without the planner's market.</p>`;
  const statuses = ["", "open", "awarded", "done", "settled", "refunded", "expired", "failed"];
  const filter = h`<form method="get" action="/ui/market" class="filters"><label for="m-status">Status
<select id="m-status" name="status">${statuses.map((s) => h`<option value="${s}"${s === status ? h` selected` : ""}>${s === "" ? "any" : s}</option>`)}</select></label>
<button type="submit">Show</button></form>`;
  if (tasks.length === 0) return h`${filter}<p>No task on the market${status === "" ? "" : ` with status ${status}`}.</p>`;
  return h`${filter}<table class="grid"><caption>Order book: ${tasks.length} task(s), amounts in credits</caption>
<thead><tr><th scope="col">Task</th><th scope="col">Poster</th><th scope="col">Status</th><th scope="col">Budget</th><th scope="col">Deadline</th><th scope="col">Bids (worker: price, quality, time)</th><th scope="col">Winner</th><th scope="col">Price</th><th scope="col">Paid</th></tr></thead>
<tbody>${tasks.map((t) => h`<tr><th scope="row"><code>${t.taskId}</code></th><td>${t.poster}</td><td>${t.status}</td><td class="num">${credits(t.budget)}</td><td>${isoTime(t.deadline)}</td>
<td>${t.bids.length === 0 ? "none" : h`<ul class="plain">${t.bids.map((b) => h`<li>${b.worker}: ${credits(b.price)}, quality ${b.quality}, ${b.timeMs} ms</li>`)}</ul>`}</td>
<td>${t.award?.worker ?? "—"}</td><td class="num">${t.award === undefined ? "—" : credits(t.award.price)}</td><td class="num">${t.paid === undefined ? "—" : credits(t.paid)}</td></tr>`)}</tbody></table>`;
}
