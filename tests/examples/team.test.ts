/**
 * The supervised team (examples/specs/research-team.yaml) end to end: the research agent and the
 * code agent under one one_for_one supervisor, both answering at once through the scripted
 * OpenAI-compatible server; then the researcher's model endpoint refuses a request, the researcher
 * crashes, and the supervisor restarts it alone (same id, incarnation 1, the coder untouched), after
 * which it answers again from a fresh conversation. The inline children are checked equal to the
 * standalone specs, so the three files cannot drift apart.
 */
import { chmodSync, cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSpecFile } from "../../src/abi/index.js";
import type { Aios, AnyKernelEvent } from "../../src/index.js";
import { FakeOpenAI } from "./fake-openai.js";
import { bootWithModelsFile, endpointEnv, EXAMPLES, withEnv } from "./helpers.js";
import { PageServer } from "./page-server.js";
import { coder, researcher } from "./scripts.js";

const model = new FakeOpenAI((c) => (c.system.includes("research assistant") ? researcher(c) : coder(c)));
const pages = new PageServer();
let restoreEnv: () => void = () => undefined;
let copy = "";
beforeAll(async () => {
  await Promise.all([model.start(), pages.start()]);
  restoreEnv = withEnv(endpointEnv(model.url));
  copy = mkdtempSync(join(tmpdir(), "aios-team-"));
  chmodSync(copy, 0o755); // the sandbox's unprivileged uid must traverse it when tests run as root
  for (const d of ["specs", "fixtures/slugify", "scratch"]) cpSync(join(EXAMPLES, d), join(copy, "examples", d), { recursive: true });
});
afterAll(async () => {
  restoreEnv();
  await Promise.all([model.stop(), pages.stop()]);
  rmSync(copy, { recursive: true, force: true });
});

const live = (os: Aios, name: string): { id: string; incarnation: number; status: string } => {
  const a = os.ps({ name })[0];
  if (a === undefined) throw new Error(`no agent ${name}`);
  const s = os.status(a.id);
  return { id: a.id, incarnation: s.incarnation, status: s.status };
};

describe("examples/specs/research-team.yaml", () => {
  it("inlines the standalone research and coder specs unchanged", async () => {
    const specs = join(EXAMPLES, "specs");
    const team = await loadSpecFile(join(specs, "research-team.yaml"));
    expect(team.children).toEqual([await loadSpecFile(join(specs, "research.yaml")), await loadSpecFile(join(specs, "coder.yaml"))]);
    expect(team.supervision).toEqual({ strategy: "one_for_one", intensity: 3, periodMs: 60_000 });
  });

  it("runs both agents under the supervisor and restarts the researcher alone when it crashes", async () => {
    const { os, done } = await bootWithModelsFile();
    const events: AnyKernelEvent[] = [];
    const unsub = os.events.subscribe({ types: ["agent.crashed", "supervisor.*"] }, (e) => void events.push(e));
    try {
      const team = await os.spawn(await loadSpecFile(join(copy, "examples", "specs", "research-team.yaml")));
      const r0 = live(os, "researcher");
      const c0 = live(os, "coder");
      expect([r0.status, c0.status]).toEqual(["running", "running"]);
      const repo = join(copy, "examples", "fixtures", "slugify");
      const question = `What do lichens tell us about air quality? Start at ${pages.url}/index.html`;

      // Both at once: each gets the turn its own conversation calls for.
      const [summary, fix] = (await Promise.all([
        os.request(r0.id, question, { timeoutMs: 45_000 }),
        os.request(c0.id, `Fix the failing test of the repository at ${repo}, scratch directory ${join(copy, "examples", "scratch")}`, { timeoutMs: 45_000 }),
      ])) as [{ text: string }, { text: string }];
      expect(summary.text).toMatch(new RegExp(`^\\[1\\] ${pages.url}/air-quality\\.html \\(memory mem_\\S+\\)$`, "m"));
      expect(fix.text).toContain("exit status 1");
      expect(readFileSync(join(copy, "examples", "scratch", "slugify.patch"), "utf8")).toContain("+    .replace(/[^a-z0-9]+/g, \"-\")");

      // The endpoint refuses the researcher's next call: it crashes, and only it is restarted.
      model.failNext(400);
      await expect(os.request(r0.id, question, { timeoutMs: 45_000 })).rejects.toMatchObject({ code: "E_MODEL" });
      await expect.poll(() => live(os, "researcher"), { timeout: 10_000 }).toEqual({ id: r0.id, incarnation: 1, status: "running" });
      expect(live(os, "coder")).toMatchObject({ id: c0.id, incarnation: 0, status: "running" });
      expect(os.status(team).status).toBe("running");
      expect(events.some((e) => e.type === "agent.crashed" && e.agent === r0.id)).toBe(true);

      // The restarted researcher starts a fresh conversation and answers again.
      const before = model.requests.length;
      const again = (await os.request(r0.id, question, { timeoutMs: 45_000 })) as { text: string };
      expect(again.text).toContain(`${pages.url}/air-quality.html`);
      expect(model.requests[before]!.body.messages.filter((m) => m.role === "user")).toHaveLength(1);
    } finally {
      unsub();
      await done();
    }
  }, 60_000); // 13 s alone, 18 s beside the other example tests at load ~18: room for a slower machine
});
