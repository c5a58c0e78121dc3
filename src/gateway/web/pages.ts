/**
 * The read side of the dashboard: each view's page (and the fragments the island refreshes) built
 * from the control API and the Aios it serves. No state of its own beyond the feed; every page is
 * rendered fresh from what the kernel says now.
 */
import type { Context } from "hono";
import { AiosError, type AnyKernelEvent } from "../../core/index.js";
import type { MemoryHit } from "../../memory/index.js";
import type { Aios } from "../../sdk/index.js";
import type { ControlApi } from "../api.js";
import type { DashboardFeed } from "./feed.js";
import type { Html } from "./html.js";
import { page, type ViewPath } from "./layout.js";
import type { AgentSpec } from "../../abi/index.js";
import { LlmStateSchema, promptTokens, type ChatMessage } from "../../models/index.js";
import { agentView, type ContextBudget } from "./views/agent.js";
import { marketView } from "./views/market.js";
import { traceView, tracesView } from "./views/traces.js";
import { approvalsBody, approvalsView } from "./views/approvals.js";
import { auditView, proofView } from "./views/audit.js";
import { verifyInclusion } from "../../audit/index.js";
import { costsView } from "./views/costs.js";
import { eventsView } from "./views/events.js";
import { memoryView, recordView, type MemoryForm } from "./views/memory.js";
import { schedulerBody, schedulerView } from "./views/scheduler.js";
import { treeBody, treePage, treeRows, treeView } from "./views/tree.js";
import type { AuditVerifyReport } from "../api.js";

/** The event types the dashboard streams and shows (low volume; never every syscall). */
export const DASHBOARD_TYPES = ["agent.*", "supervisor.*", "syscall.denied", "approval.*", "kernel.*", "security.*", "store.*", "mailbox.*", "memory.quota*", "model.call", "slo.*", "sched.rejected", "sched.granted", "sched.released"];

export interface PageDeps {
  readonly api: ControlApi;
  readonly os: Aios;
  readonly feed: DashboardFeed;
}

/** The first row of a tree page (?from=N), 0 when absent or not a count. */
function fromOf(c: Context): number {
  const n = Number(c.req.query("from") ?? "0");
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

export class Pages {
  constructor(private readonly d: PageDeps) {}

  private doc(c: Context, title: string, active: ViewPath | undefined, csrf: string, body: Html, status: 200 | 404 = 200): Response {
    return c.html(page({ title, csrf, body, ...(active === undefined ? {} : { active }) }).text, status);
  }

  tree(c: Context, csrf: string): Response {
    return this.doc(c, "Processes", "/ui/tree", csrf, treeView(treeRows(this.d.os, Date.now()), fromOf(c)));
  }
  treeFragment(c: Context): Response {
    return c.html(treeBody(treePage(treeRows(this.d.os, Date.now()), fromOf(c))).text);
  }

  async agent(c: Context, csrf: string, id: string): Promise<Response> {
    const info = await this.d.api.status(id);
    const [tokens, events] = await Promise.all([this.d.api.caps(id).catch(() => []), this.d.api.events({ agent: info.id, limit: 50 })]);
    const proc = this.d.os.kernel.find(id);
    const spec = proc?.spec;
    return this.doc(c, `Agent ${info.name}`, "/ui/tree", csrf, agentView({
      info, spec, tokens, events, specCapabilities: spec?.capabilities ?? [], syscalls: this.d.feed.syscalls(info.id),
      context: spec === undefined || proc === undefined ? undefined : this.contextOf(spec, proc.state),
    }));
  }

  /** An LLM agent's context window by section, counted with its model's own counter. */
  private contextOf(spec: AgentSpec, state: unknown): ContextBudget | undefined {
    const models = this.d.os.subsystems.models;
    if (spec.kind !== "llm" || models === undefined) return undefined;
    const parsed = LlmStateSchema.safeParse(state);
    const messages: ChatMessage[] = parsed.success ? parsed.data.messages : [];
    const w = models.context(spec.model, spec.tools ?? []);
    const goal = messages.findIndex((m) => m.role === "user");
    const system = messages.filter((m) => m.role === "system");
    const rest = messages.filter((m, i) => m.role !== "system" && i !== goal);
    const count = (ms: readonly ChatMessage[]): number => (ms.length === 0 ? 0 : promptTokens(ms, undefined, w.count));
    const sections = [
      { section: "System instructions", messages: system.length, tokens: count(system) },
      { section: "Goal", messages: goal < 0 ? 0 : 1, tokens: goal < 0 ? 0 : count([messages[goal] as ChatMessage]) },
      { section: "Conversation (turns and tool results)", messages: rest.length, tokens: count(rest) },
      { section: "Tool schemas", messages: undefined, tokens: w.tools.length === 0 ? 0 : promptTokens([], w.tools, w.count) },
      { section: "Reserved for the answer", messages: undefined, tokens: w.reserveTokens },
    ];
    const used = sections.reduce((n, x) => n + x.tokens, 0);
    return { model: spec.model ?? "default", contextSize: w.contextSize, sections: [...sections, { section: "Free", messages: undefined, tokens: Math.max(0, w.contextSize - used) }] };
  }

  traces(c: Context, csrf: string): Response {
    return this.doc(c, "Traces", "/ui/traces", csrf, tracesView(this.d.os.subsystems.observe?.tracing?.recent?.list()));
  }

  trace(c: Context, csrf: string, traceId: string): Response {
    const recent = this.d.os.subsystems.observe?.tracing?.recent;
    const rows = recent?.trace(traceId);
    return this.doc(c, `Trace ${traceId.slice(0, 8)}`, "/ui/traces", csrf, traceView(traceId, rows, recent !== undefined), rows === undefined && recent !== undefined ? 404 : 200);
  }

  async market(c: Context, csrf: string): Promise<Response> {
    const status = c.req.query("status") ?? "";
    const tasks = this.d.os.subsystems.planner === undefined ? undefined : await this.d.api.marketBook(status === "" ? undefined : status);
    return this.doc(c, "Market", "/ui/market", csrf, marketView(tasks, status));
  }

  async events(c: Context, csrf: string): Promise<Response> {
    const f = { types: c.req.query("types") ?? "", agent: c.req.query("agent") ?? "", severity: c.req.query("severity") ?? "" };
    const types = f.types.split(",").map((t) => t.trim()).filter((t) => t !== "");
    const sev = ["debug", "info", "warn", "error", "critical"].find((s) => s === f.severity) as AnyKernelEvent["severity"] | undefined;
    const events = await this.d.api.events({ limit: 200, ...(types.length > 0 ? { types } : {}), ...(f.agent !== "" ? { agent: f.agent as never } : {}), ...(sev === undefined ? {} : { minSeverity: sev }) });
    return this.doc(c, "Messages & events", "/ui/events", csrf, eventsView(events, f));
  }

  async memory(c: Context, csrf: string): Promise<Response> {
    const mode = c.req.query("mode");
    const f: MemoryForm = { q: (c.req.query("q") ?? "").trim(), agent: c.req.query("agent") ?? "system", mode: mode === "lexical" || mode === "vector" ? mode : "hybrid" };
    const fabric = this.d.os.memory;
    let hits: MemoryHit[] | undefined;
    let error: string | undefined;
    if (f.q !== "") {
      try {
        hits = await fabric.query({ text: f.q, k: 25, mode: f.mode, agent: f.agent });
      } catch (e) {
        error = e instanceof AiosError ? `${e.code}: ${e.message}` : String(e);
      }
    }
    const agents = this.d.os.ps({ status: ["running", "paused"] }).map((a) => ({ id: a.id, name: `${a.name} (${a.id})` }));
    return this.doc(c, "Memory", "/ui/memory", csrf, memoryView(fabric.records, f, agents, hits, error));
  }

  async record(c: Context, csrf: string, id: string): Promise<Response> {
    const agent = c.req.query("agent") ?? "system";
    const fabric = this.d.os.memory;
    const [r, hist] = await Promise.all([fabric.get(id, { agent }), fabric.history(id, { agent })]);
    const diff = hist.versions.length < 2 ? undefined : (await fabric.diff(id, undefined, undefined, { agent })).changes;
    const neighbours = fabric.neighbors(id, { direction: "both", depth: 2, limit: 50, agent });
    return this.doc(c, `Memory record ${r.id}`, "/ui/memory", csrf, recordView(r, hist.versions, agent, { diff, neighbours }));
  }

  private async approvalsHtml(csrf: string): Promise<Html> {
    const [pending, all, escalations] = await Promise.all([this.d.api.approvals("pending"), this.d.api.approvals(), this.d.api.escalations()]);
    return approvalsBody(pending, all.filter((a) => a.status !== "pending").slice(-20), escalations, csrf);
  }
  async approvals(c: Context, csrf: string): Promise<Response> {
    return this.doc(c, "Approvals", "/ui/approvals", csrf, approvalsView(await this.approvalsHtml(csrf)));
  }
  async approvalsFragment(c: Context, csrf: string): Promise<Response> {
    return c.html((await this.approvalsHtml(csrf)).text);
  }

  audit(c: Context, csrf: string, report?: AuditVerifyReport): Response {
    const log = this.d.os.audit;
    log.flush();
    const size = log.size;
    const entries = log.entries({ fromSeq: Math.max(1, size - 49), limit: 50 }).reverse();
    return this.doc(c, "Audit", "/ui/audit", csrf, auditView(size, entries, report, csrf));
  }

  /** One entry's inclusion proof against the current tree head, verified here as a client would. */
  auditProof(c: Context, csrf: string, seqText: string): Response {
    const seq = Number(seqText);
    const log = this.d.os.audit;
    log.flush();
    if (!Number.isSafeInteger(seq) || seq < 1 || seq > log.size) throw new AiosError("E_NOT_FOUND", `no audit entry ${seqText} in a log of ${log.size} entries`, { details: { path: "seq" } });
    const [entry] = log.entries({ fromSeq: seq, limit: 1 });
    if (entry === undefined || entry.seq !== seq) throw new AiosError("E_NOT_FOUND", `no audit entry ${seq}`, { details: { path: "seq" } });
    const p = log.inclusionProof(seq);
    const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
    return this.doc(c, `Audit entry ${seq}`, "/ui/audit", csrf, proofView({
      entry, leafIndex: p.leafIndex, treeSize: p.treeSize, leaf: hex(p.leaf), path: p.path.map(hex), root: hex(p.root), verified: verifyInclusion(p.leaf, p.leafIndex, p.treeSize, p.path, p.root),
    }));
  }

  costs(c: Context, csrf: string): Response {
    return this.doc(c, "Costs", "/ui/costs", csrf, costsView(this.d.feed.rows(), this.d.feed.costSeries()));
  }

  private schedulerHtml(): Html {
    const sched = this.d.os.subsystems.sched?.scheduler;
    return schedulerBody(sched?.stats(), this.d.feed.alerts(), this.d.feed.shareRows(), (t) => sched?.tenantWeight(t) ?? 1);
  }
  scheduler(c: Context, csrf: string): Response {
    return this.doc(c, "Scheduler", "/ui/scheduler", csrf, schedulerView(this.schedulerHtml()));
  }
  schedulerFragment(c: Context): Response {
    return c.html(this.schedulerHtml().text);
  }
}
