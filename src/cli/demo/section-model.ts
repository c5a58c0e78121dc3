/**
 * Demo section 7: a few tokens from the real local model (stories260K, a 260K-parameter GGUF) through
 * the models subsystem: an agent holding `llm:tiny#invoke` calls LlmInvoke, the scheduler gives it an
 * inference slot and node-llama-cpp generates on the CPU. Skipped with a note when the model file is
 * absent or not the expected one.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import type { Aios } from "../../sdk/index.js";
import type { Narrator } from "./narrator.js";
import { MODEL_FILE, MODEL_SHA256, WORKER_MODULE } from "./paths.js";

/** The models config for boot() when the test model is present and intact; undefined otherwise. */
export function localModelConfig(): { tiny: { provider: "local"; model: string; modelPath: string; threads: number; contextSize: number; maxTokens: number } } | undefined {
  if (!existsSync(MODEL_FILE)) return undefined;
  if (createHash("sha256").update(readFileSync(MODEL_FILE)).digest("hex") !== MODEL_SHA256) return undefined;
  // threads: 1 — on a small shared CPU, llama.cpp's default threading is ~1000x slower for this model.
  return { tiny: { provider: "local", model: "stories260K", modelPath: MODEL_FILE, threads: 1, contextSize: 256, maxTokens: 24 } };
}

export async function sectionModel(os: Aios | undefined, say: Narrator, available: boolean): Promise<void> {
  say.section("A local model", "Model calls are syscalls too (LlmInvoke): capability-checked, scheduled on an inference slot, journaled and audited.");
  if (!available || os === undefined) {
    say.say(`skipped: ${MODEL_FILE} is absent or not the expected file (sha256 ${MODEL_SHA256.slice(0, 12)}...)`);
    return;
  }
  const teller = await os.spawn({ name: "storyteller", kind: "code", module: WORKER_MODULE, export: "worker", capabilities: ["llm:tiny#invoke"] });
  const prompt = "Once upon a time, there was a little";
  const t0 = Date.now();
  const r = (await os.request(teller, { type: "story", model: "tiny", prompt, maxTokens: 24 }, { timeoutMs: 30_000 })) as { ok: boolean; text?: string; usage?: { completionTokens?: number }; error?: { code: string; message: string } };
  if (!r.ok) {
    say.show("LlmInvoke failed", `${r.error?.code ?? "?"}: ${r.error?.message ?? ""}`);
    return;
  }
  say.show(`storyteller ${teller} prompt`, prompt);
  say.show("stories260K continues", (r.text ?? "").trim().replace(/\s+/g, " "));
  say.ok(`${r.usage?.completionTokens ?? "?"} tokens generated locally in ${Date.now() - t0} ms, no network`);
}
