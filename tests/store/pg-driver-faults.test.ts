/** The PostgreSQL driver under server faults: a crash, a restart, a lost lock session. */
import { describe, expect, it } from "vitest";
import { PgDriver } from "../../src/store/index.js";
import { caught, journalRows as rows, usePgStores } from "./pg-fixture.js";

const stores = usePgStores("faults");
const pg = stores.server;
const { fresh } = stores;

describe("PgDriver under faults", () => {
  it("keeps acknowledged writes across a server crash (kill -9 of every backend)", async () => {
    const store = await fresh();
    const d = await PgDriver.open(store);
    await d.write({ append: rows(1, 300), meta: { "journal.high": "300" } });
    await pg().kill();
    await pg().start();
    await d.close();
    const again = await PgDriver.open(store);
    expect((await again.bounds()).count).toBe(300);
    expect(await again.read(1, 1000)).toEqual(rows(1, 300));
    expect(await again.getMeta("journal.high")).toBe("300");
    await again.close();
  });

  it("survives the server restarting under an open driver: no crash, an error, then writes again", async () => {
    const d = await PgDriver.open(await fresh());
    await d.write({ append: rows(1, 2) });
    await pg().stop();
    const e = await caught(d.write({ append: rows(3, 1) }));
    expect(e.code).toBe("E_STORAGE");
    expect(e.retryable).toBe(true);
    await pg().start();
    // The lock was lost with its connection; nobody else opened the store, so the driver retakes it.
    await d.write({ append: rows(3, 1) });
    expect(await d.read(1, 10)).toEqual([...rows(1, 2), ...rows(3, 1)]);
    await d.close();
  });

  it("refuses to write on after another process held the store while its lock was lost", async () => {
    const store = await fresh();
    const d = await PgDriver.open({ ...store, applicationName: "aios victim" });
    await d.write({ append: rows(1, 2) });
    // End the driver's sessions from outside (as a network drop would), then let another open it.
    await pg().query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'aios victim'");
    // pg_terminate_backend only signals: wait until the sessions are gone (and their lock with them).
    for (let i = 0; i < 500; i++) {
      const left = await pg().query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'aios victim'");
      if (left.rows[0]?.n === 0) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    const other = await PgDriver.open({ ...store, applicationName: "aios intruder" });
    await other.write({ append: rows(3, 1) });
    await other.close();
    const e = await caught(d.write({ append: rows(3, 1) }));
    expect(e.code).toBe("E_CONFLICT");
    expect(e.message).toContain("owner epoch");
    await d.close();
  });

});
