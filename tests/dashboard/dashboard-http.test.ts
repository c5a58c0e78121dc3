/**
 * The dashboard's HTTP edges without a browser, against a real gateway on loopback: the login sets
 * the session cookie with its attributes, pages need it, state-changing posts need both the same
 * origin and the CSRF token (a cross-site form carrying a stolen cookie would still fail), security
 * headers are on every page, and the island script stays within its 60 kB gzipped budget.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger, type AgentId } from "../../src/core/index.js";
import { ControlPlane, ensureApiToken, startGateway, type Gateway } from "../../src/gateway/index.js";
import { ASSETS } from "../../src/gateway/web/assets.js";
import { csrfToken, publicOrigin } from "../../src/gateway/web/auth.js";
import { boot, type Aios } from "../../src/sdk/index.js";

let dir: string;
let os: Aios;
let plane: ControlPlane;
let gw: Gateway;
let token: string;
let agent: AgentId;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aios-dash-http-"));
  os = await boot({ dataDir: join(dir, "data"), logger: silentLogger, subsystems: { embedder: false } });
  plane = new ControlPlane(os);
  token = ensureApiToken(join(dir, "data"));
  gw = await startGateway(plane, { token, port: 0, dashboard: { os } });
  agent = await os.spawn({ name: "target", kind: "code", module: join(process.cwd(), "examples/agents/worker.ts"), export: "worker" });
});

afterAll(async () => {
  await gw.close();
  plane.close();
  await os.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

const form = (o: Record<string, string>): string => new URLSearchParams(o).toString();
const post = (path: string, body: string, headers: Record<string, string>): Promise<Response> =>
  fetch(gw.url + path, { method: "POST", body, redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded", ...headers } });

describe("dashboard over HTTP", () => {
  it("logs in with the token into an HttpOnly SameSite=Strict cookie; a cross-origin login is refused", async () => {
    expect((await post("/login", form({ token }), { origin: "http://evil.example" })).status).toBe(403);
    const bad = await post("/login", form({ token: "wrong" }), { origin: gw.url });
    expect(bad.status).toBe(401);
    expect(bad.headers.get("set-cookie")).toBeNull();
    const ok = await post("/login", form({ token }), { origin: gw.url });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/ui/tree");
    expect(ok.headers.get("set-cookie")).toMatch(/^aios_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict$/);
  });

  it("behind a TLS proxy (--public-url) takes posts from the public origin and marks the cookie Secure", async () => {
    const proxied = await startGateway(plane, { token, port: 0, dashboard: { os, publicUrl: "https://aios.example.test" } });
    try {
      const at = (origin: string): Promise<Response> =>
        fetch(`${proxied.url}/login`, { method: "POST", body: form({ token }), redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded", origin } });
      const ok = await at("https://aios.example.test");
      expect(ok.status).toBe(303);
      expect(ok.headers.get("set-cookie")).toMatch(/^aios_session=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
      // The same host over plain http, a look-alike host and another site are all other origins.
      for (const evil of ["http://aios.example.test", "https://aios.example.test.evil.example", "http://evil.example"]) expect((await at(evil)).status).toBe(403);
      expect((await at(proxied.url)).headers.get("set-cookie")).toMatch(/; Secure; /);
    } finally {
      await proxied.close();
    }
    expect(publicOrigin("https://aios.example.test:8443/")).toBe("https://aios.example.test:8443");
    for (const bad of ["aios.example.test", "ftp://aios.example.test", "https://aios.example.test/ui", "https://u:p@aios.example.test", "https://aios.example.test/?next=x"]) {
      let thrown: unknown;
      try {
        publicOrigin(bad);
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toMatchObject({ code: "E_INVALID_ARG", details: { path: "publicUrl" } });
    }
  });

  it("sends pages without a session to the login and serves them with one, under a strict CSP", async () => {
    const anon = await fetch(`${gw.url}/ui/tree`, { redirect: "manual" });
    expect(anon.status).toBe(303);
    expect(anon.headers.get("location")).toBe("/login");
    const page = await fetch(`${gw.url}/ui/tree`, { headers: { cookie: `aios_session=${token}` } });
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toMatch(/script-src 'self'; style-src 'self'/);
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(await page.text()).toContain(`data-agent="${agent}"`);
    // The JSON API still wants its bearer token: the cookie is not an API credential.
    expect((await fetch(`${gw.url}/v1/agents`, { headers: { cookie: `aios_session=${token}` } })).status).toBe(401);
  });

  it("refuses a state-changing post from another origin, or without the CSRF token, even with the cookie", async () => {
    const cookie = `aios_session=${token}`;
    const body = form({ csrf: csrfToken(token), confirmed: "yes" });
    expect((await post(`/ui/agents/${agent}/pause`, body, { cookie, origin: "http://evil.example" })).status).toBe(403);
    expect((await post(`/ui/agents/${agent}/pause`, body, { cookie })).status).toBe(403); // no Origin, no Referer
    expect((await post(`/ui/agents/${agent}/pause`, form({ confirmed: "yes" }), { cookie, origin: gw.url })).status).toBe(403);
    expect((await post(`/ui/agents/${agent}/pause`, form({ csrf: "forged", confirmed: "yes" }), { cookie, origin: gw.url })).status).toBe(403);
    expect(os.status(agent).status).toBe("running");
    // Unconfirmed: a confirmation page, nothing done.
    const ask = await post(`/ui/agents/${agent}/pause`, form({ csrf: csrfToken(token) }), { cookie, origin: gw.url });
    expect(ask.status).toBe(200);
    expect(await ask.text()).toMatch(/Pause agent target/);
    expect(os.status(agent).status).toBe("running");
    const done = await post(`/ui/agents/${agent}/pause`, body, { cookie, origin: gw.url });
    expect(done.status).toBe(303);
    expect(os.status(agent).status).toBe("paused");
  });

  it("escapes text others control: a hostile kill reason renders as text", async () => {
    const victim = await os.spawn({ name: "victim", kind: "code", module: join(process.cwd(), "examples/agents/worker.ts"), export: "worker" });
    await plane.kill(victim, "<script>alert(1)</script>");
    const html = await (await fetch(`${gw.url}/ui/agents/${victim}`, { headers: { cookie: `aios_session=${token}` } })).text();
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
  });

  it("pages a large tree 100 rows at a time, counting every agent in the summary", async () => {
    const child = { kind: "code" as const, module: join(process.cwd(), "examples/agents/worker.ts"), export: "worker", durable: false };
    await os.spawn({ name: "big", kind: "supervisor", durable: false, children: Array.from({ length: 120 }, (_, i) => ({ ...child, name: `c-${i}` })) });
    const total = os.ps().length;
    const get = async (q: string): Promise<string> => (await fetch(`${gw.url}/ui/tree${q}`, { headers: { cookie: `aios_session=${token}` } })).text();
    const first = await get("");
    expect(first).toContain(`<p id="tree-summary">${total} agents`);
    expect(first.match(/<tr data-agent=/g)).toHaveLength(100);
    expect(first).toContain(`Rows 1–100 of ${total}`);
    const second = await get("?from=100");
    expect(second.match(/<tr data-agent=/g)).toHaveLength(total - 100);
    expect(second).toContain('data-src="/ui/fragment/tree?from=100"');
  });

  it("shows a memory record's last change and its graph neighbours", async () => {
    const a = await os.memory.store({ type: "semantic_fact", scope: "global", content: { subject: "sky", predicate: "is", object: "blue" } });
    const b = await os.memory.store({ type: "semantic_fact", scope: "global", content: { subject: "sea", predicate: "is", object: "blue" } });
    await os.memory.update(a.id, { content: { subject: "sky", predicate: "is", object: "grey" } });
    await os.memory.link(a.id, b.id, "similar_to");
    const html = await (await fetch(`${gw.url}/ui/memory/${a.id}?agent=system`, { headers: { cookie: `aios_session=${token}` } })).text();
    expect(html).toMatch(/<caption>Changes in the last version<\/caption>.*<code>\/object<\/code><\/th><td>replace<\/td><td><code class="data">&quot;blue&quot;<\/code><\/td><td><code class="data">&quot;grey&quot;<\/code>/s);
    expect(html).toMatch(new RegExp(`<caption>Graph neighbours.*${b.id}</a></th><td>semantic_fact</td><td>${a.id}</td><td>similar_to</td>`, "s"));
  });

  it("ships at most 60 kB of gzipped JavaScript", () => {
    const js = ASSETS["dashboard.js"];
    expect(js).toBeDefined();
    expect(js!.gzipBytes).toBeLessThanOrEqual(60 * 1024);
  });
});
