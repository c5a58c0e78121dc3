/** The PostgreSQL driver: the shared contract suite, plus what only a server-backed store has. */
import { describe, expect, it } from "vitest";
import { AiosError } from "../../src/core/index.js";
import { PG_MIGRATIONS, PgDriver, toRow, type JournalRow } from "../../src/store/index.js";
import { usePostgres } from "../helpers/postgres.js";
import { driverContract } from "./driver-contract.js";

const pg = usePostgres();
let shared: string | undefined;
/** One database for the file; each test's store is a schema of its own in it. */
async function db(): Promise<string> {
  shared ??= await pg().createDatabase("driver");
  return shared;
}

driverContract("postgres", async () => {
  const url = await db();
  const schema = pg().uniqueName("contract");
  return {
    open: async () => PgDriver.open({ url, schema }),
    dispose: async () => undefined, // the server and its directory go in afterAll
  };
});

function rows(from: number, n: number): JournalRow[] {
  return Array.from({ length: n }, (_, i) => toRow(from + i, { t: "enqueue", id: `m${from + i}`, to: "a", payload: { i, text: "quote ' backslash \\ brace {} comma , \u00e9" } }));
}

/** A store of the test's own: a fresh schema in the file's database. */
async function fresh(): Promise<{ url: string; schema: string }> {
  return { url: await db(), schema: pg().uniqueName("s") };
}

async function caught(p: Promise<unknown>): Promise<AiosError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AiosError) return e;
    throw e;
  }
  throw new Error("expected an AiosError");
}

describe("PgDriver", () => {
  it("commits with synchronous_commit=on on a server with fsync on", async () => {
    const d = await PgDriver.open(await fresh());
    expect(await d.settings()).toEqual({ synchronous_commit: "on", fsync: "on" });
    await d.close();
  });

  it("refuses a second opener of the same schema, naming the holder, and admits it after close", async () => {
    const { url, schema } = await fresh();
    const a = await PgDriver.open({ url, schema, applicationName: "aios test-holder" });
    const e = await caught(PgDriver.open({ url, schema }));
    expect(e.code).toBe("E_CONFLICT");
    expect(e.message).toContain("aios test-holder");
    // Another schema in the same database is another store.
    const other = await PgDriver.open({ url, schema: pg().uniqueName("node_b") });
    await other.write({ append: rows(1, 1) });
    expect((await a.bounds()).count).toBe(0);
    await other.close();
    await a.close();
    const b = await PgDriver.open({ url, schema });
    await b.close();
  });

  it("refuses a schema written by a newer build, naming both versions", async () => {
    const store = await fresh();
    const newer = [...PG_MIGRATIONS, { version: 99, description: "future", sql: "CREATE TABLE future (x int)" }];
    const d = await PgDriver.open({ ...store, migrations: newer });
    expect(d.schemaVersion).toBe(99);
    await d.close();
    const e = await caught(PgDriver.open(store));
    expect(e.code).toBe("E_SCHEMA_VERSION");
    expect(e.details).toMatchObject({ found: 99, supported: PG_MIGRATIONS.length });
  });

  it("migrates once when several openers race (cluster nodes booting at once)", async () => {
    const url = await pg().createDatabase("race");
    const opened = await Promise.all(["s1", "s2", "s3"].map((schema) => PgDriver.open({ url, schema })));
    for (const d of opened) expect(d.schemaVersion).toBe(PG_MIGRATIONS.length);
    await Promise.all(opened.map((d) => d.close()));
  });

  it("sets a replaced journal aside as tables it never reads, and records where", async () => {
    const store = await fresh();
    const d = await PgDriver.open(store);
    await d.write({ append: rows(1, 5), meta: { a: "1" } });
    await d.replaceAll(rows(10, 2), { a: "2" }, "damaged-1");
    const r = await pg().query(`SELECT 1`); // the admin pool still works
    expect(r.rowCount).toBe(1);
    await d.close();
    const again = await PgDriver.open(store);
    expect((await again.read(1, 100)).map((x) => x.seq)).toEqual([10, 11]);
    expect(await again.getMeta("a")).toBe("2");
    await again.close();
    const { Client } = (await import("pg")).default;
    const c = new Client({ connectionString: store.url });
    await c.connect();
    const aside = await c.query<{ journal_table: string; aside: string }>(`SELECT journal_table, aside FROM ${store.schema}.store_asides`);
    expect(aside.rows).toEqual([{ journal_table: "journal_aside_1", aside: "damaged-1" }]);
    const kept = await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${store.schema}.journal_aside_1`);
    expect(Number(kept.rows[0]?.n)).toBe(5);
    await c.end();
  });
});
