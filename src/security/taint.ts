/**
 * Taint: labels on data from untrusted sources, following the data into the agent's context.
 * Labels are strings `source:detail`: `web:<host>` (http.fetch, browser), `file:<path>` (files outside
 * the trusted roots), `mcp:<server>` (an MCP server's tools), `tenant:<id>` (messages from agents of
 * another tenant), plus whatever labels a message, a stream chunk or a memory record carried (a
 * `taint` array anywhere in a result, or a record's `taint:<label>` tags). A tool's error taints like
 * its result would (a redirect's Location or an error body is the server's text too). Invariants: an
 * agent's taint set only grows until a person (or the operator API) clears it; `view(agent)` returns
 * the live set, so a Caller built once keeps seeing new labels; data written by a tainted agent
 * (memory records, messages, stream chunks) carries the writer's labels.
 */
import { isAbsolute, normalize, relative } from "node:path";
import type { AgentId } from "../core/index.js";
import { getPath } from "./policy-rules.js";

declare module "../core/index.js" {
  interface EventDataMap {
    "security.tainted": { labels: string[]; source: string };
  }
}

export interface TaintOptions {
  /** File paths under these roots are trusted (no taint on read). */
  readonly trustedRoots?: readonly string[];
  /** Tool-name prefixes whose results are untrusted web content. */
  readonly webTools?: readonly string[];
  /** Tool-name prefixes of MCP server tools (`mcp.<server>.<tool>`): results labelled `mcp:<server>`. */
  readonly mcpTools?: readonly string[];
  /** Called when an agent gains labels (e.g. to emit `security.tainted`). */
  readonly onTaint?: (agent: AgentId, labels: string[], source: string) => void;
}

const EMPTY: ReadonlySet<string> = new Set();
/** The tag prefix a memory record's taint labels are stored under. */
export const TAINT_TAG = "taint:";

export class TaintTracker {
  private readonly sets = new Map<string, Set<string>>();
  private readonly trustedRoots: readonly string[];
  private readonly webTools: readonly string[];
  private readonly mcpTools: readonly string[];

  constructor(private readonly o: TaintOptions = {}) {
    this.trustedRoots = (o.trustedRoots ?? []).map((r) => normalize(r));
    this.webTools = o.webTools ?? ["http.", "browser."];
    this.mcpTools = o.mcpTools ?? ["mcp."];
  }

  /** The agent's live taint set (the kernel hands it to Caller.taint). */
  view(agent: string): ReadonlySet<string> {
    let s = this.sets.get(agent);
    if (s === undefined) {
      s = new Set();
      this.sets.set(agent, s);
    }
    return s;
  }

  peek(agent: string): ReadonlySet<string> {
    return this.sets.get(agent) ?? EMPTY;
  }

  /** Adds labels to an agent's context; returns the ones that were new. */
  add(agent: string, labels: Iterable<string>, source = "explicit"): string[] {
    const s = this.view(agent) as Set<string>;
    const fresh: string[] = [];
    for (const l of labels) {
      if (!s.has(l)) {
        s.add(l);
        fresh.push(l);
      }
    }
    if (fresh.length > 0) this.o.onTaint?.(agent as AgentId, fresh, source);
    return fresh;
  }

  /** A person cleared the context (e.g. after review); the live set is emptied in place. */
  clear(agent: string): void {
    (this.view(agent) as Set<string>).clear();
  }

  forget(agent: string): void {
    this.sets.delete(agent);
  }

  /** Agents with a taint set, for the bounds tests. */
  get size(): number {
    return this.sets.size;
  }

  isTrustedPath(path: string): boolean {
    if (!isAbsolute(path)) return false;
    const p = normalize(path);
    return this.trustedRoots.some((root) => {
      const rel = relative(root, p);
      return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
    });
  }

  /** Labels that a syscall's result carries into the caller's context (pure; see observe()). */
  labelsFor(syscall: string, args: unknown, result: unknown, caller: { tenant: string }): readonly string[] {
    // One set for every call (this runs after every syscall and is synchronous): most results carry
    // no label, and an empty set is neither allocated nor cleared; nor is the empty answer.
    const out = SCRATCH;
    if (out.size > 0) out.clear();
    if (syscall === "ToolCall") {
      const tool = getPath(args, "tool");
      if (typeof tool === "string") this.toolLabels(tool, args, out);
    }
    if (syscall === "SemanticRecv" && result !== null && typeof result === "object") {
      const tenant = getPath(result, "tenant");
      if (typeof tenant === "string" && tenant !== caller.tenant) out.add(`tenant:${tenant}`);
    }
    // Anything that already carries labels (memory hits, messages, tool results) passes them on.
    collectTaint(result, out, 0);
    if (out.size === 0) return NO_LABELS;
    const labels = [...out];
    out.clear();
    return labels;
  }

  /** What calling `tool` brings in: a web host, an MCP server, an untrusted file. Loops, not closures over `tool`. */
  private toolLabels(tool: string, args: unknown, out: Set<string>): void {
    // Indexed loops: an array iterator's step is an object per element until the loop is optimised.
    const web = this.webTools;
    for (let i = 0; i < web.length; i++) {
      if (!tool.startsWith(web[i] as string)) continue;
      const url = getPath(args, "args.url");
      out.add(`web:${typeof url === "string" ? hostOf(url) : tool}`);
      break;
    }
    const mcp = this.mcpTools;
    for (let i = 0; i < mcp.length; i++) {
      const p = mcp[i] as string;
      if (!tool.startsWith(p)) continue;
      out.add(`mcp:${tool.slice(p.length).split(".")[0] ?? tool}`);
      break;
    }
    if (tool === "file.read" || tool === "file.list") {
      const path = getPath(args, "args.path");
      if (typeof path !== "string" || !this.isTrustedPath(path)) out.add(`file:${typeof path === "string" ? path : "?"}`);
    }
  }

  /** Applies labelsFor() to the caller's context; call after every successful syscall. */
  observe(caller: { agent: string; tenant: string }, syscall: string, args: unknown, result: unknown): readonly string[] {
    const labels = this.labelsFor(syscall, args, result, caller);
    return labels.length === 0 ? NO_LABELS : this.add(caller.agent, labels, syscall);
  }

  /**
   * A failed syscall: its error reaches the agent's context as text, so it taints as the result would
   * have (labels from the call itself) plus any labels the error's details carry.
   */
  observeError(caller: { agent: string; tenant: string }, syscall: string, args: unknown, details: unknown): readonly string[] {
    const labels = this.labelsFor(syscall, args, details, caller);
    return labels.length === 0 ? NO_LABELS : this.add(caller.agent, labels, `${syscall} error`);
  }

  /** Labels a write by `agent` must carry (memory records, messages it sends). */
  labelsForWrite(agent: string): string[] {
    return [...this.peek(agent)];
  }
}

/** labelsFor's working set: empty between calls. */
const SCRATCH = new Set<string>();
const NO_LABELS: readonly string[] = Object.freeze([]);

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "invalid-url";
  }
}

/**
 * Adds the labels `v` carries (its `taint` arrays and `taint:` tags, up to 8 levels down and the
 * first 1,000 items of an array) to `out`. Walked after every successful syscall, so it allocates
 * nothing on its way: an index loop over arrays and for-in over own keys, not slices and entries.
 */
function collectTaint(v: unknown, out: Set<string>, depth: number): void {
  if (v === null || typeof v !== "object" || depth > 8) return;
  if (Array.isArray(v)) {
    const n = Math.min(v.length, 1000);
    for (let i = 0; i < n; i++) collectTaint(v[i], out, depth + 1);
    return;
  }
  const o = v as Record<string, unknown>;
  const t = o["taint"];
  if (Array.isArray(t)) for (const l of t) if (typeof l === "string") out.add(l);
  // A memory record's labels are tags (memory/syscalls.ts writes the writer's taint as `taint:<label>`).
  const tags = o["tags"];
  if (Array.isArray(tags)) for (const l of tags) if (typeof l === "string" && l.startsWith(TAINT_TAG)) out.add(l.slice(TAINT_TAG.length));
  for (const k in o) {
    if (k === "taint" || !Object.prototype.hasOwnProperty.call(o, k)) continue;
    const x = o[k];
    if (typeof x === "object") collectTaint(x, out, depth + 1);
  }
}
