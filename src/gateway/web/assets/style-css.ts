/**
 * The dashboard's stylesheet (served as /ui/assets/dashboard.css; the CSP forbids inline styles).
 * Colours meet WCAG AA contrast (4.5:1 for text) on their backgrounds; every focusable element
 * shows a 3 px outline when focused from the keyboard; status is always written, never colour only.
 */
export const STYLE_CSS = String.raw`
:root { --fg: #1b1b1b; --bg: #ffffff; --muted: #4f4f4f; --line: #c7c7c7; --accent: #0b57a4; --danger: #a4161a; --ok: #1e6b2f; --head: #f2f4f7; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "Liberation Sans", sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; box-shadow: 0 0 0 5px #1b1b1b; }
.skip { position: absolute; left: -10000px; top: 0; background: var(--bg); padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: .5rem; top: .5rem; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
header { display: flex; align-items: center; gap: 1rem; padding: .5rem 1rem; border-bottom: 1px solid var(--line); flex-wrap: wrap; }
.brand { font-weight: 700; }
nav ul { list-style: none; display: flex; flex-wrap: wrap; gap: .25rem 1rem; margin: 0; padding: 0; }
nav a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 3px; }
header form { margin-left: auto; }
main { padding: 1rem; }
main.narrow { max-width: 32rem; margin: 3rem auto; }
main:focus { outline: none; }
h1 { font-size: 1.5rem; margin: 0 0 .75rem; }
h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
button { font: inherit; padding: .25rem .75rem; border: 1px solid #3a3a3a; border-radius: 4px; background: #f7f7f7; color: var(--fg); cursor: pointer; }
button.danger { border-color: var(--danger); color: var(--danger); background: #fff; }
input, select { font: inherit; padding: .25rem .4rem; border: 1px solid #5a5a5a; border-radius: 3px; color: var(--fg); background: #fff; }
form.inline { display: inline; margin-right: .25rem; }
.filters { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; margin-bottom: 1rem; }
.filters label { display: flex; flex-direction: column; gap: .15rem; }
.login { display: flex; flex-direction: column; gap: .5rem; }
.muted { color: var(--muted); font-size: .9em; }
.error { color: var(--danger); }
section.ok h2 { color: var(--ok); }
section.error h2 { color: var(--danger); }
table.grid { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; }
table.grid caption { text-align: left; font-weight: 600; padding: .25rem 0; }
table.grid th, table.grid td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
table.grid thead th { background: var(--head); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.actions { white-space: nowrap; }
code.data { white-space: pre-wrap; word-break: break-all; font-size: .85em; }
pre { background: #f6f8fa; border: 1px solid var(--line); padding: .5rem; overflow: auto; max-height: 24rem; }
.status { font-weight: 600; }
.s-running { color: var(--ok); } .s-paused { color: #7a4d00; } .s-killed, .s-failed { color: var(--danger); } .s-completed { color: var(--muted); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.facts dt { font-weight: 600; }
dl.facts dd { margin: 0; }
ul.plain { margin: 0; padding-left: 1rem; }
.actions-bar { margin-bottom: .5rem; }
.row { display: flex; gap: .5rem; }
.pager { display: flex; gap: 1rem; margin: .25rem 0; }
/* The process tree: column widths from the header row, so the first paint waits for no row's measure. */
table.tree { table-layout: fixed; }
table.tree th:nth-child(1) { width: 30%; } table.tree th:nth-child(2) { width: 7rem; } table.tree th:nth-child(3) { width: 6.5rem; }
table.tree th:nth-child(5) { width: 6.5rem; } table.tree th:nth-child(6) { width: 8rem; } table.tree th:nth-child(7) { width: 17rem; }
table.tree td, table.tree th { overflow-wrap: anywhere; }
/* Event logs grow at up to 1,000 rows/s: a fixed layout does not re-measure every row on insert. */
table.log { table-layout: fixed; }
/* One line per event row: fixed row heights keep the per-frame layout of a live log small. */
table.log td { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
/* The live log's box: its layout and paint are its own (contain: strict), so a frame redraws it only. */
.logbox { height: 30rem; overflow: auto; contain: strict; border: 1px solid var(--line); margin: .5rem 0 1rem; }
.logbox table.grid { margin: 0; }
table.log code.data { white-space: nowrap; }
table.log th:nth-child(1) { width: 11.5rem; } table.log th:nth-child(2) { width: 12rem; } table.log th:nth-child(3) { width: 6rem; } table.log th:nth-child(4) { width: 11rem; }
dialog { border: 2px solid var(--fg); border-radius: 6px; padding: 1rem 1.25rem; }
dialog::backdrop { background: rgba(0, 0, 0, .45); }
svg.chart text { font-size: 13px; fill: var(--fg); }
svg.chart rect { fill: var(--accent); }
svg.chart rect.k-server { fill: var(--ok); } svg.chart rect.k-client { fill: #7a4d00; } svg.chart rect.k-consumer { fill: #5b3a99; } svg.chart rect.k-error { fill: var(--danger); }
svg.chart polyline { fill: none; stroke-width: 2; } svg.chart .axis { stroke: var(--line); }
.scroll { overflow-x: auto; max-width: 100%; }
${Array.from({ length: 10 }, (_, d) => `.depth-${d} { padding-left: ${0.5 + d * 1.25}rem; }`).join("\n")}
`;
