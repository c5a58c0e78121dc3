/**
 * What the PostgreSQL driver's test files share: one real server per file (usePostgres), one
 * database per file created on first use, a fresh schema per test (a store of its own for almost
 * nothing), journal rows to write, and the AiosError a rejected call gives.
 */
import { AiosError } from "../../src/core/index.js";
import { toRow, type JournalRow } from "../../src/store/index.js";
import { usePostgres } from "../helpers/postgres.js";
import type { PgServer } from "../helpers/postgres.js";

export interface PgStores {
  /** The file's server (inside tests, after beforeAll). */
  readonly server: () => PgServer;
  /** The file's one database, created on first call. */
  readonly db: () => Promise<string>;
  /** A store of the test's own: a fresh schema in the file's database. */
  readonly fresh: () => Promise<{ url: string; schema: string }>;
}

export function usePgStores(prefix: string): PgStores {
  const pg = usePostgres();
  let shared: string | undefined;
  const db = async (): Promise<string> => (shared ??= await pg().createDatabase(prefix));
  return {
    server: pg,
    db,
    fresh: async () => ({ url: await db(), schema: pg().uniqueName("s") }),
  };
}

/** `n` enqueue rows from sequence `from`; `text`, when given, rides in every payload. */
export function journalRows(from: number, n: number, text?: string): JournalRow[] {
  return Array.from({ length: n }, (_, i) => toRow(from + i, { t: "enqueue", id: `m${from + i}`, to: "a", payload: text === undefined ? { i } : { i, text } }));
}

/** The AiosError `p` rejects with (anything else, or no rejection, fails the test). */
export async function caught(p: Promise<unknown>): Promise<AiosError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AiosError) return e;
    throw e;
  }
  throw new Error("expected an AiosError");
}
