/**
 * Disk full, for real: the store lives on a 2 MiB tmpfs. Writes past the end are refused with
 * E_STORAGE_FULL, nothing of a refused batch is stored, and writing resumes once space returns —
 * with the commits on the store's writer thread, as in production.
 * Needs root to mount (CI has it).
 */
import { rmSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { AiosError} from "../../src/core/index.js";
import { isAiosError } from "../../src/core/index.js";
import { FileAckMark, Journal, SqliteDriver, type JournalRecord } from "../../src/store/index.js";
import { openJournal } from "./helpers.js";
import { useSmallDisk } from "./small-disk.js";

let open: Journal | undefined;
const disk = useSmallDisk("2m", async () => {
  await open?.close().catch(() => undefined);
});

const big = (i: number): JournalRecord => ({ t: "enqueue", id: `m${i}`, to: "a", payload: `${i}:`.padEnd(2000, "x") });

describe("disk full", () => {
  it("refuses with E_STORAGE_FULL, half-writes nothing, and resumes when space returns", async () => {
    const data = join(disk.path, "data");
    const filler = join(disk.path, "filler");
    writeFileSync(filler, Buffer.alloc(600 * 1024, 1));
    const driver = SqliteDriver.open(data);
    const journal = await Journal.open(driver, { ack: new FileAckMark(join(data, "journal.ack")), compactMinRows: Number.MAX_SAFE_INTEGER });
    open = journal;
    await journal.append({ t: "spawn", agent: "a", spec: { name: "a" }, status: "running", callSeq: 0 });
    // The refusals below come from the writer thread's commits (ADR 0037), not the inline start-up path.
    expect(await driver.whenThreaded()).toBe(true);

    let acked = 1;
    let refused: AiosError | undefined;
    for (let i = 0; i < 10_000 && refused === undefined; i++) {
      // Batches of 10: a refused batch must leave none of its 10 records behind.
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, k) => journal.append(big(i * 10 + k))));
      const ok = results.filter((r) => r.status === "fulfilled").length;
      if (ok === 10) acked += 10;
      else {
        expect(ok).toBe(0);
        const reason: unknown = (results[0] as PromiseRejectedResult).reason;
        expect(isAiosError(reason)).toBe(true);
        refused = reason as AiosError;
      }
    }
    expect(refused?.code).toBe("E_STORAGE_FULL");
    expect(refused?.retryable).toBe(true);
    expect(refused?.message).toContain("nothing was written");
    expect(journal.state.agents.get("a")?.mailbox.size).toBe(acked - 1);
    // Still full: still refused, still nothing stored.
    const again10 = await Promise.allSettled(Array.from({ length: 10 }, (_, k) => journal.append(big(900_000 + k))));
    expect(again10.every((r) => r.status === "rejected" && isAiosError(r.reason, "E_STORAGE_FULL"))).toBe(true);

    unlinkSync(filler);
    const seq = await journal.append(big(1_000_000));
    expect(seq).toBe(acked + 1); // the refused batches took no seq numbers
    await journal.close();

    const again = await openJournal(data);
    open = again.journal;
    expect(again.journal.recovery.loss).toBeUndefined();
    expect(again.journal.recovery.records).toBe(acked + 1);
    const mail = [...(again.journal.state.agents.get("a")?.mailbox.keys() ?? [])];
    expect(mail).toHaveLength(acked);
    expect(mail.at(-1)).toBe("m1000000");
    await again.journal.close();
    rmSync(data, { recursive: true, force: true });
  });
});
