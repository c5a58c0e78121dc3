/** The PostgreSQL driver: the shared contract suite, plus what only a server-backed store has. */
import { describe, expect, it } from "vitest";
import { PG_MIGRATIONS, PgDriver } from "../../src/store/index.js";
import { driverContract } from "./driver-contract.js";
import { caught, journalRows, usePgStores } from "./pg-fixture.js";

const stores = usePgStores("driver");
const pg = stores.server;
const { db, fresh } = stores;

driverContract("postgres", async () => {
  const url = await db();
  const schema = pg().uniqueName("contract");
  return {
    open: async () => PgDriver.open({ url, schema }),
    dispose: async () => undefined, // the server and its directory go in afterAll
  };
});

const rows = (from: number, n: number) => journalRows(from, n, "quote ' backslash \\ brace {} comma , \u00e9");

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
