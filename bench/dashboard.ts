/**
 * `npm run bench -- dashboard` (issue #13 item 6): the dashboard in Debian's chromium against a real
 * gateway on loopback over the default stack in a temp data dir.
 *   - first render of a 10,000-agent tree: 100 one_for_one supervisors of 100 code workers each
 *     (durable: false, so the figure is the page, not the journal), logged in, /ui/tree loaded
 *     N times (status counts over every agent, the first page of rows); reported: the server's
 *     HTML time, first contentful paint (Paint Timing, awaited: a light page paints after its load
 *     event) and the load event (Navigation Timing), medians of --renders=5; target <= 1 s;
 *   - event-to-paint at 1,000 events/s: the events view open, `agent.hog` events emitted on the
 *     kernel bus in batches of 10 every 10 ms for --seconds=5; the page records, per appended row,
 *     the time from the event's timestamp to the animation frame after its insertion (a paint
 *     follows that frame); p50/p95/p99 over every event painted; target p95 <= 250 ms. Beside it,
 *     the server's share: an SSE client in the daemon's process on loopback records when each
 *     event's batch arrives (the gateway's batching and flush, no browser). A measure at the end of
 *     the inserting frame's rendering (a MessageChannel message posted from the frame callback) was
 *     tried and read far later: Chromium runs such messages behind rendering work under load;
 *   - JavaScript shipped, gzipped (level 9); target <= 60 kB.
 * Agents' clocks and the page's are the same machine's wall clock, so the latency needs no sync.
 * The load average is part of each workload string: on a shared 2-core machine the browser and the
 * daemon compete with everything else, and the latency figures move with it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { get } from "node:http";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { silentLogger, type AgentId } from "../src/core/index.js";
import { ControlPlane, ensureApiToken, startGateway } from "../src/gateway/index.js";
import { ASSETS } from "../src/gateway/web/assets.js";
import { TREE_PAGE } from "../src/gateway/web/views/tree.js";
import { boot } from "../src/sdk/index.js";
import { percentile, numArg, type Suite } from "./harness.js";


const WORKER = join(process.cwd(), "examples/agents/worker.ts");

const suite: Suite = async (emit, args) => {
  const renders = numArg(args, "renders", 5);
  const seconds = numArg(args, "seconds", 5);
  const dir = mkdtempSync(join(tmpdir(), "aios-bench-dash-"));
  const os = await boot({ dataDir: join(dir, "data"), logger: silentLogger, subsystems: { embedder: false } });
  const plane = new ControlPlane(os);
  const token = ensureApiToken(join(dir, "data"));
  const gw = await startGateway(plane, { token, port: 0, dashboard: { os } });
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
  try {
    const child = { kind: "code" as const, module: WORKER, export: "worker", durable: false };
    for (let s = 0; s < 100; s++) {
      await os.spawn({ name: `sup-${s}`, kind: "supervisor", durable: false, supervision: { strategy: "one_for_one", intensity: 3, periodMs: 10_000 }, children: Array.from({ length: 100 }, (_, i) => ({ ...child, name: `w-${s}-${i}` })) });
    }
    const agents = os.ps({ status: ["running"] }).length;
    const context = await browser.newContext();
    await context.addCookies([{ name: "aios_session", value: token, url: gw.url, httpOnly: true, sameSite: "Strict" }]);
    const page = await context.newPage();

    const server: number[] = [];
    const fcp: number[] = [];
    const load: number[] = [];
    for (let i = 0; i < renders + 1; i++) {
      await page.goto(`${gw.url}/ui/tree`, { waitUntil: "load", timeout: 120_000 });
      // A small page may paint after its load event: the paint entry is awaited (buffered), not read at once.
      const t = await page.evaluate<{ server: number; fcp: number; load: number; rows: number; summary: string }>(`new Promise((resolve) => {
        const n = performance.getEntriesByType("navigation")[0];
        const done = (fcp) => resolve({ server: n.responseEnd - n.requestStart, fcp, load: n.loadEventEnd, rows: document.querySelectorAll("#tree-body tr").length, summary: document.getElementById("tree-summary").textContent });
        new PerformanceObserver((list, obs) => {
          const p = list.getEntries().find((e) => e.name === "first-contentful-paint");
          if (p) { obs.disconnect(); done(p.startTime); }
        }).observe({ type: "paint", buffered: true });
      })`);
      if (t.rows !== Math.min(agents, TREE_PAGE) || !t.summary.startsWith(`${agents} agents`)) throw new Error(`the tree showed ${t.rows} rows and "${t.summary}" for ${agents} agents`);
      if (i === 0) continue; // the first load warms the server's module and the browser's caches
      server.push(t.server);
      fcp.push(t.fcp);
      load.push(t.load);
    }
    const workload = `load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores; ${agents} agents (100 supervisors x 100 code workers), /ui/tree (summary of all, first page of ${TREE_PAGE} rows) loaded in chromium, median of ${renders}`;
    emit({ metric: "tree_first_render_server_ms", value: Math.round(percentile(server, 50)), unit: "ms", workload });
    emit({ metric: "tree_first_contentful_paint_ms", value: Math.round(percentile(fcp, 50)), unit: "ms", workload, target: "<= 1000 ms", pass: percentile(fcp, 50) <= 1000 });
    emit({ metric: "tree_load_event_ms", value: Math.round(percentile(load, 50)), unit: "ms", workload });

    await page.goto(`${gw.url}/ui/events`, { waitUntil: "load" });
    await page.locator('html[data-stream="open"]').waitFor({ state: "attached" });
    await page.evaluate(`(() => {
      window.__lat = [];
      new MutationObserver((records) => {
        const added = [];
        for (const r of records) for (const n of r.addedNodes) if (n.dataset && n.dataset.ts) added.push(Number(n.dataset.ts));
        if (added.length > 0) requestAnimationFrame(() => { const now = Date.now(); for (const ts of added) window.__lat.push(now - ts); });
      }).observe(document.getElementById("event-body"), { childList: true });
    })()`);
    // The server's share: the same stream read in this process (the daemon's), no browser involved.
    const served: number[] = [];
    const reader = await sseReader(`${gw.url}/ui/stream`, token, (e) => {
      if (e.type === "agent.hog") served.push(Date.now() - e.ts);
    });
    const target = (os.ps({ limit: 1 })[0]?.id ?? "") as AgentId;
    const total = seconds * 1000;
    let sent = 0;
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        for (let i = 0; i < 10 && sent < total; i++, sent++) os.kernel.events.emit("agent.hog", { elapsedMs: sent, thresholdMs: 0 }, target, "warn");
        if (sent >= total) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
    const deadline = Date.now() + 10_000;
    let lat: number[] = [];
    while (Date.now() < deadline) {
      lat = await page.evaluate<number[]>("window.__lat");
      if (lat.length >= total) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const ew = `${total} agent.hog events at 1,000/s (10 every 10 ms) over /ui/stream into the events view; ${lat.length} painted; load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores`;
    emit({ metric: "event_to_paint_p50_ms", value: percentile(lat, 50), unit: "ms", workload: ew });
    emit({ metric: "event_to_paint_p95_ms", value: percentile(lat, 95), unit: "ms", workload: ew, target: "<= 250 ms", pass: percentile(lat, 95) <= 250 && lat.length === total });
    emit({ metric: "event_to_paint_p99_ms", value: percentile(lat, 99), unit: "ms", workload: ew });
    reader.close();
    const sw = `${served.length} of the same events read from /ui/stream by an SSE client in the daemon's process on loopback (the gateway's batching and flush, no browser); load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores`;
    emit({ metric: "event_to_server_flush_p50_ms", value: percentile(served, 50), unit: "ms", workload: sw });
    emit({ metric: "event_to_server_flush_p95_ms", value: percentile(served, 95), unit: "ms", workload: sw });
    const js = ASSETS["dashboard.js"];
    emit({ metric: "javascript_gzipped_bytes", value: js?.gzipBytes ?? NaN, unit: "bytes", workload: "every script the dashboard ships (one island), gzip level 9", target: "<= 61440 bytes", pass: (js?.gzipBytes ?? Infinity) <= 61_440 });
  } finally {
    await browser.close();
    await gw.close();
    plane.close();
    await os.shutdown();
    rmSync(dir, { recursive: true, force: true });
  }
};

/** Reads an SSE stream of the dashboard (session cookie), calling `onEvent` for each kernel event as its message arrives. */
async function sseReader(url: string, token: string, onEvent: (e: { type: string; ts: number }) => void): Promise<{ close(): void }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = get({ host: u.hostname, port: u.port, path: u.pathname, headers: { cookie: `aios_session=${token}`, accept: "text/event-stream" } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`${url}: HTTP ${res.statusCode ?? "?"}`));
      let buf = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buf += chunk;
        for (let end = buf.indexOf("\n\n"); end >= 0; end = buf.indexOf("\n\n")) {
          const data = buf.slice(0, end).split("\n").find((l) => l.startsWith("data: "));
          buf = buf.slice(end + 2);
          if (data !== undefined) for (const e of JSON.parse(data.slice(6)) as { type: string; ts: number }[]) onEvent(e);
        }
      });
      resolve({ close: () => req.destroy() });
    });
    req.on("error", reject);
  });
}

export default suite;
