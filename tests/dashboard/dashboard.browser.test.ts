/**
 * The dashboard in a real browser (issue #13 items 4 and 5): a real daemon — the default stack in a
 * temp data dir, the gateway on a free loopback port — running real agents (a supervised team of
 * code workers, a storyteller calling a replay model with a price, a reader whose file read a policy
 * parks for approval), driven by Debian's chromium through playwright-core. It logs in with the
 * token, walks every view, kills and restarts agents from the page and sees the tree change without
 * a reload, sees a change made elsewhere arrive live, decides an approval, verifies the audit log, and on
 * every view runs axe (WCAG 2.2 A and AA: 0 violations) and a keyboard walk (every control reached
 * by Tab, each with a visible focus). One browser for the whole file.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger, type AgentId } from "../../src/core/index.js";
import { ControlPlane, ensureApiToken, startGateway, type Gateway } from "../../src/gateway/index.js";
import { boot, type Aios } from "../../src/sdk/index.js";
import { axeViolations, keyboardWalk, launchChromium } from "./browser-helpers.js";

const WORKER = join(process.cwd(), "examples/agents/worker.ts");
let dir: string;
let os: Aios;
let plane: ControlPlane;
let gw: Gateway;
let token: string;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let team: AgentId;
let reader: AgentId;
let storyteller: AgentId;
let writer: AgentId;

const worker = (name: string, capabilities: string[] = []): { name: string; kind: "code"; module: string; export: string; capabilities: string[] } => ({ name, kind: "code", module: WORKER, export: "worker", capabilities });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aios-dash-"));
  writeFileSync(join(dir, "note.txt"), "hello from the note");
  os = await boot({
    dataDir: join(dir, "data"),
    logger: silentLogger,
    models: { tiny: { provider: "replay", model: "tiny", loop: true, price: { promptPer1k: 1, completionPer1k: 2 }, turns: [{ text: "Once upon a time", usage: { promptTokens: 120, completionTokens: 30 } }] } },
    subsystems: { embedder: false, observe: { tracing: {} }, security: { policy: { rules: [{ id: "ask-before-note", effect: "approve", reason: "reading the note needs a person", when: { tool: "file.read" } }] } } },
  });
  plane = new ControlPlane(os);
  token = ensureApiToken(join(dir, "data"));
  gw = await startGateway(plane, { token, port: 0, dashboard: { os } });
  team = (await plane.spawn({ specPath: join(process.cwd(), "examples/specs/team.yaml") })).id;
  storyteller = await os.spawn(worker("storyteller", ["llm:*#invoke"]));
  reader = await os.spawn(worker("reader", ["tool:file.read#call", `file:${dir}/**#read`]));
  for (let i = 0; i < 2; i++) expect(await os.request(storyteller, { type: "story", prompt: `tale ${i}`, model: "tiny" })).toMatchObject({ ok: true });
  // An LLM agent that stays (its context window on its page), one traced run that ended, and a plan on the market.
  writer = await os.spawn({ name: "writer", kind: "llm", model: "tiny", instructions: "Write a short tale.", capabilities: ["llm:*#invoke"] });
  expect(await os.request(writer, "a tale about a lighthouse")).toMatchObject({ text: "Once upon a time" });
  await os.run({ name: "summarizer", kind: "llm", model: "tiny", instructions: "Sum up.", capabilities: ["llm:*#invoke"] }, { goal: "sum up the tale" });
  for (const [name, price] of [["ann", 200_000], ["cy", 150_000]] as const) {
    await os.spawn({ name, kind: "code", module: join(process.cwd(), "examples/agents/market-worker.ts"), export: "marketWorker", capabilities: ["market#join", "market:**#bid"], args: { price, sloppyOn: [] } });
  }
  await os.ledger.deposit("operator", 10_000_000n);
  expect(await os.plan("Granite forms from cooling magma; Basalt forms from lava")).toMatchObject({ status: "answered" });
  await os.memory.store({ type: "semantic_fact", scope: "global", content: { subject: "the dashboard", predicate: "is tested in", object: "chromium" }, tags: ["ui"] });
  await os.memory.store({ type: "semantic_fact", scope: "global", content: { subject: "the kernel", predicate: "journals", object: "every acknowledged write" } });
  browser = await launchChromium();
  context = await browser.newContext();
  page = await context.newPage();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await gw?.close();
  plane?.close();
  await os?.shutdown();
  rmSync(dir, { recursive: true, force: true });
});

/** axe and the keyboard walk on the page as it stands. */
async function checkAccessible(what: string): Promise<void> {
  expect(await axeViolations(page), `axe on ${what}`).toEqual([]);
  const walk = await keyboardWalk(page);
  expect(walk.unreached, `controls Tab never reached on ${what}`).toEqual([]);
  expect(walk.invisible, `controls focused without a visible indicator on ${what}`).toEqual([]);
  expect(walk.reached).toBeGreaterThan(5);
}

/** The live stream is connected (the island marks <html data-stream="open">). */
const streamOpen = (): Promise<void> => page.locator('html[data-stream="open"]').waitFor({ state: "attached" });
/** Waits for the tree row of `id` to show `status` (an attribute the fragment renders). */
const rowState = (id: string, status: string): Promise<void> => page.locator(`#tree-body tr[data-agent="${id}"][data-status="${status}"]`).waitFor({ state: "attached" });

const row = (name: string): ReturnType<Page["locator"]> => page.locator("#tree-body tr", { has: page.getByRole("link", { name, exact: true }) });

// Each test drives chromium through page loads, axe runs and keyboard walks: seconds alone, and over
// the 30 s default once (the keyboard restart) while the kernel crash and ledger suites ran beside it
// in CI. A hung page still fails, at 90 s.
describe("dashboard in chromium", { timeout: 90_000 }, () => {
  it("sends a stranger to the login page, refuses a wrong token and keeps the right one in an HttpOnly SameSite=Strict cookie", async () => {
    await page.goto(`${gw.url}/`);
    expect(new URL(page.url()).pathname).toBe("/login");
    await checkLoginAccessible();
    await page.getByLabel("API token").fill("not-the-token");
    await page.getByRole("button", { name: "Log in" }).click();
    await expect(page.getByRole("alert").textContent()).resolves.toMatch(/not the daemon's API token/);
    expect(await axeViolations(page), "axe on the failed login").toEqual([]);
    await page.getByLabel("API token").fill(token);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(/\/ui\/tree$/);
    const cookies = await context.cookies();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ name: "aios_session", httpOnly: true, sameSite: "Strict", secure: false, path: "/" });
  });

  it("shows the process tree with supervision, mailbox depth and actions, accessibly", async () => {
    await expect(row("team").textContent()).resolves.toMatch(/one_for_one, 0 of 3 restarts in 10 s/);
    for (const w of ["worker-1", "worker-2", "worker-3", "storyteller", "reader"]) await expect(row(w).locator("td").nth(1).textContent()).resolves.toBe("running");
    await streamOpen();
    await checkAccessible("the process tree");
  });

  it("kills an agent from the page after a confirmation and the tree updates live, without a reload", async () => {
    await page.evaluate("window.__noReload = true");
    const w1 = (await row("worker-1").getAttribute("data-agent")) ?? "";
    await page.locator(`[id="kill-${w1}"]`).click();
    const dialog = page.getByRole("dialog");
    await expect(dialog.textContent()).resolves.toMatch(/Kill agent worker-1\?/);
    expect(await axeViolations(page), "axe with the confirmation open").toEqual([]);
    await dialog.getByRole("button", { name: "Confirm" }).click();
    await rowState(w1, "killed");
    expect(await page.evaluate("window.__noReload")).toBe(true);
    expect((await plane.status(w1)).status).toBe("killed");
    await expect(page.locator("#announce").textContent()).resolves.toMatch(/kill worker-1: done/);
  });

  it("cancels a kill when the person says no, and shows changes made elsewhere as they happen", async () => {
    const w2 = (await row("worker-2").getAttribute("data-agent")) ?? "";
    await page.locator(`[id="kill-${w2}"]`).click();
    await page.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();
    expect((await plane.status(w2)).status).toBe("running");
    await plane.pause(w2);
    await rowState(w2, "paused");
    await plane.resume(w2);
    await rowState(w2, "running");
    const late = await os.spawn(worker("late-joiner"));
    await page.locator(`#tree-body tr[data-agent="${late}"]`).waitFor();
    expect(await page.evaluate("window.__noReload")).toBe(true);
  });

  it("restarts an agent from the keyboard after a confirmation: same id, next incarnation, counted by its supervisor", async () => {
    const w3 = (await row("worker-3").getAttribute("data-agent")) ?? "";
    const focused = (): Promise<unknown> => page.evaluate("document.activeElement && document.activeElement.id");
    await page.locator(`[id="restart-${w3}"]`).focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog");
    await expect(dialog.textContent()).resolves.toMatch(/Restart agent worker-3\? It stops and starts again under the same id/);
    expect(await focused()).toBe("confirm-no"); // the safe choice has the focus
    expect(await axeViolations(page), "axe with the restart confirmation open").toEqual([]);
    await page.keyboard.press("Escape");
    expect(await focused()).toBe(`restart-${w3}`);
    expect((await plane.status(w3)).incarnation).toBe(0);
    await page.keyboard.press("Enter");
    await page.keyboard.press("Shift+Tab");
    expect(await focused()).toBe("confirm-yes");
    await page.keyboard.press("Enter");
    await page.locator(`#tree-body tr[data-agent="${w3}"] td.num`, { hasText: /^1$/ }).waitFor();
    await expect(page.locator("#announce").textContent()).resolves.toMatch(/restart worker-3: done/);
    expect(await plane.status(w3)).toMatchObject({ id: w3, name: "worker-3", status: "running", incarnation: 1 });
    await expect(row("team").textContent()).resolves.toMatch(/one_for_one, 1 of 3 restarts in 10 s/);
    expect(await page.evaluate("window.__noReload")).toBe(true);
  });

  it("opens an agent's detail: process facts, spec, which grant gives each capability, recent syscalls and events", async () => {
    await page.getByRole("link", { name: "storyteller", exact: true }).click();
    await page.waitForURL(/\/ui\/agents\//);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Agent storyteller");
    await expect(page.locator("pre").first().textContent()).resolves.toMatch(/"export": "worker"/);
    await expect(page.getByRole("table", { name: "Each capability and the grant it comes from" }).locator("tbody tr").first().textContent()).resolves.toMatch(/llm:\*#invoke\s*its spec/);
    await expect(page.getByRole("table", { name: /Last \d+ syscalls/ }).textContent()).resolves.toMatch(/LlmInvoke\s*ok/);
    await expect(page.getByRole("table", { name: /Events of this agent/ }).textContent()).resolves.toMatch(/agent\.spawned/);
    await checkAccessible("agent detail");
  });

  it("shows an LLM agent's context window with the token budget per section", async () => {
    await page.goto(`${gw.url}/ui/agents/${writer}`);
    const ctx = page.getByRole("table", { name: /Context window of tiny/ });
    const rows = await ctx.locator("tbody tr").allTextContents();
    expect(rows.map((r) => r.split(/[\d—]/)[0]?.trim())).toEqual(["System instructions", "Goal", "Conversation (turns and tool results)", "Tool schemas", "Reserved for the answer", "Free"]);
    expect(rows[1]).toMatch(/^Goal1[1-9]\d*/); // one message, some tokens
    expect(rows[2]).toMatch(/^Conversation \(turns and tool results\)1[1-9]/); // the answer
    await checkAccessible("an LLM agent's detail");
  });

  it("lists messages and events, filters them, and appends live ones", async () => {
    await page.getByRole("link", { name: "Messages & events" }).click();
    await page.waitForURL(/\/ui\/events/);
    await expect(page.locator("#event-body").textContent()).resolves.toMatch(/model\.call|agent\.spawned/);
    await page.getByLabel("Types").fill("agent.*");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/types=agent/);
    const types = await page.locator("#event-body tr td:nth-child(2)").allTextContents();
    expect(types.length).toBeGreaterThan(0);
    expect(types.every((t) => t.startsWith("agent."))).toBe(true);
    await streamOpen();
    const live = await os.spawn(worker("newcomer"));
    await page.locator("#event-body tr", { hasText: live }).first().waitFor();
    await checkAccessible("messages and events");
  });

  it("searches memory as a chosen reader and opens a record with its versions", async () => {
    await page.getByRole("link", { name: "Memory" }).click();
    await page.getByRole("searchbox", { name: "Search" }).fill("dashboard chromium");
    await page.getByRole("button", { name: "Search" }).click();
    const results = page.getByRole("table", { name: /records matching/ });
    await expect(results.textContent()).resolves.toMatch(/is tested in/);
    await checkAccessible("memory search");
    await results.getByRole("link").first().click();
    await page.waitForURL(/\/ui\/memory\/mem/);
    await expect(page.getByRole("table", { name: "Versions, oldest first" }).textContent()).resolves.toMatch(/create|store|insert/);
    expect(await axeViolations(page), "axe on a memory record").toEqual([]);
  });

  it("decides a parked approval from the page; the waiting syscall then runs", async () => {
    const parked = os.events.once("approval.requested");
    const answer = os.request(reader, { type: "read", path: join(dir, "note.txt") }, { timeoutMs: 15_000 });
    await parked;
    await page.getByRole("link", { name: "Approvals" }).click();
    const pending = page.getByRole("table", { name: "Waiting for a decision" });
    await expect(pending.textContent()).resolves.toMatch(/ask-before-note/);
    await checkAccessible("approvals with a pending request");
    await pending.getByRole("button", { name: "Approve" }).click();
    await expect(answer).resolves.toMatchObject({ ok: true, result: { content: "hello from the note" } });
    await expect(page.getByRole("table", { name: "Decided" }).textContent()).resolves.toMatch(/approved\s*dashboard/);
  });

  it("shows audit entries and verifies the chain from a button", async () => {
    await page.getByRole("link", { name: "Audit" }).click();
    await expect(page.getByRole("table", { name: /Newest \d+ entries/ }).textContent()).resolves.toMatch(/syscall|lifecycle/);
    await page.getByRole("button", { name: "Verify the audit log" }).click();
    await expect(page.getByRole("heading", { level: 2, name: /Verification/ }).textContent()).resolves.toBe("Verification: intact");
    await checkAccessible("audit after verification");
  });

  it("opens an audit entry's inclusion proof and checks it against the tree head", async () => {
    const link = page.getByRole("link", { name: /^Proof of entry \d+$/ }).first();
    const seq = Number((await link.getAttribute("href"))?.split("/").pop());
    await link.click();
    await expect(page.getByRole("heading", { level: 2, name: /is included/ }).textContent()).resolves.toMatch(new RegExp(`^Entry ${seq} is included in the tree of \\d+ entries$`));
    // The leaf hash is the API's for the same entry (it does not change as the log grows).
    const proof = (await (await fetch(`${gw.url}/v1/audit/proof/${seq}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { leaf: string };
    await expect(page.locator("dl.facts").textContent()).resolves.toContain(proof.leaf);
    const path = page.getByRole("table", { name: /Audit path/ });
    const steps = Number(/(\d+) sibling hashes/.exec((await path.locator("caption").textContent()) ?? "")?.[1]);
    expect(steps).toBeGreaterThan(0);
    expect(await path.locator("tbody tr").count()).toBe(steps);
    await checkAccessible("an audit entry's proof");
    const missing = await page.goto(`${gw.url}/ui/audit/proof/999999999`);
    expect(missing?.status()).toBe(404);
  });

  it("shows model costs per agent and model, and per tenant and model over time, in tables beside the charts", async () => {
    await page.getByRole("link", { name: "Costs" }).click();
    const perModel = page.getByRole("table", { name: /Totals per model/ });
    // storyteller's two calls, writer's and summarizer's one each: 4 calls of 150 tokens at 1 and 2 per 1k.
    await expect(perModel.locator("tbody tr").first().textContent()).resolves.toMatch(/tiny\s*4\s*600\s*0\.720000/);
    await expect(page.getByRole("table", { name: /per agent and model/ }).textContent()).resolves.toMatch(/storyteller\s*tiny\s*2\s*240\s*60/);
    const overTime = page.getByRole("table", { name: /per minute, tenant and model/ }).locator("tbody tr");
    expect(new Set(await overTime.locator("td:nth-child(2)").allTextContents())).toEqual(new Set(["default"]));
    const tokens = (await overTime.locator("td:nth-child(5)").allTextContents()).map(Number);
    expect(tokens.reduce((a, b) => a + b, 0)).toBe(600);
    await checkAccessible("costs");
  });

  it("shows the scheduler's pools, each tenant's fair share and the alerts", async () => {
    await page.getByRole("link", { name: "Scheduler" }).click();
    await expect(page.getByRole("heading", { level: 2, name: "Service-level alerts" }).isVisible()).resolves.toBe(true);
    await expect(page.locator("#sched-live").textContent()).resolves.toMatch(/inference|No resource pool/);
    const shares = page.getByRole("table", { name: /Fair shares per pool/ });
    await expect(shares.locator("tbody tr").first().textContent()).resolves.toMatch(/default\s*1\s*100\.0 %\s*100\.0 %/);
    await checkAccessible("scheduler");
  });

  it("lists recent traces and shows one run's span waterfall with its table", async () => {
    await page.getByRole("link", { name: "Traces" }).click();
    const list = page.getByRole("table", { name: /Recent traces/ });
    await list.getByRole("link", { name: "invoke_agent summarizer" }).click();
    await page.waitForURL(/\/ui\/traces\/[0-9a-f]{32}$/);
    const spans = await page.getByRole("table", { name: /Spans of the trace/ }).locator("tbody tr th").allTextContents();
    expect(spans.map((t) => t.replace("└ ", "").trim())).toEqual(["invoke_agent summarizer", "chat tiny"]);
    await expect(page.getByRole("table", { name: /Spans of the trace/ }).textContent()).resolves.toMatch(/gen_ai\.usage\.input_tokens\s*120/);
    expect(await page.locator("svg.waterfall rect").count()).toBe(2);
    await checkAccessible("a trace's waterfall");
    await page.goto(`${gw.url}/ui/traces/${"0".repeat(31)}1`);
    await expect(page.getByRole("alert").textContent()).resolves.toMatch(/not among the recent traces/);
  });

  it("shows the market's order book, filterable by status", async () => {
    await page.getByRole("link", { name: "Market" }).click();
    const book = page.getByRole("table", { name: /Order book/ });
    const rows = await book.locator("tbody tr").allTextContents();
    expect(rows.length).toBeGreaterThanOrEqual(2);
    expect(rows.every((r) => /settled/.test(r))).toBe(true);
    await expect(book.textContent()).resolves.toMatch(/0\.150000/); // cy's price won every part
    await checkAccessible("the market");
    await page.getByLabel("Status").selectOption("open");
    await page.getByRole("button", { name: "Show" }).click();
    await page.waitForURL(/status=open/);
    await expect(page.locator("main").textContent()).resolves.toMatch(/No task on the market with status open/);
  });

  it("logs out: the cookie goes and the pages send the browser back to the login", async () => {
    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(/\/login$/);
    expect(await context.cookies()).toEqual([]);
    await page.goto(`${gw.url}/ui/tree`);
    expect(new URL(page.url()).pathname).toBe("/login");
    expect(team).toMatch(/^ag/);
  });
});

async function checkLoginAccessible(): Promise<void> {
  expect(await axeViolations(page), "axe on the login page").toEqual([]);
  const walk = await keyboardWalk(page);
  expect(walk.unreached).toEqual([]);
  expect(walk.invisible).toEqual([]);
}
