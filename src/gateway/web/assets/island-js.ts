/**
 * The dashboard's only script (an "island" over server-rendered pages), shipped as written: no
 * framework, ~4 kB. It (1) opens /ui/stream and refreshes the [data-live] regions whose event
 * patterns match (debounced, the server renders the fragment, focus is kept on the same control),
 * (2) appends rows to [data-stream] tables with the table's own filter, built with textContent
 * only, as each stream message arrives, (3) turns buttons and forms marked data-confirm into a modal <dialog> confirmation that
 * posts with the CSRF header and announces the result in the polite live region. Kept in a TS string so the
 * package ships it without a copy step; it must contain no backquote or dollar-brace.
 */
export const ISLAND_JS = String.raw`"use strict";
const csrfMeta = document.querySelector('meta[name="csrf-token"]');
const csrf = csrfMeta ? csrfMeta.getAttribute("content") : "";
const RANK = { debug: 0, info: 1, warn: 2, error: 3, critical: 4 };
const patterns = (s) => (s || "").split(",").map((t) => t.trim()).filter((t) => t !== "");
const matches = (list, type) => list.length === 0 || list.some((p) => (p.endsWith("*") ? type.startsWith(p.slice(0, -1)) : type === p));

function announce(msg) {
  const el = document.getElementById("announce");
  if (!el) return;
  el.textContent = "";
  window.setTimeout(() => { el.textContent = msg; }, 30);
}

function wireForms(root) {
  root.querySelectorAll("form[data-confirm]").forEach((form) => {
    if (form.dataset.wired === "1") return;
    form.dataset.wired = "1";
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      const b = form.querySelector("button");
      ask(form.action, form.dataset.confirm, b ? b.id : "", new FormData(form));
    });
  });
}

// Row buttons post the page-wide #ops form (form="ops" formaction=...): one listener for all.
const ops = document.getElementById("ops");
if (ops) {
  ops.addEventListener("submit", (ev) => {
    const b = ev.submitter;
    if (!b || !b.dataset.confirm) return;
    ev.preventDefault();
    ask(b.formAction, b.dataset.confirm, b.id, new FormData(ops));
  });
}

function ask(action, question, openerId, data) {
  const dialog = document.getElementById("confirm");
  const text = document.getElementById("confirm-text");
  if (!dialog || !text || typeof dialog.showModal !== "function") return;
  text.textContent = question || "Are you sure?";
  dialog.returnValue = "";
  dialog.addEventListener("close", async () => {
    if (dialog.returnValue === "yes") {
      const body = new URLSearchParams(data);
      body.set("confirmed", "yes");
      try {
        const res = await fetch(action, { method: "POST", body, headers: { "x-csrf-token": csrf }, credentials: "same-origin" });
        const out = await res.json().catch(() => ({}));
        announce(out.ok ? out.message : "Failed: " + (out.error ? out.error.message : res.status));
      } catch (e) {
        announce("Failed: " + e);
      }
    }
    const back = (openerId && document.getElementById(openerId)) || document.getElementById("main");
    if (back) back.focus();
  }, { once: true });
  dialog.showModal();
  const cancel = document.getElementById("confirm-no");
  if (cancel) cancel.focus();
}

const regions = Array.from(document.querySelectorAll("[data-live]")).map((el) => ({ el, types: patterns(el.dataset.live), src: el.dataset.src, timer: 0 }));
const tables = Array.from(document.querySelectorAll("[data-stream]")).map((el) => ({ el, types: patterns(el.dataset.types), agent: el.dataset.agent || "", min: RANK[el.dataset.severity] || 0, queue: [] }));

async function refresh(r) {
  r.timer = 0;
  const res = await fetch(r.src, { headers: { "x-csrf-token": csrf }, credentials: "same-origin" });
  if (!res.ok) return;
  const html = await res.text();
  const active = document.activeElement && r.el.contains(document.activeElement) ? document.activeElement.id : "";
  r.el.innerHTML = html;
  wireForms(r.el);
  if (active) {
    const again = document.getElementById(active);
    if (again) again.focus();
  }
  r.el.dataset.version = String(Number(r.el.dataset.version || "0") + 1);
}

// Live rows are one line each (compact JSON, cut at 200 characters): fixed-height rows keep the
// table's layout per frame small at 1,000 events/s. Each row is a clone of one template row (one
// native call instead of seven createElement and appendChild calls), its cells filled by textContent.
const TEMPLATE = document.createElement("tr");
for (let i = 0; i < 5; i++) TEMPLATE.appendChild(document.createElement("td"));
TEMPLATE.cells[1].appendChild(document.createElement("code"));
const dataCode = document.createElement("code");
dataCode.className = "data";
TEMPLATE.cells[4].appendChild(dataCode);

function row(e) {
  const tr = TEMPLATE.cloneNode(true);
  tr.dataset.seq = String(e.seq);
  tr.dataset.ts = String(e.ts);
  const c = tr.cells;
  c[0].textContent = new Date(e.ts).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
  c[1].firstChild.textContent = e.type;
  c[2].textContent = e.severity;
  c[3].textContent = e.agent || "\u2014";
  const data = JSON.stringify(e.data) || "";
  c[4].firstChild.textContent = data.length > 200 ? data.slice(0, 200) + "\u2026" : data;
  return tr;
}

// The rows of one stream message (the events of one server turn) go into the table as the message
// is handled: the next frame renders them, so an event waits for one frame, not for a frame to
// insert it and another to show it. Inserting does not lay out (nothing here reads layout), so
// several messages in one frame still cost one layout. A table keeps its newest MAX_ROWS rows; the
// oldest go in one range deletion. Every event of a message goes into the table (up to MAX_BATCH:
// a stalled tab does not build thousands of rows at once).
const MAX_ROWS = 100;
const MAX_BATCH = 1000;
function flush(t) {
  const batch = t.queue.length > MAX_BATCH ? t.queue.slice(-MAX_BATCH) : t.queue;
  t.queue = [];
  if (batch.length === 0) return;
  const frag = document.createDocumentFragment();
  for (const e of batch) frag.appendChild(row(e));
  t.el.appendChild(frag);
  const extra = t.el.rows.length - MAX_ROWS;
  if (extra > 0) {
    const r = document.createRange();
    r.setStartBefore(t.el.rows[0]);
    r.setEndAfter(t.el.rows[extra - 1]);
    r.deleteContents();
  }
}

function onEvent(e) {
  for (const r of regions) {
    if (r.src && matches(r.types, e.type) && !r.timer) r.timer = window.setTimeout(() => { refresh(r).catch(() => undefined); }, 120);
  }
  for (const t of tables) {
    if (!matches(t.types, e.type)) continue;
    if (t.agent && e.agent !== t.agent) continue;
    if ((RANK[e.severity] || 0) < t.min) continue;
    t.queue.push(e);
  }
}

wireForms(document);
if (regions.length > 0 || tables.length > 0) {
  const es = new EventSource("/ui/stream");
  es.addEventListener("open", () => { document.documentElement.dataset.stream = "open"; });
  es.addEventListener("error", () => { document.documentElement.dataset.stream = "retrying"; });
  // One message carries the events of one server turn, oldest first.
  es.addEventListener("kernel", (m) => {
    let batch;
    try { batch = JSON.parse(m.data); } catch (e) { return; /* a malformed message is skipped */ }
    for (const e of Array.isArray(batch) ? batch : [batch]) onEvent(e);
    for (const t of tables) flush(t);
  });
}
`;
