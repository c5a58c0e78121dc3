/**
 * The process tree: every agent in supervision order, one table row each — status, supervision
 * (strategy, restart intensity and the restarts inside its window), incarnation, mailbox depth and
 * senders waiting — with pause, resume, restart and kill buttons that ask before acting. The <tbody> is a
 * live region the island refreshes from /ui/fragment/tree when lifecycle events arrive. Pages of
 * 100 rows — about three screens, the first screen rendered by the server — in a fixed-layout table
 * (the browser sizes columns from the header, not by measuring every row before the first paint):
 * a 10,000-row table (7 MB of HTML) took seconds to lay out, and 500 rows still 1.8 s at load 22.
 */
import type { TreeNode } from "../../../kernel/index.js";
import type { Aios } from "../../../sdk/index.js";
import { h, type Html } from "../html.js";
import { opButton } from "../layout.js";

export interface TreeRow {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly status: string;
  readonly depth: number;
  readonly supervision: string | undefined;
  readonly incarnation: number;
  readonly mailbox: number;
  readonly waiting: number;
}

/** The tree flattened depth-first, with what each row shows read from the process table. */
export function treeRows(os: Aios, now: number): TreeRow[] {
  const out: TreeRow[] = [];
  const walk = (n: TreeNode, depth: number): void => {
    const p = os.kernel.find(n.id);
    const sup = p?.sup ?? null;
    const recent = sup === null ? 0 : sup.restarts.filter((t) => t > now - sup.periodMs).length;
    out.push({
      id: n.id,
      name: n.name,
      kind: n.kind,
      status: n.status,
      depth,
      supervision: sup === null ? undefined : `${sup.strategy}, ${recent} of ${sup.intensity} restarts in ${sup.periodMs / 1000} s`,
      incarnation: p?.incarnation ?? 0,
      mailbox: p?.mailbox.length ?? 0,
      waiting: p?.mailbox.waiting ?? 0,
    });
    for (const c of n.children) walk(c, depth + 1);
  };
  for (const root of os.tree()) walk(root, 0);
  return out;
}

const LIVE = new Set(["running", "paused", "pending"]);

export function agentActions(r: { id: string; name: string; status: string }): Html {
  if (!LIVE.has(r.status)) return h``;
  const base = `/ui/agents/${encodeURIComponent(r.id)}`;
  return h`${r.status === "paused"
    ? opButton(`${base}/resume`, "Resume", { id: `resume-${r.id}`, confirm: `Resume agent ${r.name}?` })
    : opButton(`${base}/pause`, "Pause", { id: `pause-${r.id}`, confirm: `Pause agent ${r.name}? Its mail will queue.` })} ${opButton(`${base}/restart`, "Restart", {
    id: `restart-${r.id}`, confirm: `Restart agent ${r.name}? It stops and starts again under the same id; a durable agent keeps its journaled state, any other starts fresh.`,
  })} ${opButton(`${base}/kill`, "Kill", { id: `kill-${r.id}`, danger: true, confirm: `Kill agent ${r.name}? Its supervisor will not restart it.` })}`;
}

export function treeBody(rows: readonly TreeRow[]): Html {
  if (rows.length === 0) return h`<tr><td colspan="7">No agents yet. Spawn one with <code>aios run &lt;spec&gt;</code>.</td></tr>`;
  return h`${rows.map((r) => h`<tr data-agent="${r.id}" data-status="${r.status}">
<th scope="row" class="depth-${Math.min(r.depth, 9)}">${r.depth > 0 ? h`<span aria-hidden="true">└ </span>` : ""}<a href="/ui/agents/${encodeURIComponent(r.id)}">${r.name}</a> <span class="muted">${r.id}</span></th>
<td>${r.kind}</td><td><span class="status s-${r.status}">${r.status}</span></td><td>${r.supervision ?? "—"}</td>
<td class="num">${r.incarnation}</td><td class="num">${r.mailbox}${r.waiting > 0 ? ` (+${r.waiting} waiting)` : ""}</td>
<td class="actions">${agentActions(r)}</td></tr>`)}`;
}

/** Rows per page of the tree view. */
export const TREE_PAGE = 100;

export function treePage(rows: readonly TreeRow[], from: number): readonly TreeRow[] {
  return rows.slice(from, from + TREE_PAGE);
}

export function treeView(rows: readonly TreeRow[], from: number): Html {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
  const summary = [...counts].map(([s, n]) => `${n} ${s}`).join(", ");
  const shown = treePage(rows, from);
  const paged = rows.length > TREE_PAGE;
  const pager = paged
    ? h`<nav aria-label="Tree pages" class="pager">${from > 0 ? h`<a href="/ui/tree?from=${Math.max(0, from - TREE_PAGE)}">Previous ${TREE_PAGE}</a>` : ""} <span>Rows ${from + 1}–${from + shown.length} of ${rows.length}</span> ${from + TREE_PAGE < rows.length ? h`<a href="/ui/tree?from=${from + TREE_PAGE}">Next ${TREE_PAGE}</a>` : ""}</nav>`
    : "";
  return h`<p id="tree-summary">${rows.length} agents${summary === "" ? "" : `: ${summary}`}. Updates live.</p>${pager}
<table class="grid tree"><caption>Supervision tree (children indented under their supervisor)</caption>
<thead><tr><th scope="col">Agent</th><th scope="col">Kind</th><th scope="col">Status</th><th scope="col">Supervision</th><th scope="col">Incarnation</th><th scope="col">Mailbox</th><th scope="col">Actions</th></tr></thead>
<tbody id="tree-body" data-live="agent.*,supervisor.*,mailbox.*" data-src="/ui/fragment/tree?from=${from}">${treeBody(shown)}</tbody></table>`;
}
