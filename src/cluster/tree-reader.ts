/**
 * Reading a tree's journal back at a takeover (docs/adr/0033, 0045): every committed row of the
 * tree's stream, in seq order, parsed and checked. A compacted journal starts with a `snapshot` row
 * naming the records after it that make up the snapshot (the fold at compaction) and what the fold
 * does not hold; rows below a snapshot are deleted in its transaction, so a snapshot anywhere but at
 * the start, or a row that is not a journal record, is damage (E_CORRUPT naming the row).
 */
import { z } from "zod";
import { AiosError } from "../core/index.js";
import { JournalRecordSchema, type JournalRecord } from "../store/index.js";
import type { FencedJournal } from "./fenced-journal.js";

/** The snapshot row's body: what the fold does not hold but a takeover must know. */
const SnapshotSchema = z.object({
  /** Journal records following this row that make up the snapshot. */
  rows: z.number().int().min(0),
  /** Every agent of the tree, ended ones too (a letter to one is refused as on a full replay). */
  agents: z.array(z.string()),
  /** The tree's received replayable sends, oldest first (ClusterJournal.sent, duplicates on pull). */
  copies: z.array(z.string()),
});
export type SnapshotBody = z.infer<typeof SnapshotSchema>;

/** A tree's journal as read back: its records (`folded`: part of the snapshot), where it starts and goes on. */
export interface TreeRows {
  readonly recs: readonly { readonly rec: JournalRecord; readonly folded: boolean }[];
  readonly snapshot: SnapshotBody | undefined;
  /** The seq the next row takes. */
  readonly next: number;
  /** The first seq present (1, or the snapshot's row). */
  readonly base: number;
}

/** Rows read per statement. */
const PAGE = 2_000;

function parseJson(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

/** Reads every committed row of tree `key` (the caller's lease was committed first, so every acknowledged write is visible). */
export async function readTree(journal: FencedJournal, key: string): Promise<TreeRows> {
  const recs: { readonly rec: JournalRecord; readonly folded: boolean }[] = [];
  let snapshot: SnapshotBody | undefined;
  let base: number | undefined;
  let snapshotEnd = 0;
  let next = 1;
  for (;;) {
    const rows = await journal.read(key, next, PAGE);
    for (const row of rows) {
      const path = `cluster_journal.${key}.${row.seq}`;
      base ??= row.seq;
      next = row.seq + 1;
      if (row.kind === "snapshot") {
        const r = SnapshotSchema.safeParse(parseJson(row.body));
        if (row.seq !== base || !r.success) throw new AiosError("E_CORRUPT", `cluster journal of ${key}: row ${row.seq} is not a snapshot that starts the journal`, { details: { path } });
        snapshot = r.data;
        snapshotEnd = row.seq + r.data.rows;
        continue;
      }
      const r = JournalRecordSchema.safeParse(parseJson(row.body));
      if (!r.success) throw new AiosError("E_CORRUPT", `cluster journal of ${key}: row ${row.seq} is not a journal record`, { details: { path } });
      recs.push({ rec: r.data, folded: row.seq <= snapshotEnd });
    }
    if (rows.length < PAGE) break;
  }
  return { recs, snapshot, next, base: base ?? 1 };
}
