/**
 * The StorageDriver contract as a reusable suite: every driver (SQLite today, PostgreSQL later) runs
 * exactly these tests through `driverContract(name, factory)`.
 */
import { afterEach, describe, expect, it } from "vitest";
import { isAiosError } from "../../src/core/index.js";
import { toRow, type DriverFactory, type DriverHarness, type JournalRow, type StorageDriver } from "../../src/store/index.js";

function rows(from: number, n: number, kind = "enqueue"): JournalRow[] {
  return Array.from({ length: n }, (_, i) => toRow(from + i, { t: "enqueue", id: `m${from + i}`, to: "a", payload: { kind, i } }));
}

export function driverContract(name: string, factory: DriverFactory): void {
  describe(`StorageDriver contract: ${name}`, () => {
    let harness: DriverHarness | undefined;
    let open: StorageDriver[] = [];
    const start = async (): Promise<StorageDriver> => {
      harness ??= await factory();
      const d = await harness.open();
      open.push(d);
      return d;
    };
    afterEach(async () => {
      for (const d of open) await d.close();
      open = [];
      await harness?.dispose();
      harness = undefined;
    });

    it("starts empty, reports a schema version and round-trips rows exactly", async () => {
      const d = await start();
      expect(d.schemaVersion).toBeGreaterThanOrEqual(1);
      expect(await d.bounds()).toEqual({ first: null, last: null, count: 0 });
      const written = rows(1, 10);
      await d.write({ append: written });
      expect(await d.read(1, 100)).toEqual(written);
      expect(await d.read(4, 3)).toEqual(written.slice(3, 6));
      expect(await d.bounds()).toEqual({ first: 1, last: 10, count: 10 });
    });

    it("round-trips a large batch (several multi-row chunks plus a remainder) exactly, and fails it whole", async () => {
      const d = await start();
      const written = rows(1, 257);
      await d.write({ append: written });
      expect(await d.read(1, 1000)).toEqual(written);
      // A duplicate in the second chunk fails the batch: none of its 300 rows is kept.
      const bad = [...rows(258, 150), ...rows(100, 1), ...rows(408, 149)];
      await expect(d.write({ append: bad })).rejects.toSatisfy((e) => isAiosError(e));
      expect(await d.bounds()).toEqual({ first: 1, last: 257, count: 257 });
    });

    it("keeps rows and meta across close and reopen", async () => {
      const d = await start();
      await d.write({ append: rows(1, 5), meta: { "journal.high": "5", other: "x" } });
      await d.close();
      open = open.filter((x) => x !== d);
      const again = await start();
      expect((await again.read(1, 10)).map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(await again.getMeta("journal.high")).toBe("5");
      expect(await again.getMeta("missing")).toBeUndefined();
    });

    it("writes a batch atomically: a failing batch leaves nothing behind", async () => {
      const d = await start();
      await d.write({ append: rows(1, 3) });
      // seq 3 already exists: the whole batch, including the new rows before it and the meta, must fail.
      const bad = [...rows(4, 2), ...rows(3, 1)];
      await expect(d.write({ append: bad, meta: { k: "v" } })).rejects.toSatisfy((e) => isAiosError(e));
      expect((await d.bounds()).count).toBe(3);
      expect(await d.getMeta("k")).toBeUndefined();
      await d.write({ append: rows(4, 2) });
      expect((await d.bounds()).last).toBe(5);
    });

    it("deletes below a seq and updates meta in the same write (compaction)", async () => {
      const d = await start();
      await d.write({ append: rows(1, 10) });
      await d.write({ append: rows(11, 2), deleteBelow: 11, meta: { "journal.base": "11" } });
      expect(await d.bounds()).toEqual({ first: 11, last: 12, count: 2 });
      expect(await d.getMeta("journal.base")).toBe("11");
      expect((await d.read(1, 100)).map((r) => r.seq)).toEqual([11, 12]);
    });

    it("replaceAll swaps in exactly the given rows and meta and keeps working after it", async () => {
      const d = await start();
      await d.write({ append: rows(1, 20), meta: { "journal.base": "1" } });
      await d.replaceAll(rows(30, 3), { "journal.base": "30" }, `${d.location}.aside-test`);
      expect(await d.bounds()).toEqual({ first: 30, last: 32, count: 3 });
      expect(await d.getMeta("journal.base")).toBe("30");
      await d.write({ append: rows(33, 1) });
      expect((await d.bounds()).last).toBe(33);
    });
  });
}
