/**
 * Segments and retention (issue #17 item 2, ADR 0019). The live log is `audit.db` with its
 * checkpoint file; when it holds `segmentEntries` entries the writer seals it, moves it with its
 * checkpoint file and pinned key into `segments/NNNNNN/` (a complete log that verifies on its own)
 * and starts a new one whose first entry is a link:
 *
 *   { kind: "audit", data: { event: "segment", segment: n + 1, prev: <the seal of segment n> } }
 *
 * hashed into the new chain, so each segment's signed seal is named by a signed entry of the next
 * one: the heads chain across. Retention: at most `keepSegments` archived segments are kept; before
 * an older one is deleted, an entry `{ event: "retired", segment, seal }` is committed (durably)
 * in the live log. The verifier walks back from the live log: every archived segment must exist and
 * carry the seal the next one links to, or be named by a "retired" entry; a segment deleted,
 * replaced or moved to another's place is a problem.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import type { AuditPaths } from "./db.js";
import type { AuditContent } from "./entry.js";
import { checkpointSchema, type Checkpoint } from "./signing.js";

export interface SegmentPolicy {
  /** Entries in the live log that make it rotate. */
  readonly entries: number;
  /** Archived segments kept. */
  readonly keep: number;
}

export const SEGMENTS_DIR = "segments";

export function segmentDir(paths: AuditPaths, n: number): string {
  return join(dirname(paths.db), SEGMENTS_DIR, String(n).padStart(6, "0"));
}

/** Moves the closed live log (database, WAL, checkpoint file, a copy of the key) into its segment dir; returns the next number. */
export function archiveSegment(paths: AuditPaths, n: number): number {
  const dir = segmentDir(paths, n);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const suffix of ["", "-wal", "-shm"]) if (existsSync(paths.db + suffix)) renameSync(paths.db + suffix, join(dir, "audit.db" + suffix));
  if (existsSync(paths.checkpoints)) renameSync(paths.checkpoints, join(dir, "audit.checkpoints"));
  if (existsSync(paths.publicKey)) copyFileSync(paths.publicKey, join(dir, "audit.pub"));
  return n + 1;
}

/** The new segment's first entry: the previous segment's seal, linked into the new chain. */
export function linkContent(segment: number, seal: Checkpoint): { content: AuditContent; after?: () => void } {
  return { content: { kind: "audit", agent: null, data: { event: "segment", segment, prev: { segment: segment - 1, ...seal } } } };
}

/** Archived segment numbers present, oldest first. */
export function archivedSegments(paths: AuditPaths): number[] {
  const root = join(dirname(paths.db), SEGMENTS_DIR);
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((d) => /^\d{6}$/.test(d)).map(Number).sort((a, b) => a - b);
}

/** The seal a segment's checkpoint file ends with (undefined when it has none). */
export function sealOf(dir: string): Checkpoint | undefined {
  let lines: string[];
  try {
    lines = readFileSync(join(dir, "audit.checkpoints"), "utf8").trimEnd().split("\n");
  } catch {
    return undefined;
  }
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const cp = checkpointSchema.parse(JSON.parse(lines[i] ?? ""));
      if (cp.event === "seal") return cp;
    } catch {
      // a line that does not parse: the segment's own verification reports it
    }
  }
  return undefined;
}

/** Entries retiring the oldest segments beyond `keep`; each deletes its directory once committed. */
export function retirements(paths: AuditPaths, keep: number): { content: AuditContent; after: () => void }[] {
  const present = archivedSegments(paths);
  return present.slice(0, Math.max(0, present.length - keep)).map((n) => {
    const dir = segmentDir(paths, n);
    const seal = sealOf(dir);
    return {
      content: { kind: "audit", agent: null, data: { event: "retired", segment: n, reason: `retention: keep ${keep} segments`, ...(seal === undefined ? {} : { seal }) } },
      after: () => rmSync(dir, { recursive: true, force: true }),
    };
  });
}
