/**
 * The dashboard in a real browser (issue #13 items 4 and 5): a real daemon — the default stack in a
 * temp data dir, the gateway on a free loopback port — running real agents (a supervised team of
 * code workers, a storyteller calling a replay model with a price, a reader whose file read a policy
 * parks for approval), driven by Debian's chromium through playwright-core. It logs in with the
 * token, walks every view, kills an agent from the page and sees the tree change without a reload,
 * sees a change made elsewhere arrive live, decides an approval, verifies the audit log, and on
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

const worker = (name: string, capabilities: string[] = []): { name: string; kind: "code"; module: string; export: string; capabilities: string[] } => ({ name, kind: "code", module: WORKER, export: "worker", capabilities });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "aios-dash-"));
  writeFileSync(join(dir, "note.txt"), "hello from the note");
  os = await boot({
    dataDir: join(dir, "data"),
    logger: silentLogger,
    models: { tiny: { provider: "replay", model: "tiny", loop: true, price: { promptPer1k: 1, completionPer1k: 2 }, turns: [{ text: "Once upon a time", usage: { promptTokens: 120, completionTokens: 30 } }] } },
    subsystems: { embedder: false, security: { policy: { rules: [{ id: "ask-before-note", effect: "approve", reason: "reading the note needs a person", when: { tool: "file.read" } }] } } },
  });
  plane = new ControlPlane(os);
  token = ensureApiToken(join(dir, "data"));
  gw = await startGateway(plane, { token, port: 0, dashboard: { os } });
  team = (await plane.spawn({ specPath: join(process.cwd(), "examples/specs/team.yaml") })).id;
  storyteller = await os.spawn(worker("storyteller", ["llm:*#invoke"]));
  reader = await os.spawn(worker("reader", ["tool:file.read#call", `file:${dir}/**#read`]));
  for (let i = 0; i < 2; i++) expect(await os.request(storyteller, { type: "story", prompt: `tale ${i}`, model: "tiny" })).toMatchObject({ ok: true });
  await os.memory.store({ type: "semantic_fact", scope: "global", content: { subject: "the dashboard", predicate: "is tested in", object: "chromium" }, tags: ["ui"] });
  await os.memory.store({ type: "semantic_fact", scope: "global", content: { subject: "the kernel", predicate: "journals", object: "every acknowledged write" } });
  browser = await launchChromium();
  context = await browser.newContext();
  page = await context.newPage();
}, 20_000);

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

describe("dashboard in chromium", () => {
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

  it("opens an agent's detail: process facts, spec, capability tokens, recent events", async () => {
    await page.getByRole("link", { name: "storyteller", exact: true }).click();
    await page.waitForURL(/\/ui\/agents\//);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Agent storyteller");
    await expect(page.locator("pre").first().textContent()).resolves.toMatch(/"export": "worker"/);
    await expect(page.getByRole("table", { name: "Capability tokens" }).textContent()).resolves.toMatch(/llm:\*#invoke/);
    await expect(page.getByRole("table", { name: /Events of this agent/ }).textContent()).resolves.toMatch(/agent\.spawned/);
    await checkAccessible("agent detail");
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

  it("shows model costs per agent and model in tables beside the chart", async () => {
    await page.getByRole("link", { name: "Costs" }).click();
    const perModel = page.getByRole("table", { name: /Totals per model/ });
    await expect(perModel.locator("tbody tr").first().textContent()).resolves.toMatch(/tiny\s*2\s*300\s*0\.360000/);
    await expect(page.getByRole("table", { name: /per agent and model/ }).textContent()).resolves.toMatch(/storyteller\s*tiny\s*2\s*240\s*60/);
    await checkAccessible("costs");
  });

  it("shows the scheduler's pools and the alerts", async () => {
    await page.getByRole("link", { name: "Scheduler" }).click();
    await expect(page.getByRole("heading", { level: 2, name: "Service-level alerts" }).isVisible()).resolves.toBe(true);
    await expect(page.locator("#sched-live").textContent()).resolves.toMatch(/inference|No resource pool/);
    await checkAccessible("scheduler");
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
