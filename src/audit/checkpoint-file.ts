/**
 * The checkpoint file beside the database (`audit.checkpoints`): one signed checkpoint per line,
 * appended and fsynced after the entries it covers are committed. It is the witness outside SQLite,
 * so deleting the tail of the database (entries and their checkpoint rows together) still leaves
 * signed tree heads that name more entries than remain.
 *
 * Invariant: lines only ever get appended; sizes never decrease (an "open" or "seal" checkpoint may
 * repeat the size of the one before it).
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { AiosError } from "../core/index.js";
import { checkpointSchema, type Checkpoint } from "./signing.js";

export interface CheckpointFileRead {
  readonly checkpoints: Checkpoint[];
  /** Lines that did not parse, by 1-based line number (a torn last line or an edit). */
  readonly bad: { line: number; problem: string }[];
  readonly exists: boolean;
}

export function readCheckpointFile(path: string): CheckpointFileRead {
  if (!existsSync(path)) return { checkpoints: [], bad: [], exists: false };
  const text = readFileSync(path, "utf8");
  const lines = text.split("\n");
  const checkpoints: Checkpoint[] = [];
  const bad: { line: number; problem: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    // The text after the last newline is empty for a well-formed file; anything else was torn or cut.
    if (l === "" && i === lines.length - 1) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(l);
    } catch {
      bad.push({ line: i + 1, problem: i === lines.length - 1 ? "the last line is incomplete (file cut short)" : "the line is not JSON" });
      continue;
    }
    const parsed = checkpointSchema.safeParse(raw);
    if (!parsed.success) {
      bad.push({ line: i + 1, problem: `not a checkpoint: ${parsed.error.issues[0]?.path.join(".") ?? "?"} ${parsed.error.issues[0]?.message ?? ""}` });
      continue;
    }
    checkpoints.push(parsed.data);
  }
  return { checkpoints, bad, exists: true };
}

export class CheckpointFile {
  private fd: number | null;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, "a", 0o600);
    } catch (e) {
      throw new AiosError("E_STORAGE", `cannot open the audit checkpoint file ${path}`, { cause: e });
    }
  }

  append(cps: readonly Checkpoint[]): void {
    if (cps.length === 0) return;
    if (this.fd === null) throw new AiosError("E_SHUTDOWN", "the audit checkpoint file is closed");
    const text = cps.map((c) => JSON.stringify(c) + "\n").join("");
    writeSync(this.fd, text);
    // fsync: a checkpoint is only a witness if it survives a crash of the machine.
    fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Replaces the head file with one checkpoint, atomically: a reader sees the old head or the new one. */
export function writeHeadFile(path: string, cp: Checkpoint): void {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, "w", 0o600);
  try {
    writeSync(fd, JSON.stringify(cp) + "\n");
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

/** A pinned head: one checkpoint as JSON (what `writeHeadFile` writes). */
export function parseHead(text: string, origin: string): Checkpoint {
  let raw: unknown;
  try {
    raw = JSON.parse(text.trim());
  } catch (e) {
    throw new AiosError("E_INVALID_ARG", `${origin}: the pinned head is not JSON`, { cause: e, details: { path: "head" } });
  }
  const parsed = checkpointSchema.safeParse(raw);
  if (!parsed.success) throw new AiosError("E_INVALID_ARG", `${origin}: not a signed checkpoint (${parsed.error.issues[0]?.path.join(".") ?? "?"})`, { details: { path: "head" } });
  return parsed.data;
}
