/**
 * The page shell every dashboard view shares: a skip link, the navigation (the current view marked
 * with aria-current), the log-out form, one <main> landmark with the view's <h1>, a polite live
 * region the island announces updates in, and the confirmation <dialog> state-changing buttons
 * open. Styles and the island script are static files under /ui/assets/ (CSP allows 'self' only).
 */
import { CSRF_FIELD } from "./auth.js";
import { h, type Html } from "./html.js";

export const VIEWS = [
  { path: "/ui/tree", label: "Processes" },
  { path: "/ui/events", label: "Messages & events" },
  { path: "/ui/memory", label: "Memory" },
  { path: "/ui/approvals", label: "Approvals" },
  { path: "/ui/audit", label: "Audit" },
  { path: "/ui/costs", label: "Costs" },
  { path: "/ui/scheduler", label: "Scheduler" },
  { path: "/ui/traces", label: "Traces" },
  { path: "/ui/market", label: "Market" },
] as const;

export type ViewPath = (typeof VIEWS)[number]["path"];

export interface PageOptions {
  readonly title: string;
  readonly active?: ViewPath;
  readonly csrf?: string;
  readonly body: Html;
}

export function csrfInput(csrf: string): Html {
  return h`<input type="hidden" name="${CSRF_FIELD}" value="${csrf}">`;
}

function head(title: string, csrf: string | undefined): Html {
  return h`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · AIOS</title><link rel="stylesheet" href="/ui/assets/dashboard.css">${csrf === undefined ? "" : h`<meta name="csrf-token" content="${csrf}">`}
<script type="module" src="/ui/assets/dashboard.js"></script></head>`;
}

export function page(o: PageOptions): Html {
  if (o.csrf === undefined) {
    return h`${head(o.title, undefined)}<body><main id="main" class="narrow"><h1>${o.title}</h1>${o.body}</main></body></html>`;
  }
  const nav = VIEWS.map((v) => h`<li><a href="${v.path}"${v.path === o.active ? h` aria-current="page"` : ""}>${v.label}</a></li>`);
  return h`${head(o.title, o.csrf)}<body><a class="skip" href="#main">Skip to content</a>
<header><span class="brand">AIOS</span><nav aria-label="Views"><ul>${nav}</ul></nav>
<form method="post" action="/logout">${csrfInput(o.csrf)}<button type="submit">Log out</button></form></header>
<main id="main" tabindex="-1"><h1>${o.title}</h1>${o.body}</main>
<form id="ops" method="post" action="/ui/tree" hidden>${csrfInput(o.csrf)}</form>
<div id="announce" class="sr-only" role="status" aria-live="polite"></div>
<dialog id="confirm" aria-labelledby="confirm-text"><form method="dialog"><p id="confirm-text"></p>
<div class="row"><button value="yes" id="confirm-yes" class="danger">Confirm</button><button value="no" id="confirm-no">Cancel</button></div></form></dialog>
</body></html>`;
}

/**
 * A button posting the page-wide #ops form (which holds the CSRF field) to `action`: one small
 * element per row, so a 10,000-agent tree stays light. `confirm` text makes the island ask in the
 * dialog; without JavaScript the server answers with a confirmation page instead.
 */
export function opButton(action: string, label: string, o: { confirm: string; id: string; danger?: boolean }): Html {
  return h`<button type="submit" form="ops" formaction="${action}" data-confirm="${o.confirm}" id="${o.id}"${o.danger === true ? h` class="danger"` : ""}>${label}</button>`;
}

/** A state-changing button: a POST form with the CSRF field; `confirm` text makes the island ask first. */
export function actionForm(action: string, label: string, csrf: string, o: { confirm?: string; id?: string; danger?: boolean; fields?: Html } = {}): Html {
  return h`<form method="post" action="${action}" class="inline"${o.confirm === undefined ? "" : h` data-confirm="${o.confirm}"`}>${csrfInput(csrf)}${o.fields ?? ""}<button type="submit"${o.id === undefined ? "" : h` id="${o.id}"`}${o.danger === true ? h` class="danger"` : ""}>${label}</button></form>`;
}
