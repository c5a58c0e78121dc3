/**
 * boot() on PostgreSQL: `storage: { driver: postgres }` in config.yaml (or in boot's options) puts
 * the journal in PostgreSQL; a durable agent comes back with its state after a restart, read from
 * there, and the journal rows are in the schema (not in the data directory's SQLite file).
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { silentLogger, isAiosError } from "../../src/core/index.js";
import { boot, type AgentLogic } from "../../src/index.js";
import { usePostgres } from "../helpers/postgres.js";

const server = usePostgres();
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function dataDir(config: string): string {
  const d = mkdtempSync(join(tmpdir(), "aios-pgboot-"));
  dirs.push(d);
  writeFileSync(join(d, "config.yaml"), config);
  return d;
}

const counter: AgentLogic<number, unknown> = {
  init: () => 0,
  receive(state, _msg, ctx) {
    ctx.reply(state + 1);
    return state + 1;
  },
};
const lean = { embedder: false, memory: false, planner: false, mcp: false } as const;

describe("boot() with the journal on PostgreSQL", () => {
  it("brings a durable agent back with its state from PostgreSQL after a restart", async () => {
    const url = await server().createDatabase("boot");
    const d = dataDir(`storage:\n  driver: postgres\n  url: ${url}\n  schema: node_a\n`);
    const first = await boot({ dataDir: d, logger: silentLogger, logics: { counter }, subsystems: lean });
    const id = await first.spawn({ name: "kept", kind: "code", logic: "counter" });
    for (let i = 0; i < 3; i++) await first.request(id, i, { timeoutMs: 5_000 });
    await first.shutdown();
    expect(existsSync(join(d, "journal", "aios.db"))).toBe(false);

    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const kinds = await c.query<{ kind: string }>("SELECT kind FROM node_a.journal ORDER BY seq");
    await c.end();
    expect(kinds.rows.map((r) => r.kind)).toContain("spawn");
    expect(kinds.rows.filter((r) => r.kind === "handled")).toHaveLength(3);

    const second = await boot({ dataDir: d, logger: silentLogger, logics: { counter }, subsystems: lean });
    expect(second.ps().map((a) => a.name)).toEqual(["kept"]);
    expect(await second.request(id, "again", { timeoutMs: 5_000 })).toBe(4);
    expect(second.storeHealth?.records).toBeGreaterThan(0);
    await second.shutdown();
  });

  it("refuses a second instance on the same schema, naming the holder", async () => {
    const url = await server().createDatabase("twice");
    const storage = { driver: "postgres", url, schema: "shared" } as const;
    const first = await boot({ dataDir: dataDir(""), logger: silentLogger, subsystems: { ...lean, store: { storage } } });
    const failed = await boot({ dataDir: dataDir(""), logger: silentLogger, subsystems: { ...lean, store: { storage } } }).then(
      async (os) => {
        await os.shutdown();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(isAiosError(failed, "E_CONFLICT")).toBe(true);
    await first.shutdown();
  });

  it("names the field of a bad storage entry in config.yaml", async () => {
    const bad = await boot({ dataDir: dataDir("storage:\n  driver: postgres\n  url: mysql://x\n"), logger: silentLogger, subsystems: lean }).catch((e: unknown) => e);
    expect(isAiosError(bad, "E_CONFIG")).toBe(true);
    expect((bad as Error).message).toContain("storage.url");
    const unset = await boot({ dataDir: dataDir("storage:\n  driver: postgres\n  urlEnv: AIOS_TEST_UNSET_PG_URL\n"), logger: silentLogger, subsystems: lean }).catch((e: unknown) => e);
    expect(isAiosError(unset, "E_CONFIG")).toBe(true);
    expect((unset as Error).message).toContain("AIOS_TEST_UNSET_PG_URL");
  });
});
