/**
 * The README's newcomer path, run as written: in a fresh folder holding examples/, the data
 * directory configured with `cp examples/config.yaml .aios/config.yaml`, the endpoint given by
 * OPENAI_BASE_URL / OPENAI_API_KEY, and then
 *   aios run examples/specs/research.yaml --models examples/models.yaml --goal "..."
 * through bin/aios.js as `npx aios` runs it. The endpoint is the scripted OpenAI-compatible server
 * on loopback, the pages a loopback web server (the README serves them with python's http.server).
 * It must work the first time: exit 0 and the cited answer on stdout.
 */
import { spawn } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeOpenAI } from "./fake-openai.js";
import { endpointEnv, EXAMPLES, ROOT } from "./helpers.js";
import { PageServer } from "./page-server.js";
import { researcher } from "./scripts.js";

const model = new FakeOpenAI(researcher);
const pages = new PageServer();
let home = "";
beforeAll(async () => {
  await Promise.all([model.start(), pages.start()]);
  home = mkdtempSync(join(tmpdir(), "aios-newcomer-"));
  cpSync(EXAMPLES, join(home, "examples"), { recursive: true });
});
afterAll(async () => {
  await Promise.all([model.stop(), pages.stop()]);
  rmSync(home, { recursive: true, force: true });
});

function aios(args: readonly string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [join(ROOT, "bin", "aios.js"), ...args], { cwd: home, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("the README's first LLM agent", () => {
  it("aios run examples/specs/research.yaml --models examples/models.yaml --goal ... answers with citations", async () => {
    mkdirSync(join(home, ".aios"));
    copyFileSync(join(home, "examples", "config.yaml"), join(home, ".aios", "config.yaml"));
    const goal = `What do lichens tell us about air quality? Start at ${pages.url}/index.html`;
    const r = await aios(["run", "examples/specs/research.yaml", "--models", "examples/models.yaml", "--goal", goal], endpointEnv(model.url));
    expect(r.stderr).not.toMatch(/error:/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`\\[1\\] ${pages.url}/air-quality\\.html \\(memory mem_\\w+\\)`));
    expect(pages.served).toContain("/air-quality.html");
    expect(model.requests[0]!.body.model).toBe("gpt-4o-mini");
  }, 120_000); // a CLI process through tsx: 16 s alone at load ~18, 51 s beside 6 test files at load ~28

  it("names the missing key when the endpoint is OpenAI's and no key is set", async () => {
    const r = await aios(["run", "examples/specs/research.yaml", "--models", "examples/models.yaml", "--goal", "hi"], { OPENAI_BASE_URL: "", OPENAI_API_KEY: "" });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/model "assistant": no API key \(set apiKey or OPENAI_API_KEY\)/);
  }, 120_000);
});
