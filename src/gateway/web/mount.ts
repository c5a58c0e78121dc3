/**
 * The dashboard's routes, mounted on the gateway's Hono app before the bearer-token middleware:
 * static assets (public code, no secrets), the login and logout forms, and every page under /ui/,
 * which takes the session cookie (or a bearer header) instead. POSTs pass the CSRF checks of
 * auth.ts; kill, pause, resume, restart and escalation decisions ask for confirmation (a page
 * without JavaScript, a <dialog> with it). /ui/stream is the server-sent event stream the island listens to.
 */
import type { Context, Hono, Next } from "hono";
import { bodyLimit } from "hono/body-limit";
import { streamSSE } from "hono/streaming";
import { AiosError, toAiosError, type AnyKernelEvent } from "../../core/index.js";
import type { Aios } from "../../sdk/index.js";
import type { ControlApi } from "../api.js";
import { httpStatusOf } from "../http-errors.js";
import { tokenMatches } from "../token.js";
import { ASSETS } from "./assets.js";
import { CSRF_FIELD, CSRF_HEADER, authenticated, csrfMatches, csrfToken, endSession, publicOrigin, sameOrigin, startSession } from "./auth.js";
import { DashboardFeed } from "./feed.js";
import { h } from "./html.js";
import { csrfInput, page } from "./layout.js";
import { DASHBOARD_TYPES, Pages } from "./pages.js";

export interface DashboardOptions {
  readonly os: Aios;
  /**
   * The origin browsers use when it is not the daemon's own, e.g. `https://aios.example.com` for a
   * TLS proxy in front: posts from it pass the origin check and the session cookie is Secure.
   */
  readonly publicUrl?: string;
}

export interface DashboardMount {
  close(): void;
}

interface MountState {
  readonly draining: boolean;
  readonly streams: Set<AbortController>;
}

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

async function secureHeaders(c: Context, next: Next): Promise<void> {
  await next();
  c.header("content-security-policy", CSP);
  c.header("x-content-type-options", "nosniff");
  c.header("referrer-policy", "same-origin");
  c.header("x-frame-options", "DENY");
  if (!c.req.path.startsWith("/ui/assets/")) c.header("cache-control", "no-store");
}

const OPS = new Set(["pause", "resume", "restart", "kill"]);

export function mountDashboard(app: Hono, api: ControlApi, token: string, o: DashboardOptions, state: MountState): DashboardMount {
  const feed = new DashboardFeed(o.os);
  const pages = new Pages({ api, os: o.os, feed });
  const csrf = csrfToken(token);
  const pub = o.publicUrl === undefined ? undefined : publicOrigin(o.publicUrl);
  const fromScript = (c: Context): boolean => c.req.header(CSRF_HEADER) !== undefined;

  const errorPage = (c: Context, e: unknown): Response => {
    const err = toAiosError(e);
    const status = httpStatusOf(err.code);
    if (fromScript(c)) return c.json({ ok: false, error: err.toJSON() }, status);
    return c.html(page({ title: "Error", csrf, body: h`<p role="alert" class="error"><strong>${err.code}</strong>: ${err.message}</p><p><a href="/ui/tree">Back to the processes</a></p>` }).text, status);
  };
  const guard = (fn: (c: Context) => Response | Promise<Response>) => async (c: Context): Promise<Response> => {
    try {
      return await fn(c);
    } catch (e) {
      return errorPage(c, e);
    }
  };

  for (const path of ["/", "/login", "/logout", "/ui/*"]) app.use(path, secureHeaders);
  for (const [name, asset] of Object.entries(ASSETS)) {
    app.get(`/ui/assets/${name}`, (c) => {
      c.header("cache-control", "no-cache");
      c.header("etag", asset.etag);
      if (c.req.header("if-none-match") === asset.etag) return c.body(null, 304);
      return c.body(asset.body, 200, { "content-type": asset.type });
    });
  }

  const loginPage = (c: Context, message?: string): Response =>
    c.html(page({
      title: "Log in to AIOS",
      body: h`${message === undefined ? "" : h`<p role="alert" class="error" id="login-error">${message}</p>`}
<form method="post" action="/login" class="login"><label for="token">API token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required aria-describedby="token-help${message === undefined ? "" : " login-error"}">
<p id="token-help" class="muted">The daemon keeps it in <code>&lt;data dir&gt;/api-token</code> (printed by <code>aios up</code>).</p>
<button type="submit">Log in</button></form>`,
    }).text, message === undefined ? 200 : 401);

  app.get("/login", (c) => (authenticated(c, token) ? c.redirect("/ui/tree", 303) : loginPage(c)));
  app.post("/login", bodyLimit({ maxSize: 4096 }), async (c) => {
    if (!sameOrigin(c, pub)) return c.text("cross-origin login refused", 403);
    const form = await c.req.parseBody();
    const given = typeof form["token"] === "string" ? form["token"].trim() : undefined;
    if (!tokenMatches(token, given)) return loginPage(c, "That token is not the daemon's API token.");
    startSession(c, token, pub);
    return c.redirect("/ui/tree", 303);
  });
  app.post("/logout", bodyLimit({ maxSize: 4096 }), async (c) => {
    if (!sameOrigin(c, pub)) return c.text("cross-origin request refused", 403);
    endSession(c, pub);
    return c.redirect("/login", 303);
  });
  app.get("/", (c) => c.redirect(authenticated(c, token) ? "/ui/tree" : "/login", 303));

  app.use("/ui/*", async (c: Context, next: Next) => {
    if (!authenticated(c, token)) return c.req.method === "GET" && !fromScript(c) ? c.redirect("/login", 303) : c.text("log in first", 401);
    if (state.draining) return errorPage(c, new AiosError("E_SHUTDOWN", "the daemon is draining; no new work is admitted"));
    if (c.req.method === "POST") {
      if (!sameOrigin(c, pub)) return c.text("cross-origin request refused", 403);
      const header = c.req.header(CSRF_HEADER);
      const field = header === undefined ? (await c.req.parseBody())[CSRF_FIELD] : undefined;
      if (!csrfMatches(token, header ?? (typeof field === "string" ? field : undefined))) return c.text("missing or wrong CSRF token", 403);
    }
    await next();
    return undefined;
  });
  app.use("/ui/*", bodyLimit({ maxSize: 64 * 1024 }));

  app.get("/ui/tree", guard((c) => pages.tree(c, csrf)));
  app.get("/ui/fragment/tree", guard((c) => pages.treeFragment(c)));
  app.get("/ui/agents/:id", guard((c) => pages.agent(c, csrf, c.req.param("id") ?? "")));
  app.get("/ui/events", guard((c) => pages.events(c, csrf)));
  app.get("/ui/memory", guard((c) => pages.memory(c, csrf)));
  app.get("/ui/memory/:id", guard((c) => pages.record(c, csrf, c.req.param("id") ?? "")));
  app.get("/ui/approvals", guard((c) => pages.approvals(c, csrf)));
  app.get("/ui/fragment/approvals", guard((c) => pages.approvalsFragment(c, csrf)));
  app.get("/ui/audit", guard((c) => pages.audit(c, csrf)));
  app.get("/ui/audit/proof/:seq", guard((c) => pages.auditProof(c, csrf, c.req.param("seq") ?? "")));
  app.get("/ui/costs", guard((c) => pages.costs(c, csrf)));
  app.get("/ui/scheduler", guard((c) => pages.scheduler(c, csrf)));
  app.get("/ui/fragment/scheduler", guard((c) => pages.schedulerFragment(c)));
  app.get("/ui/traces", guard((c) => pages.traces(c, csrf)));
  app.get("/ui/traces/:id", guard((c) => pages.trace(c, csrf, c.req.param("id") ?? "")));
  app.get("/ui/market", guard((c) => pages.market(c, csrf)));

  /** Asks first (no-JS path) unless the form says it was confirmed; then acts and answers. */
  const confirmed = async (c: Context, question: string, act: () => Promise<string>, back: string): Promise<Response> => {
    const form = await c.req.parseBody();
    if (form["confirmed"] !== "yes") {
      return c.html(page({ title: "Confirm", csrf, body: h`<p>${question}</p><form method="post" action="${c.req.path}">${csrfInput(csrf)}<input type="hidden" name="confirmed" value="yes">
<button type="submit" class="danger">Confirm</button> <a href="${back}">Cancel</a></form>` }).text);
    }
    const message = await act();
    return fromScript(c) ? c.json({ ok: true, message }) : c.redirect(back, 303);
  };

  app.post("/ui/agents/:id/:op", guard(async (c) => {
    const id = c.req.param("id") ?? "";
    const op = c.req.param("op") ?? "";
    if (!OPS.has(op)) throw new AiosError("E_NOT_FOUND", `no operation ${op}`);
    const info = await api.status(id);
    return confirmed(c, `${op[0]?.toUpperCase()}${op.slice(1)} agent ${info.name} (${info.id})?`, async () => {
      if (op === "kill") await api.kill(id, "killed from the dashboard");
      else if (op === "restart") await api.restart(id, "restarted from the dashboard");
      else if (op === "pause") await api.pause(id);
      else await api.resume(id);
      return `${op} ${info.name}: done`;
    }, c.req.header(CSRF_HEADER) === undefined ? `/ui/agents/${encodeURIComponent(id)}` : "/ui/tree");
  }));
  app.post("/ui/approvals/:id/:decision", guard(async (c) => {
    const decision = c.req.param("decision");
    if (decision !== "approve" && decision !== "deny") throw new AiosError("E_NOT_FOUND", `no decision ${decision ?? ""}`);
    const r = await api.decideApproval(c.req.param("id") ?? "", decision, "dashboard");
    return fromScript(c) ? c.json({ ok: true, message: `${r.id} ${r.status}` }) : c.redirect("/ui/approvals", 303);
  }));
  app.post("/ui/escalations/:id/:decision", guard(async (c) => {
    const decision = c.req.param("decision");
    if (decision !== "restart" && decision !== "abandon") throw new AiosError("E_NOT_FOUND", `no decision ${decision ?? ""}`);
    const id = c.req.param("id") ?? "";
    return confirmed(c, `${decision === "restart" ? "Restart" : "Abandon"} escalation ${id}?`, async () => {
      await api.decideEscalation(id, decision);
      return `escalation ${id}: ${decision}`;
    }, "/ui/approvals");
  }));
  app.post("/ui/audit/verify", guard(async (c) => pages.audit(c, csrf, await api.auditVerify())));

  // Events go out in batches: every event the bus delivered in one turn of the event loop is one SSE
  // message (a JSON array), so a burst of 1,000 events/s is a few dozen messages the page parses and
  // paints per frame, not 1,000 tasks that starve its frames (event-to-paint, bench/dashboard.ts).
  app.get("/ui/stream", (c) =>
    streamSSE(c, async (stream) => {
      const ac = new AbortController();
      state.streams.add(ac);
      stream.onAbort(() => ac.abort());
      let batch: AnyKernelEvent[] = [];
      const send = (): void => {
        const out = batch;
        batch = [];
        const last = out[out.length - 1];
        if (last === undefined || ac.signal.aborted) return;
        void stream.writeSSE({ event: "kernel", id: String(last.seq), data: JSON.stringify(out) }).catch(() => ac.abort());
      };
      try {
        await api.follow({ types: DASHBOARD_TYPES, limit: 0 }, (e) => {
          if (batch.push(e) === 1) setImmediate(send);
        }, ac.signal);
      } finally {
        state.streams.delete(ac);
      }
    }));

  return { close: () => feed.close() };
}
