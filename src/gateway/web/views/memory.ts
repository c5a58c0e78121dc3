/**
 * The memory browser: hybrid search (BM25 and vector legs fused by reciprocal rank, each rank shown
 * beside the fused score) read as a chosen agent — memory is scoped, so the operator picks whose
 * view to take ("system" reads the tenant's global scope) — and one record with its version
 * history, the changes its last version made, and its graph neighbours. A read the agent could not make is "not found", exactly as for the agent itself.
 */
import type { Change, MemoryHit, MemoryRecord, MemoryVersion, Neighbour } from "../../../memory/index.js";
import { h, isoTime, jsonText, type Html } from "../html.js";

export interface MemoryForm {
  readonly q: string;
  readonly agent: string;
  readonly mode: "hybrid" | "lexical" | "vector";
}

const MODES = ["hybrid", "lexical", "vector"] as const;

export function memoryView(total: number, f: MemoryForm, agents: readonly { id: string; name: string }[], hits: readonly MemoryHit[] | undefined, error: string | undefined): Html {
  const who = [{ id: "system", name: "system (global scope)" }, ...agents];
  const results = hits === undefined
    ? h`<p>Enter words to search ${total} records.</p>`
    : hits.length === 0
      ? h`<p role="status">No record visible to ${f.agent} matches “${f.q}”.</p>`
      : h`<table class="grid"><caption>${hits.length} records matching “${f.q}”, best first</caption>
<thead><tr><th scope="col">Record</th><th scope="col">Type</th><th scope="col">Scope</th><th scope="col">Tags</th><th scope="col">Score</th><th scope="col">Lexical rank</th><th scope="col">Vector rank</th><th scope="col">Content</th></tr></thead>
<tbody>${hits.map((r) => h`<tr><th scope="row"><a href="/ui/memory/${encodeURIComponent(r.id)}?agent=${encodeURIComponent(f.agent)}">${r.id}</a></th><td>${r.type}</td><td>${r.scope}/${r.namespace}</td><td>${r.tags.join(", ")}</td>
<td class="num">${r.score.toFixed(4)}</td><td class="num">${r.lexicalRank ?? "—"}</td><td class="num">${r.vectorRank ?? "—"}</td><td><code class="data">${jsonText(r.content, 300)}</code></td></tr>`)}</tbody></table>`;
  return h`<form method="get" action="/ui/memory" class="filters" role="search" aria-label="Search memory">
<label>Search <input type="search" name="q" value="${f.q}" required></label>
<label>Read as <select name="agent">${who.map((a) => h`<option value="${a.id}"${a.id === f.agent ? h` selected` : ""}>${a.name}</option>`)}</select></label>
<label>Mode <select name="mode">${MODES.map((m) => h`<option${m === f.mode ? h` selected` : ""}>${m}</option>`)}</select></label>
<button type="submit">Search</button></form>
${error === undefined ? "" : h`<p class="error" role="alert">${error}</p>`}${results}`;
}

export interface RecordExtras {
  /** Changes from the previous version to the current one (absent for a first version). */
  readonly diff: readonly Change[] | undefined;
  readonly neighbours: readonly Neighbour[];
}

function extras(x: RecordExtras, agent: string): Html {
  const diff = x.diff === undefined
    ? h`<p>This is the record's first version.</p>`
    : x.diff.length === 0
      ? h`<p>The content did not change in the last version.</p>`
      : h`<table class="grid"><caption>Changes in the last version</caption><thead><tr><th scope="col">Path</th><th scope="col">Change</th><th scope="col">Before</th><th scope="col">After</th></tr></thead>
<tbody>${x.diff.map((c) => h`<tr><th scope="row"><code>${c.path || "/"}</code></th><td>${c.op}</td><td><code class="data">${c.from === undefined ? "—" : jsonText(c.from, 300)}</code></td><td><code class="data">${c.to === undefined ? "—" : jsonText(c.to, 300)}</code></td></tr>`)}</tbody></table>`;
  const graph = x.neighbours.length === 0
    ? h`<p>No linked records visible to ${agent}.</p>`
    : h`<table class="grid"><caption>Graph neighbours (two hops, both directions)</caption><thead><tr><th scope="col">Record</th><th scope="col">Type</th><th scope="col">Reached from</th><th scope="col">Edge</th><th scope="col">Hops</th></tr></thead>
<tbody>${x.neighbours.map((n) => h`<tr><th scope="row"><a href="/ui/memory/${encodeURIComponent(n.id)}?agent=${encodeURIComponent(agent)}">${n.id}</a></th><td>${n.type}</td><td>${n.from}</td><td>${n.via}</td><td class="num">${n.depth}</td></tr>`)}</tbody></table>`;
  return h`<h2>Last change</h2>${diff}<h2>Graph</h2>${graph}`;
}

export function recordView(r: MemoryRecord, versions: readonly MemoryVersion[], agent: string, x: RecordExtras): Html {
  return h`<p><a href="/ui/memory?agent=${encodeURIComponent(agent)}">Back to search</a></p>
<dl class="facts"><dt>Id</dt><dd>${r.id}</dd><dt>Type</dt><dd>${r.type}</dd><dt>Scope</dt><dd>${r.scope}/${r.namespace}</dd><dt>Owner</dt><dd>${r.owner}</dd>
<dt>Tags</dt><dd>${r.tags.join(", ") || "—"}</dd><dt>Version</dt><dd><code>${r.version}</code></dd><dt>Updated</dt><dd>${isoTime(r.updatedAt)}</dd><dt>Expires</dt><dd>${r.expiresAt === null ? "never" : isoTime(r.expiresAt)}</dd></dl>
<h2>Content</h2><pre tabindex="0" aria-label="Record content as JSON">${jsonText(r.content)}</pre>
<table class="grid"><caption>Versions, oldest first</caption><thead><tr><th scope="col">Version</th><th scope="col">Operation</th><th scope="col">By</th><th scope="col">Time</th><th scope="col">Parents</th></tr></thead>
<tbody>${versions.map((v) => h`<tr><th scope="row"><code>${v.hash.slice(0, 16)}</code></th><td>${v.op}</td><td>${v.agent}</td><td>${isoTime(v.ts)}</td><td>${v.parents.map((p) => p.slice(0, 12)).join(", ") || "—"}</td></tr>`)}</tbody></table>
${extras(x, agent)}`;
}
