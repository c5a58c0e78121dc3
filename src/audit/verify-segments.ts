/**
 * Verifying the segments behind the live log (segments.ts). The live log's first entry links the
 * seal of the segment before it; that segment's own first entry links the one before, and so on.
 * Walking back from the live log, each archived segment must be present, verify as a log on its own,
 * and end with exactly the seal the next segment links to — or be named by a "retired" entry
 * (retention; it deletes oldest first, so a retired segment covers every older one, whose own
 * retirement entries went with the segments that held them). A segment deleted without one,
 * replaced, or moved to another's place is a problem
 * of kind "segment"; problems inside a segment are reported with its number in the message.
 */
import { existsSync } from "node:fs";
import { auditPaths } from "./db.js";
import { checkpointSchema, type Checkpoint } from "./signing.js";
import { sealOf, segmentDir } from "./segments.js";
import type { AuditProblem, AuditVerifyResult } from "./verify-types.js";

export interface ScannedLog {
  readonly result: AuditVerifyResult;
  /** The seal of the previous segment, as the first entry links it (absent in segment 1). */
  readonly link: { readonly segment: number; readonly seal: Checkpoint } | undefined;
  /** Segments retired by this log's entries, with the seal each had. */
  readonly retired: ReadonlyMap<number, Checkpoint | undefined>;
  /** The segment number the database says it is. */
  readonly segment: number;
}

/** Collects the segment link and the retirements from a log's own "audit" entries. */
export class SegmentNotes {
  link: ScannedLog["link"];
  readonly retired = new Map<number, Checkpoint | undefined>();

  add(seq: number, data: unknown): void {
    const d = (data ?? {}) as Record<string, unknown>;
    if (d["event"] === "segment" && seq === 1) {
      const prev = (d["prev"] ?? {}) as Record<string, unknown>;
      const seal = checkpointSchema.safeParse(stripSegment(prev));
      if (seal.success && typeof prev["segment"] === "number") this.link = { segment: prev["segment"], seal: seal.data };
    } else if (d["event"] === "retired" && typeof d["segment"] === "number") {
      const seal = checkpointSchema.safeParse(d["seal"]);
      this.retired.set(d["segment"], seal.success ? seal.data : undefined);
    }
  }
}

function stripSegment(o: Record<string, unknown>): Record<string, unknown> {
  const { segment: _s, ...rest } = o;
  return rest;
}

const same = (a: Checkpoint, b: Checkpoint): boolean => a.size === b.size && a.chain === b.chain && a.root === b.root && a.sig === b.sig && a.keyId === b.keyId;

export function verifySegments<O extends { readonly dataDir: string; readonly head?: unknown }>(options: O, live: ScannedLog, scan: (o: O) => ScannedLog): AuditProblem[] {
  const out: AuditProblem[] = [];
  const paths = auditPaths(options.dataDir);
  const retired = new Map(live.retired);
  const problem = (message: string): void => void out.push({ seq: 1, kind: "segment", message });
  if (live.segment > 1 && live.link === undefined) problem(`the live log is segment ${live.segment} but its first entry links no previous segment (the link was removed)`);
  let expected = live.link?.seal;
  // Retention deletes oldest first: once a segment is known retired, every older one was too.
  let retiredBelow = false;
  if (live.link !== undefined && live.link.segment !== live.segment - 1) problem(`the live log (segment ${live.segment}) links segment ${live.link.segment}, not ${live.segment - 1}`);
  for (let n = live.segment - 1; n >= 1; n--) {
    const dir = segmentDir(paths, n);
    const name = `segment ${String(n).padStart(6, "0")}`;
    if (!existsSync(dir)) {
      if (retiredBelow) continue;
      if (!retired.has(n)) problem(`${name} is missing and no retirement entry names it: deleted`);
      else {
        retiredBelow = true;
        const r = retired.get(n);
        if (expected !== undefined && r !== undefined && !same(r, expected)) problem(`${name} was retired with a seal other than the one segment ${n + 1} links to`);
      }
      expected = undefined;
      continue;
    }
    const seal = sealOf(dir);
    if (expected !== undefined && (seal === undefined || !same(seal, expected))) {
      problem(`${name} does not end with the seal segment ${n + 1} links to: replaced, or moved from another place`);
    }
    const sub = scan({ ...options, dataDir: dir, head: undefined });
    for (const p of sub.result.problems) out.push({ ...p, message: `${name}: ${p.message}` });
    if (sub.segment !== n) problem(`${name} holds the database of segment ${sub.segment}: segments were reordered`);
    if (n > 1 && sub.link === undefined) problem(`${name} links no previous segment (its first entry was removed)`);
    for (const [k, v] of sub.retired) if (!retired.has(k)) retired.set(k, v);
    expected = sub.link?.seal;
  }
  return out;
}
