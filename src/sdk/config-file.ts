/**
 * The data directory's own configuration, `<dataDir>/config.yaml` (or `config.json`): model entries
 * and routes, scheduler pools, the policy document, the storage driver, tracing and kernel settings, so a daemon can be configured
 * without code. Options given to boot() win over the file. The file is validated with its own schema
 * (the subsystems validate their sections again); an error names the file and the field.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { AiosError, parseYaml } from "../core/index.js";
import { StorageConfigSchema } from "../store/index.js";
import { TracingConfigSchema } from "../observe/index.js";

const ConfigFileSchema = z.strictObject({
  durable: z.boolean().optional(),
  hogThresholdMs: z.number().positive().optional(),
  /** Directories a spec's `module` may name code in, relative to the data directory (docs/adr/0022). */
  moduleRoots: z.array(z.string().min(1)).optional(),
  models: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  routes: z.record(z.string(), z.unknown()).optional(),
  defaultModel: z.string().min(1).optional(),
  sched: z.record(z.string(), z.unknown()).optional(),
  /** A policy document inline, or a path relative to the data directory. */
  policy: z.union([z.string().min(1), z.record(z.string(), z.unknown())]).optional(),
  /** The default policy for tainted agents (security/'s TaintGuardSchema validates it at boot). */
  taintGuard: z.record(z.string(), z.unknown()).optional(),
  /** Absolute directories whose files do not taint the agents that read them. */
  trustedRoots: z.array(z.string().startsWith("/")).optional(),
  /** MCP servers by name (tools/mcp/config.ts validates each entry when the client starts). */
  mcp: z.strictObject({ servers: z.record(z.string(), z.unknown()).default({}) }).optional(),
  /** Where the journal lives: SQLite in the data directory (default) or PostgreSQL (store/storage-config.ts). */
  storage: StorageConfigSchema.optional(),
  /** Traces (off unless given): `{ enabled, otlpEndpoint, sampleRatio, headers, serviceName }` (observe/tracing-config.ts). */
  tracing: TracingConfigSchema.optional(),
});

export type ConfigFile = z.output<typeof ConfigFileSchema>;

/** Reads the data directory's config file; an absent file is an empty configuration. */
export function readConfigFile(dataDir: string): ConfigFile & { readonly path?: string } {
  const path = ["config.yaml", "config.yml", "config.json"].map((f) => join(dataDir, f)).find((p) => existsSync(p));
  if (path === undefined) return {};
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(path, "utf8"));
  } catch (e) {
    throw new AiosError("E_CONFIG", `${path}: not valid YAML or JSON: ${(e as Error).message}`, { cause: e, details: { path } });
  }
  const r = ConfigFileSchema.safeParse(raw ?? {});
  if (!r.success) {
    const i = r.error.issues[0];
    const field = i?.path.map(String).join(".") || "(root)";
    throw new AiosError("E_CONFIG", `${path}: ${field}: ${i?.message ?? "invalid"}`, { details: { path, field } });
  }
  const policy = typeof r.data.policy === "string" && !r.data.policy.includes("\n") ? readPolicy(join(dataDir, r.data.policy), path) : r.data.policy;
  const moduleRoots = r.data.moduleRoots?.map((m) => resolve(dataDir, m));
  return { ...r.data, ...(policy === undefined ? {} : { policy }), ...(moduleRoots === undefined ? {} : { moduleRoots }), path };
}

function readPolicy(file: string, configPath: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new AiosError("E_CONFIG", `${configPath}: policy: cannot read ${file}`, { cause: e, details: { path: configPath, field: "policy" } });
  }
}
