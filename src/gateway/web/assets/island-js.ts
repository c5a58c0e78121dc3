/**
 * The dashboard's only script (an "island" over server-rendered pages), shipped as written: no
 * framework, ~4 kB. It (1) opens /ui/stream and refreshes the [data-live] regions whose event
 * patterns match (debounced, the server renders the fragment, focus is kept on the same control),
 * (2) appends rows to [data-stream] tables with the table's own filter, built with textContent
 * only, (3) turns buttons and forms marked data-confirm into a modal <dialog> confirmation that
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
const tables = Array.from(document.querySelectorAll("[data-stream]")).map((el) => ({ el, types: patterns(el.dataset.types), agent: el.dataset.agent || "", min: RANK[el.dataset.severity] || 0, queue: [], frame: 0 }));

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

function cell(tr, text, code) {
  const td = document.createElement("td");
  if (code) {
    const c = document.createElement("code");
    c.textContent = text;
    if (code === "data") c.className = "data";
    td.appendChild(c);
  } else td.textContent = text;
  tr.appendChild(td);
}

// Live rows are one line each (compact JSON, cut at 200 characters): fixed-height rows keep the
// table's layout per frame small at 1,000 events/s.
function row(e) {
  const tr = document.createElement("tr");
  tr.dataset.seq = String(e.seq);
  tr.dataset.ts = String(e.ts);
  cell(tr, new Date(e.ts).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z"));
  cell(tr, e.type, "code");
  cell(tr, e.severity);
  cell(tr, e.agent || "\u2014");
  const data = JSON.stringify(e.data) || "";
  cell(tr, data.length > 200 ? data.slice(0, 200) + "\u2026" : data, "data");
  return tr;
}

// Rows arriving within one frame are inserted together, so 1,000 events/s cost ~60 layouts, not 1,000.
// A table keeps its newest MAX_ROWS rows; the oldest go in one range deletion. Every event of a frame
// goes into the table (up to MAX_BATCH: a stalled tab does not build thousands of rows at once), so
// the frame that shows the newest is the frame each of them reached the screen.
const MAX_ROWS = 100;
const MAX_BATCH = 1000;
function flush(t) {
  t.frame = 0;
  const batch = t.queue.splice(0, t.queue.length).slice(-MAX_BATCH);
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

function append(t, e) {
  t.queue.push(e);
  if (!t.frame) t.frame = requestAnimationFrame(() => flush(t));
}

function onEvent(e) {
  for (const r of regions) {
    if (r.src && matches(r.types, e.type) && !r.timer) r.timer = window.setTimeout(() => { refresh(r).catch(() => undefined); }, 120);
  }
  for (const t of tables) {
    if (!matches(t.types, e.type)) continue;
    if (t.agent && e.agent !== t.agent) continue;
    if ((RANK[e.severity] || 0) < t.min) continue;
    append(t, e);
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
  });
}
`;
