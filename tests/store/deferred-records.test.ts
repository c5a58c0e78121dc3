/**
 * Deferred records (ADR 0075): a record committed with `commitDeferred` is encoded when its batch is
 * written, never when a later record of the batch supersedes it; one JSON cannot hold is reported to
 * its caller and left out, and the rest of its batch is stored as if it had never been appended.
 */
import { afterEach, describe, expect, it } from "vitest";
import { isAiosError } from "../../src/core/index.js";
import { join } from "node:path";
import { FileAckMark, type AckMark, type JournalRecord, type WriteBatch, type WriteOptions } from "../../src/store/index.js";
import { cleanupDirs, openJournal, tempDir } from "./helpers.js";

afterEach(cleanupDirs);

const spawn = (agent: string): JournalRecord => ({ t: "spawn", agent, spec: { name: agent }, status: "running", callSeq: 0 });
const result = (agent: string, callSeq: number, value: unknown): JournalRecord => ({ t: "result", agent, callSeq, result: value });
const handled = (agent: string, callSeq: number): JournalRecord => ({ t: "handled", agent, callSeq, checkpoint: { at: callSeq } });

/** A value that counts how often it is encoded. */
function counted(value: unknown): { readonly value: { toJSON(): unknown }; readonly encodings: () => number } {
  let n = 0;
  return {
    value: {
      toJSON: () => {
        n++;
        return value;
      },
    },
    encodings: () => n,
  };
}

const never = (e: unknown): never => {
  throw new Error(`reported as unencodable: ${String(e)}`);
};

describe("deferred journal records", () => {
  it("a deferred result a later handled record of its batch folds is never encoded nor stored", async () => {
    const { journal } = await openJournal(tempDir());
    await journal.append(spawn("a"));
    const before = journal.storedRows();
    const answer = counted({ text: "hi" });
    await Promise.all([journal.commitDeferred(result("a", 1, answer.value), never), journal.commit(handled("a", 1))]);
    expect(answer.encodings()).toBe(0);
    expect(journal.storedRows()).toBe(before + 1); // the handled record alone
    await journal.close();
  });

  it("a deferred result its batch keeps is encoded once, when the batch is written, and reads back after a reopen", async () => {
    const dir = tempDir();
    const { journal } = await openJournal(dir, { compactOnClose: Infinity });
    await journal.append(spawn("a"));
    const answer = counted({ text: "kept" });
    const done = journal.commitDeferred(result("a", 1, answer.value), never);
    expect(answer.encodings()).toBe(0); // appended, not encoded
    await done;
    expect(answer.encodings()).toBe(1);
    expect(journal.state.lookup("a", 1)).toMatchObject({ found: true });
    await journal.close();
    const again = await openJournal(dir);
    expect(again.journal.state.lookup("a", 1)).toEqual({ found: true, result: { text: "kept" } });
    await again.journal.close();
  });

  it("a deferred result JSON cannot hold is reported to its caller and left out; its batch is stored under dense seqs", async () => {
    const dir = tempDir();
    const { journal } = await openJournal(dir, { compactOnClose: Infinity });
    await journal.append(spawn("a"));
    const start = journal.storedRows();
    const reported: unknown[] = [];
    const [, , seq] = await Promise.all([
      journal.commitDeferred(result("a", 1, { big: 10n }), (e) => reported.push(e)),
      journal.commitDeferred(result("a", 2, { fine: true }), never),
      journal.append(result("a", 3, "awaited")),
    ]);
    expect(reported).toHaveLength(1);
    expect(isAiosError(reported[0], "E_INVALID_ARG")).toBe(true);
    expect((reported[0] as Error).message).toMatch(/journal record result is not JSON-serialisable/);
    // Two rows: the bad one took no seq, so the awaited append's is the row right after the other.
    expect(journal.storedRows()).toBe(start + 2);
    expect(seq).toBe(start + 2);
    await journal.close();
    const again = await openJournal(dir);
    const s = again.journal.state;
    expect(s.lookup("a", 1)).toEqual({ found: false, inFlight: false });
    expect(s.lookup("a", 2)).toEqual({ found: true, result: { fine: true } });
    expect(s.lookup("a", 3)).toEqual({ found: true, result: "awaited" });
    await again.journal.close();
  });

  it("a failed batch rejects a deferred record's promise and never reports it as unencodable", async () => {
    const { journal, driver } = await openJournal(tempDir());
    await journal.append(spawn("a"));
    const write = driver.write.bind(driver);
    let fail = true;
    driver.write = async (b: WriteBatch, o?: WriteOptions): Promise<void> => {
      if (fail) {
        fail = false;
        throw new Error("disk said no");
      }
      return write(b, o);
    };
    const reported: unknown[] = [];
    const err = await journal.commitDeferred(result("a", 1, { v: 1 }), (e) => reported.push(e)).catch((e: unknown) => e);
    expect(String(err)).toMatch(/disk said no/);
    expect(reported).toEqual([]);
    // The journal goes on: the next batch is written.
    await journal.commitDeferred(result("a", 2, { v: 2 }), never);
    expect(journal.state.lookup("a", 2)).toEqual({ found: true, result: { v: 2 } });
    await journal.close();
  });

  it("a batch refused before its rows are made (the mark cannot be corrected) never reports a deferred record as unencodable", async () => {
    const dir = tempDir();
    const file = new FileAckMark(join(dir, "journal.ack"));
    let markFails = false;
    const ack: AckMark = {
      location: file.location,
      read: () => file.read(),
      write: (p) => {
        if (markFails) throw new Error("mark said no");
        file.write(p);
      },
      writeAsync: (p) => file.writeAsync(p),
      close: () => file.close(),
    };
    const { journal, driver } = await openJournal(dir, { ack });
    await journal.append(spawn("a"));
    const write = driver.write.bind(driver);
    let diskFails = true;
    driver.write = async (b: WriteBatch, o?: WriteOptions): Promise<void> => {
      if (diskFails) throw new Error("disk said no");
      return write(b, o);
    };
    // The refused batch leaves the mark to correct before the next one; its correction fails.
    await expect(journal.commit(result("a", 1, 1))).rejects.toThrow(/disk said no/);
    diskFails = false;
    markFails = true;
    const reported: unknown[] = [];
    await expect(journal.commitDeferred(result("a", 2, { v: 2 }), (e) => reported.push(e))).rejects.toThrow(/mark said no/);
    expect(reported).toEqual([]);
    markFails = false;
    await journal.close();
  });

  it("a closed journal refuses a deferred record", async () => {
    const { journal } = await openJournal(tempDir());
    await journal.close();
    await expect(journal.commitDeferred(result("a", 1, 1), never)).rejects.toSatisfy((e) => isAiosError(e, "E_SHUTDOWN"));
  });
});
