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
import { agentView } from "./views/agent.js";
import { approvalsBody, approvalsView } from "./views/approvals.js";
import { auditView } from "./views/audit.js";
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
    const spec = this.d.os.kernel.find(id)?.spec;
    return this.doc(c, `Agent ${info.name}`, "/ui/tree", csrf, agentView({ info, spec, tokens, events }));
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

  costs(c: Context, csrf: string): Response {
    return this.doc(c, "Costs", "/ui/costs", csrf, costsView(this.d.feed.rows()));
  }

  private schedulerHtml(): Html {
    return schedulerBody(this.d.os.subsystems.sched?.scheduler.stats(), this.d.feed.alerts());
  }
  scheduler(c: Context, csrf: string): Response {
    return this.doc(c, "Scheduler", "/ui/scheduler", csrf, schedulerView(this.schedulerHtml()));
  }
  schedulerFragment(c: Context): Response {
    return c.html(this.schedulerHtml().text);
  }
}
