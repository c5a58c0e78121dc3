/**
 * The `models` configuration: one entry per backend, by name, as given to boot({ models }) or read
 * from the data dir's config file; plus optional named routes (a policy over several entries).
 * Validation is strict and names the entry and field; creating providers checks what can be checked
 * without a network call (an API key present, a model file present) so a wrong entry fails at boot.
 * An unreachable server is reported at first use as E_MODEL naming the entry.
 */
import { existsSync } from "node:fs";
import { z } from "zod";
import { AiosError } from "../core/index.js";
import type { ModelProvider } from "./types.js";
import { OpenAIProvider } from "./openai.js";
import { AnthropicProvider } from "./anthropic.js";
import { LocalProvider } from "./local.js";
import { ReplayProvider, ReplayTurnSchema } from "./replay.js";

export const PriceSchema = z.strictObject({ promptPer1k: z.number().min(0), completionPer1k: z.number().min(0) });

export const ModelEntrySchema = z.strictObject({
  provider: z.enum(["openai", "anthropic", "local", "replay"]),
  baseURL: z.url().optional(),
  apiKey: z.string().min(1).optional(),
  /** Environment variable holding the key (default OPENAI_API_KEY / ANTHROPIC_API_KEY). */
  apiKeyEnv: z.string().min(1).optional(),
  model: z.string().min(1),
  modelPath: z.string().min(1).optional(),
  maxConcurrency: z.number().int().min(1).max(4096).optional(),
  threads: z.number().int().min(1).max(256).optional(),
  contextSize: z.number().int().min(64).optional(),
  maxTokens: z.number().int().min(1).optional(),
  price: PriceSchema.optional(),
  /** Entries tried in order when this one fails with a retryable error or its breaker is open. */
  fallback: z.array(z.string().min(1)).optional(),
  maxRetries: z.number().int().min(0).max(10).optional(),
  turns: z.array(ReplayTurnSchema).optional(),
  loop: z.boolean().optional(),
});
export type ModelEntry = z.output<typeof ModelEntrySchema>;

export const RouteSchema = z.strictObject({
  policy: z.enum(["fixed", "cheapest", "fastest", "round_robin"]),
  models: z.array(z.string().min(1)).min(1),
});
export type Route = z.output<typeof RouteSchema>;

export const ModelsConfigSchema = z.record(z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/), ModelEntrySchema);
export type ModelsConfig = z.output<typeof ModelsConfigSchema>;
export type ModelsConfigInput = z.input<typeof ModelsConfigSchema>;

function configError(msg: string, details: Record<string, unknown>): AiosError {
  return new AiosError("E_CONFIG", msg, { details });
}

/** Parses and cross-checks the config (fallbacks and routes name existing entries). */
export function parseModelsConfig(raw: unknown, routesRaw: unknown = {}): { models: ModelsConfig; routes: Record<string, Route> } {
  const p = ModelsConfigSchema.safeParse(raw);
  if (!p.success) {
    const i = p.error.issues[0];
    const path = i?.path.map(String) ?? [];
    throw configError(`models config: entry "${path[0] ?? "?"}"${path.length > 1 ? ` field ${path.slice(1).join(".")}` : ""}: ${i?.message ?? "invalid"}`, { path: path.join(".") });
  }
  const r = z.record(z.string(), RouteSchema).safeParse(routesRaw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw configError(`model routes: ${i?.path.map(String).join(".") ?? ""}: ${i?.message ?? "invalid"}`, { path: i?.path.map(String).join(".") ?? "" });
  }
  for (const [name, e] of Object.entries(p.data)) {
    for (const f of e.fallback ?? []) if (!(f in p.data)) throw configError(`model "${name}": fallback "${f}" is not a configured model`, { path: `${name}.fallback` });
  }
  for (const [name, route] of Object.entries(r.data)) {
    if (name in p.data) throw configError(`route "${name}" has the same name as a model entry`, { path: name });
    for (const m of route.models) if (!(m in p.data)) throw configError(`route "${name}": "${m}" is not a configured model`, { path: `${name}.models` });
  }
  return { models: p.data, routes: r.data };
}

/** An environment variable's value; an empty one (`export OPENAI_BASE_URL=`) counts as unset. */
function fromEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === "" ? undefined : v;
}

/** Builds the provider for one entry; E_CONFIG naming the entry when something required is missing. */
export function createProvider(name: string, e: ModelEntry, env: NodeJS.ProcessEnv = process.env): ModelProvider {
  const ctx = e.contextSize === undefined ? {} : { contextSize: e.contextSize };
  switch (e.provider) {
    case "openai": {
      const apiKey = e.apiKey ?? fromEnv(env, e.apiKeyEnv ?? "OPENAI_API_KEY");
      const baseURL = e.baseURL ?? fromEnv(env, "OPENAI_BASE_URL") ?? "https://api.openai.com/v1";
      // Local OpenAI-compatible servers (vLLM, llama.cpp, Ollama) often need no key; OpenAI itself does.
      if (apiKey === undefined && /api\.openai\.com/.test(baseURL)) {
        throw configError(`model "${name}": no API key (set apiKey or ${e.apiKeyEnv ?? "OPENAI_API_KEY"})`, { model: name, path: `${name}.apiKey` });
      }
      return new OpenAIProvider({ name, baseURL, model: e.model, ...(apiKey === undefined ? {} : { apiKey }), ...ctx });
    }
    case "anthropic": {
      const apiKey = e.apiKey ?? fromEnv(env, e.apiKeyEnv ?? "ANTHROPIC_API_KEY");
      if (apiKey === undefined) throw configError(`model "${name}": no API key (set apiKey or ${e.apiKeyEnv ?? "ANTHROPIC_API_KEY"})`, { model: name, path: `${name}.apiKey` });
      return new AnthropicProvider({ name, baseURL: e.baseURL ?? "https://api.anthropic.com", apiKey, model: e.model, ...ctx });
    }
    case "local": {
      if (e.modelPath === undefined) throw configError(`model "${name}": a local model needs modelPath`, { model: name, path: `${name}.modelPath` });
      if (!existsSync(e.modelPath)) throw configError(`model "${name}": model file not found: ${e.modelPath}`, { model: name, path: `${name}.modelPath` });
      return new LocalProvider({
        name, modelPath: e.modelPath,
        ...(e.threads === undefined ? {} : { threads: e.threads }),
        ...ctx,
        ...(e.maxConcurrency === undefined ? {} : { maxSequences: e.maxConcurrency }),
        ...(e.maxTokens === undefined ? {} : { defaultMaxTokens: e.maxTokens }),
      });
    }
    case "replay":
      return new ReplayProvider({ name, turns: e.turns ?? [], ...(e.loop === undefined ? {} : { loop: e.loop }), ...ctx });
  }
}
