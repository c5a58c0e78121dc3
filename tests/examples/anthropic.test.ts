/**
 * "Each example runs unchanged against an Anthropic endpoint": the research spec, untouched, with
 * the models file's `assistant` entry switched to Anthropic by uncommenting the entry
 * examples/models.yaml shows for it (plus the fake's baseURL), against the scripted model behind the Messages API wire format. The
 * same real effects as research.test.ts: pages fetched, records stored, a cited answer.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSpecFile } from "../../src/abi/index.js";
import { boot, silentLogger } from "../../src/index.js";
import { FakeAnthropic } from "./fake-anthropic.js";
import { parse as parseYaml } from "yaml";
import { parseModelsConfig } from "../../src/models/index.js";
import { CONFIG_FILE, EXAMPLES, MODELS_FILE, withEnv } from "./helpers.js";
import { PageServer } from "./page-server.js";
import { researcher } from "./scripts.js";

const model = new FakeAnthropic(researcher);
const pages = new PageServer();
let restoreEnv: () => void = () => undefined;
beforeAll(async () => {
  await Promise.all([model.start(), pages.start()]);
  restoreEnv = withEnv({ ANTHROPIC_API_KEY: "sk-ant-test" });
});
afterAll(async () => {
  restoreEnv();
  await Promise.all([model.stop(), pages.stop()]);
});

/** The commented `assistant:` entry at the end of examples/models.yaml, uncommented as a user would. */
function anthropicEntry(): { provider: "openai" | "anthropic" | "local" | "replay"; model: string } {
  const text = readFileSync(MODELS_FILE, "utf8");
  const block = text.slice(text.indexOf("# assistant:")).split("\n").filter((l) => l.startsWith("# ")).map((l) => l.slice(2)).join("\n");
  const entry = parseModelsConfig(parseYaml(block)).models["assistant"]!;
  expect(entry.provider).toBe("anthropic");
  return entry;
}

describe("examples/specs/research.yaml on an Anthropic endpoint", () => {
  it("runs unchanged and answers with citations", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "aios-example-ant-"));
    copyFileSync(CONFIG_FILE, join(dataDir, "config.yaml"));
    const os = await boot({
      dataDir, logger: silentLogger,
      models: { assistant: { ...anthropicEntry(), baseURL: model.url } },
    });
    try {
      const spec = await loadSpecFile(join(EXAMPLES, "specs", "research.yaml"));
      const answer = await os.run(spec, { goal: `What do lichens tell us about air quality? Start at ${pages.url}/index.html` });
      expect(pages.served.sort()).toEqual(["/air-quality.html", "/growth.html", "/index.html", "/symbiosis.html"]);
      expect(answer.text).toMatch(new RegExp(`^\\[1\\] ${pages.url}/air-quality\\.html \\(memory mem_\\S+\\)$`, "m"));
      const first = model.requests[0]!;
      expect(first.headers["x-api-key"]).toBe("sk-ant-test");
      expect(first.body.model).toBe("claude-sonnet-4-5");
      expect(first.body.system).toContain("careful research assistant");
      expect(first.body.tools!.map((t) => t.name).sort()).toEqual(["http__fetch", "memory__get", "memory__search", "memory__store"]);
      // The tool results went back as tool_result blocks in user turns, as the Messages API requires.
      const last = model.requests.at(-1)!.body.messages;
      expect(last.filter((m) => m.role === "user").flatMap((m) => m.content).filter((b) => b.type === "tool_result").length).toBe(8);
    } finally {
      await os.shutdown("test");
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
