/**
 * Damage to the snapshot a crash leaves behind (ADR 0039): the journal compacted itself (its live
 * state rewritten as checkpoint records at journal.base), took a tail of records after it, and
 * stopped without compacting at close, as after kill -9. A bit flipped in one snapshot row is a
 * named loss — the open refuses with E_CORRUPT naming the seq and the agent the row concerned —
 * never a silent fall-back; accepting it keeps every other snapshot row and the whole tail.
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { isAiosError, type AiosError } from "../../src/core/index.js";
import { FileAckMark, Journal, SqliteDriver, type JournalOptions } from "../../src/store/index.js";
import { cleanupDirs, tempDir } from "./helpers.js";

afterEach(cleanupDirs);

const AGENTS = 20;
const open = (dir: string, o: JournalOptions = {}): Promise<Journal> =>
  Journal.open(SqliteDriver.open(dir, { writer: "inline" }), { ack: new FileAckMark(join(dir, "journal.ack")), compactOnClose: Infinity, ...o });

describe("a damaged snapshot after a crash", () => {
  it("refuses with the loss named, and accepting it keeps the rest of the snapshot and the tail", async () => {
    const dir = tempDir("aios-snapshot-");
    const journal = await open(dir, { compactMinRows: 60, compactRatio: 2 });
    for (let i = 0; i < AGENTS; i++) await journal.append({ t: "spawn", agent: `a${i}`, spec: { name: `a${i}` }, status: "running", callSeq: 0 });
    // Handled letters until an automatic compaction has written the snapshot, then a tail after it.
    let n = 0;
    const base = async (): Promise<number | null> => {
      const db = new Database(join(dir, "aios.db"), { readonly: true });
      const row = db.prepare<[], { first: number | null }>("SELECT min(seq) AS first FROM journal").get();
      db.close();
      return row?.first ?? null;
    };
    while ((await base()) === 1) {
      await journal.append({ t: "handled", agent: `a${n % AGENTS}`, checkpoint: n, callSeq: 0 });
      await journal.flush();
      n++;
    }
    for (let k = 0; k < 10; k++) await journal.append({ t: "enqueue", id: `tail${k}`, to: `a${k}`, payload: k });
    await journal.close();

    // Flip one character of agent a7's snapshot row, keeping its stored checksum.
    const db = new Database(join(dir, "aios.db"));
    const row = db.prepare<[], { seq: number; body: string }>(`SELECT seq, body FROM journal WHERE kind = 'checkpoint' AND body LIKE '%"agent":"a7"%'`).get();
    expect(row).toBeDefined();
    const seq = row?.seq ?? 0;
    db.prepare("UPDATE journal SET body = ? WHERE seq = ?").run((row?.body ?? "").replace('"checkpoint":', '"checkpoint" :'), seq);
    db.close();

    const driver = SqliteDriver.open(dir, { writer: "inline" });
    const refused = await Journal.open(driver, { ack: new FileAckMark(join(dir, "journal.ack")) }).catch((e: unknown) => e);
    await driver.close();
    expect(isAiosError(refused, "E_CORRUPT")).toBe(true);
    expect((refused as AiosError).details).toMatchObject({ fromSeq: seq, toSeq: seq, count: 1, agents: ["a7"] });

    const accepted = await open(dir, { onLoss: "accept" });
    expect(accepted.recovery.loss?.count).toBe(1);
    const agents = [...accepted.state.agents.keys()].sort();
    expect(agents).toEqual(Array.from({ length: AGENTS }, (_, i) => `a${i}`).filter((a) => a !== "a7").sort());
    for (let k = 0; k < 10; k++) if (k !== 7) expect([...(accepted.state.agents.get(`a${k}`)?.mailbox.keys() ?? [])]).toEqual([`tail${k}`]);
    await accepted.close();
  });
});
