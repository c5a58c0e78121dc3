/**
 * Reopening a log: the writer's state (last seq, chain hash, Merkle accumulator) comes back from
 * SQLite, and the checkpoint file is brought level with audit_checkpoints (a crash between the
 * batch commit and the file append leaves the file one batch behind; the database rows carry
 * valid signatures, so re-appending them hides nothing).
 *
 * Refuses (E_CORRUPT) to reopen a database that is behind its checkpoint file: appending would mint
 * a second, conflicting history for sequence numbers already signed. Run `aios audit verify`.
 */
import { AiosError } from "../core/index.js";
import { checkpointSchema, type Checkpoint } from "./signing.js";
import { CheckpointFile, readCheckpointFile } from "./checkpoint-file.js";
import { getMeta, type Db } from "./db.js";
import { GENESIS, leafHash } from "./hashing.js";
import { MerkleAccumulator } from "./merkle.js";

export interface WriterState {
  readonly seq: number;
  readonly chain: Buffer;
  readonly acc: MerkleAccumulator;
}

export function loadState(db: Db): WriterState {
  const last = db.prepare("SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1").raw().get() as [number, Buffer] | undefined;
  if (last === undefined) return { seq: 0, chain: GENESIS, acc: new MerkleAccumulator() };
  const [seq, chain] = last;
  const stored = getMeta(db, "merkle");
  let acc = stored === undefined ? null : MerkleAccumulator.deserialize(stored);
  if (acc === null || acc.size !== seq) {
    // Missing or stale accumulator (should not happen: it is saved in the batch's transaction).
    acc = new MerkleAccumulator();
    for (const body of db.prepare("SELECT body FROM audit_entries ORDER BY seq").pluck().iterate()) acc.push(leafHash(String(body)));
    if (acc.size !== seq) throw new AiosError("E_CORRUPT", `audit database has ${acc.size} entries but its last seq is ${seq}; run aios audit verify`);
  }
  return { seq, chain, acc };
}

export function reconcileCheckpointFile(db: Db, path: string, seq: number): Checkpoint | null {
  const read = readCheckpointFile(path);
  const fileMax = read.checkpoints.reduce((m, c) => Math.max(m, c.size), 0);
  if (fileMax > seq) {
    throw new AiosError("E_CORRUPT", `the audit checkpoint file signs ${fileMax} entries but the database holds ${seq}; entries were deleted — run aios audit verify`);
  }
  const rows = db.prepare("SELECT size, line FROM audit_checkpoints ORDER BY size").raw().all() as [number, string][];
  const missing = rows.filter(([size]) => size > fileMax).map(([size, line]) => storedCheckpoint(size, line));
  if (missing.length > 0) {
    const f = new CheckpointFile(path);
    try {
      f.append(missing);
    } finally {
      f.close();
    }
  }
  const lastRow = rows[rows.length - 1];
  return lastRow === undefined ? null : storedCheckpoint(lastRow[0], lastRow[1]);
}

/** A checkpoint row read back; a row that no longer parses is E_CORRUPT naming it, never a SyntaxError. */
function storedCheckpoint(size: number, line: string): Checkpoint {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new AiosError("E_CORRUPT", `the stored audit checkpoint at size ${size} is not JSON (damaged); run aios audit verify`, { details: { size } });
  }
  const r = checkpointSchema.safeParse(raw);
  if (!r.success) throw new AiosError("E_CORRUPT", `the stored audit checkpoint at size ${size} is not a checkpoint (${r.error.issues[0]?.path.join(".") ?? "?"}); run aios audit verify`, { details: { size } });
  return r.data;
}
