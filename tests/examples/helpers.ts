/**
 * What the example tests share: booting the default stack with the shipped models file
 * (examples/models.yaml, read unchanged) pointed at a fake OpenAI-compatible server through the
 * environment, exactly as a user points it at a real endpoint, and the data directory configured
 * with examples/config.yaml.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { boot, silentLogger, type Aios, type BootOptions } from "../../src/index.js";
import { parseModelsConfig } from "../../src/models/index.js";

export const ROOT = join(import.meta.dirname, "..", "..");
export const EXAMPLES = join(ROOT, "examples");
export const MODELS_FILE = join(EXAMPLES, "models.yaml");
export const CONFIG_FILE = join(EXAMPLES, "config.yaml");

/** The environment a user sets for an OpenAI-compatible endpoint. */
export function endpointEnv(baseURL: string, key = "sk-test-key"): Record<string, string> {
  return { OPENAI_BASE_URL: baseURL, OPENAI_API_KEY: key };
}

/** Sets env vars for the duration of a test file; returns the undo. */
export function withEnv(vars: Record<string, string>): () => void {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

export async function bootWithModelsFile(extra: Partial<BootOptions> = {}): Promise<{ os: Aios; dataDir: string; done: () => Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), "aios-example-"));
  // The data directory configured as the README says: examples/config.yaml copied in.
  copyFileSync(CONFIG_FILE, join(dataDir, "config.yaml"));
  const { models } = parseModelsConfig(parseYaml(readFileSync(MODELS_FILE, "utf8")));
  const os = await boot({ dataDir, logger: silentLogger, models, ...extra });
  return {
    os,
    dataDir,
    done: async () => {
      await os.shutdown("test");
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
