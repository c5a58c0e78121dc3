/**
 * `aios run <llm spec> --goal` streams the model's answer — in process (model.token events) and on a
 * daemon (`POST /v1/runs`, server-sent chunks) — against the scripted OpenAI-compatible server on
 * loopback (real Chat Completions wire format, SSE when asked); with --json only the final answer
 * is printed. And `aios upgrade` hot-swaps a running agent's spec version on the daemon.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeOpenAI } from "../examples/fake-openai.js";
import { cli, startDaemon } from "./helpers.js";

const ANSWER = "Lichens vanish where the air carries sulfur dioxide, so they read as a living air-quality meter.";
const model = new FakeOpenAI(() => ({ text: ANSWER }));
let dir: string;
let spec: string;
let models: string;
let env: Record<string, string>;
beforeAll(async () => {
  await model.start();
  dir = mkdtempSync(join(tmpdir(), "aios-run-llm-"));
  spec = join(dir, "answerer.yaml");
  models = join(dir, "models.yaml");
  writeFileSync(spec, "name: answerer\nkind: llm\nmodel: assistant\ninstructions: Answer in one sentence.\n");
  writeFileSync(models, "assistant:\n  provider: openai\n  model: fake-model\n");
  env = { OPENAI_BASE_URL: model.url, OPENAI_API_KEY: "sk-test-key" };
});
afterAll(async () => {
  await model.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("aios run of an llm spec, and aios upgrade", () => {
  it("streams the answer in process; --json prints only the answer", async () => {
    const [text, json] = await Promise.all([
      cli(["--data-dir", join(dir, "a"), "run", spec, "--models", models, "--goal", "What do lichens tell us?"], env),
      cli(["--data-dir", join(dir, "b"), "--json", "run", spec, "--models", models, "--goal", "What do lichens tell us?"], env),
    ]);
    expect(text.stderr).toContain("running in-process");
    expect(text.code).toBe(0);
    expect(text.stdout.trim()).toBe(ANSWER);
    expect(text.stderr).toMatch(/1 step\(s\), \d+ prompt \+ \d+ completion tokens/);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ text: ANSWER, steps: 1 });
    // The text run asked the endpoint for a stream (someone listened for tokens); --json did not need one.
    expect(model.requests.some((r) => r.body.stream === true)).toBe(true);
  }, 30_000);

  it("streams the answer from a daemon's /v1/runs, and upgrades a running agent's version", async () => {
    const data = join(dir, "daemon");
    const g = ["--data-dir", data, "--json"];
    const prev = { ...process.env };
    Object.assign(process.env, env); // the daemon child inherits the endpoint
    const d = await startDaemon(data, ["--models", models]).finally(() => {
      process.env = prev;
    });
    try {
      const [run, counter] = await Promise.all([
        cli(["--data-dir", data, "run", spec, "--goal", "What do lichens tell us?"]),
        cli([...g, "run", "examples/specs/counter.yaml"]),
      ]);
      expect(run.stderr).toContain("using the daemon");
      expect(run.code).toBe(0);
      expect(run.stdout.trim()).toBe(ANSWER);
      expect(run.stderr).toMatch(/1 step\(s\), \d+ prompt/); // the /v1/runs answer's usage, not a plain request's reply
      expect(counter.code).toBe(0);
      const up = await cli([...g, "upgrade", "counter", JSON.stringify({ version: "2" })]);
      expect(up.code).toBe(0);
      expect(JSON.parse(up.stdout)).toMatchObject({ name: "counter", version: "2", status: "running" });
      const missing = await cli([...g, "upgrade", "nobody", JSON.stringify({ version: "2" })]);
      expect(missing.code).toBe(1);
      expect(JSON.parse(missing.stdout)).toMatchObject({ error: { code: "E_NO_AGENT" } });
    } finally {
      d.proc.kill("SIGTERM");
      await d.exited;
    }
  }, 40_000);
});
