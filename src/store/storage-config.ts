/**
 * Which StorageDriver holds the journal, as written in config.yaml (`storage:`) or given to boot()
 * (`subsystems.store.storage`): the embedded SQLite file in the data directory (the default), or a
 * schema in a PostgreSQL database. Parsed, not cast: a bad entry is E_CONFIG naming the field.
 *
 *   storage:
 *     driver: postgres
 *     url: postgres://aios@db.example:5432/aios   # or urlEnv: AIOS_POSTGRES_URL (keeps the password out of the file)
 *     schema: node_a                              # default "aios"; one schema per AIOS instance
 *
 *   storage: { driver: sqlite, writer: inline }    # commit on the main thread (default: writer thread)
 */
import { z } from "zod";
import { AiosError } from "../core/index.js";

export const StorageConfigSchema = z.discriminatedUnion("driver", [
  // writer: where SQLite's commits run — "thread" (default: the store's writer thread, ADR 0037) or
  // "inline" (the main thread).
  z.strictObject({ driver: z.literal("sqlite"), writer: z.enum(["thread", "inline"]).optional() }),
  z.strictObject({
    driver: z.literal("postgres"),
    url: z.string().regex(/^postgres(ql)?:\/\//, "a postgres:// URL").optional(),
    urlEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "an environment variable name").optional(),
    schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "a lower-case SQL identifier").optional(),
    poolSize: z.number().int().min(1).max(100).optional(),
  }),
]);

export type StorageConfig = z.output<typeof StorageConfigSchema>;

/** The connection URL of a postgres entry: `url`, or the environment variable `urlEnv` names. */
export function storageUrl(c: Extract<StorageConfig, { driver: "postgres" }>, env: NodeJS.ProcessEnv = process.env): string {
  if (c.url !== undefined && c.urlEnv !== undefined) {
    throw new AiosError("E_CONFIG", "storage: give url or urlEnv, not both", { details: { field: "storage.url" } });
  }
  const url = c.url ?? (c.urlEnv === undefined ? undefined : env[c.urlEnv]);
  if (url === undefined || url === "") {
    const field = c.urlEnv === undefined ? "storage.url" : "storage.urlEnv";
    const why = c.urlEnv === undefined ? "driver postgres needs url (or urlEnv)" : `the environment variable ${c.urlEnv} is not set`;
    throw new AiosError("E_CONFIG", `storage: ${why}`, { details: { field } });
  }
  return url;
}
