/**
 * verifyAudit: reads the whole log as stored and says whether it is the log that was written.
 * One pass over the entries recomputes every leaf hash, the chain and the Merkle tree head, checks
 * each entry against its position, its columns and its stored hash, and compares the recomputed
 * chain hash and root with every validly signed checkpoint at its size. Then the checkpoints are
 * checked against the end of the log (truncation) and against the interval they are due at.
 *
 * What it finds: edited entries (content, columns), deleted entries (a gap), reordered entries
 * (an entry at another's position), a truncated tail (a signed checkpoint names more entries than
 * remain), a truncated or edited checkpoint file, a wrong key. It names the first bad entry.
 * Since issue 15 item 8 it also finds: entries appended after the log was sealed at close (no
 * "open" checkpoint at the seal's size), a log no checkpoint covers, metadata (the interval) that
 * disagrees with the interval the checkpoints signed, and — given a head pinned outside the data
 * dir (`head`) — a tail cut past the last checkpoint with the seal dropped, and history rewritten
 * and re-signed with the log's own key (stolen from the key store).
 * Trust: with `publicKey` or `head` nothing is read from the data dir as a trust root; without, the
 * key comes from audit.pub beside the log and the result says `pinned: false`.
 * What it cannot find without a pinned head: a tail cut back to a genuine checkpoint with every
 * later checkpoint removed (it reads as a writer that crashed there), and which of two adjacent
 * entries was edited when an attacker also rewrote the first one's stored hash.
 */
import { readFileSync, existsSync } from "node:fs";
import { AiosError } from "../core/index.js";
import { auditPaths, getMeta, openForVerify, type Db } from "./db.js";
import { auditEntrySchema } from "./entry.js";
import { AggregateAccounting } from "./verify-aggregates.js";
import { SegmentNotes, verifySegments, type ScannedLog } from "./verify-segments.js";
import { chainHash, GENESIS, leafHash } from "./hashing.js";
import { MerkleAccumulator } from "./merkle.js";
import { toVerifier, type Checkpoint, type CheckpointVerifier, type VerifierInput } from "./signing.js";
import { auditCheckpoints } from "./verify-checkpoints.js";
import { parseHead, readCheckpointFile } from "./checkpoint-file.js";
import { auditStoreError } from "./store-errors.js";
import type { AuditProblem, AuditVerifyResult } from "./verify-types.js";

export interface AuditVerifyOptions {
  readonly dataDir: string;
  /** The trusted key(s): KeyObject, SPKI PEM (one or more), a list, or a verifier. Default: audit.pub. */
  readonly publicKey?: VerifierInput;
  readonly maxProblems?: number;
  /** A signed head kept outside the data dir (a Checkpoint, or the JSON `headPath` holds). */
  readonly head?: Checkpoint | string;
}

export function verifyAudit(options: AuditVerifyOptions): AuditVerifyResult {
  try {
    const live = verifyFiles(options);
    // The segments behind the live log (segments.ts): each verified as a log, linked by its seal.
    const extra = verifySegments(options, live, (o) => verifyFiles(o));
    if (extra.length === 0) return live.result;
    const r = live.result;
    const problems = [...r.problems, ...extra].slice(0, Math.max(1, Math.trunc(options.maxProblems ?? 100)));
    return { ...r, ok: false, problems, problemCount: r.problemCount + extra.length, firstBad: r.firstBad ?? extra[0] ?? null };
  } catch (e) {
    // A file SQLite cannot read at all (header, schema, checkpoint table): an error naming it.
    if (e instanceof AiosError) throw e;
    throw auditStoreError(e, auditPaths(options.dataDir).db, "verifying the audit log");
  }
}

function verifyFiles(options: AuditVerifyOptions): ScannedLog {
  const paths = auditPaths(options.dataDir);
  const verifier = resolveVerifier(options.publicKey, paths.publicKey);
  const head = typeof options.head === "string" ? parseHead(options.head, "head") : options.head;
  const maxProblems = Math.max(1, Math.trunc(options.maxProblems ?? 100));
  const { db, missing } = openForVerify(paths);
  try {
    const file = readCheckpointFile(paths.checkpoints);
    // One read transaction (a WAL snapshot), begun after the file read: see auditCheckpoints.
    db.exec("BEGIN");
    const cps = auditCheckpoints(db, file, verifier, head === undefined ? undefined : { head, checkSignature: options.publicKey !== undefined });
    // The interval the checkpoints signed; the metadata row only for logs older than that field.
    const metaEvery = Number(getMeta(db, "checkpointEvery") ?? "0");
    const signedEvery = cps.valid.find((c) => c.every !== undefined)?.every;
    const every = signedEvery ?? metaEvery;
    const rowProblems: AuditProblem[] = [];
    let rowProblemCount = 0;
    const report = (p: AuditProblem): void => {
      rowProblemCount++;
      if (rowProblems.length < maxProblems) rowProblems.push(p);
    };
    const cpProblems: AuditProblem[] = [...cps.problems];
    if (missing !== undefined) cpProblems.push({ seq: 1, kind: "truncated", message: missing });
    const acc = new MerkleAccumulator();
    const aggregates = new AggregateAccounting(report);
    const notes = new SegmentNotes();
    let chain = GENESIS;
    let storedPrev = GENESIS;
    let inSync = true;
    let inSyncBreak = false;
    let pos = 0;
    let entries = 0;
    let nextCp = 0;
    let rangeStart = 1;
    const damaged = (after: number, e: unknown): void => {
      const err = auditStoreError(e, paths.db, "reading the audit entries");
      report({ seq: Math.max(1, after + 1), kind: "edited", message: `the entries after seq ${Math.max(0, after)} cannot be read (${err.code}: ${err.message})` });
    };
    for (const [seq, ts, kind, agent, body, hash] of pagedRows(db, damaged)) {
      entries++;
      if (typeof seq !== "number" || typeof body !== "string" || !Buffer.isBuffer(hash) || typeof ts !== "number" || typeof kind !== "string") {
        // A damaged page can hand back a column of another type; hashing it would throw.
        report({ seq: typeof seq === "number" ? seq : pos + 1, kind: "edited", message: `entry ${typeof seq === "number" ? seq : pos + 1}: a stored column has the wrong type (damaged row)` });
        if (typeof seq === "number") pos = Math.max(pos, seq);
        inSyncBreak = true;
        continue;
      }
      if (seq < 1) {
        // Rows come in ascending seq, so this can only precede entry 1: a row the writer never made.
        report({ seq: 1, kind: "edited", message: `a row with seq ${seq} was inserted (the log starts at seq 1)` });
        continue;
      }
      const gap = seq > pos + 1;
      if (gap) report({ seq: pos + 1, kind: "deleted", message: seq === pos + 2 ? `entry ${pos + 1} was deleted` : `entries ${pos + 1}..${seq - 1} were deleted` });
      pos = seq;
      const leaf = leafHash(body);
      acc.push(leaf);
      // After a gap the chain link is broken by the deletion already reported, not by this entry.
      const problem = checkRow(seq, ts, kind, agent, body, hash, gap ? null : storedPrev, leaf);
      if (problem !== null) report(problem);
      else if (kind === "aggregate") aggregates.add(seq, (JSON.parse(body) as { data?: unknown }).data);
      else if (kind === "audit") notes.add(seq, (JSON.parse(body) as { data?: unknown }).data);
      // The recomputed chain: while it agrees with the stored one and the row checked out, the
      // stored hash *is* SHA-256(chain || leaf), so one hash per entry serves both checks.
      inSync = inSync && problem === null && !gap && !inSyncBreak;
      chain = inSync ? hash : chainHash(chain, leaf);
      storedPrev = hash;
      // Compare every signed checkpoint due at this position with what the entries recompute to.
      for (let cp = cps.trusted[nextCp]; cp !== undefined && cp.size <= pos; cp = cps.trusted[++nextCp]) {
        if (cp.size !== pos || acc.size !== pos || cp.chain !== chain.toString("hex") || cp.root !== acc.root().toString("hex")) {
          const inRange = rowProblems.find((p) => p.seq >= rangeStart && p.seq <= cp.size);
          cpProblems.push({
            seq: inRange?.seq ?? rangeStart,
            kind: "checkpoint-mismatch",
            message: `the entries ${rangeStart}..${cp.size} do not match the checkpoint signed over them (chain or Merkle root differ)` + (inRange === undefined ? "; an entry in that range was rewritten along with the stored hashes after it" : ""),
          });
        }
        rangeStart = cp.size + 1;
      }
    }
    aggregates.close();
    const lastSigned = cps.trusted.reduce((m, c) => Math.max(m, c.size), 0);
    if (signedEvery !== undefined && metaEvery !== signedEvery) {
      cpProblems.push({ seq: 1, kind: "metadata", message: `the metadata says a checkpoint every ${metaEvery} entries, the checkpoints signed ${signedEvery} (metadata edited)` });
    }
    cpProblems.push(...sealProblems(cps.valid, pos));
    if (pos > 0 && cps.trusted.length === 0) {
      cpProblems.push({ seq: 1, kind: "unsigned", message: `no trusted checkpoint covers any of the ${pos} entries (a writer signs one at its first flush): checkpoints deleted, or signed by another key` });
    }
    if (lastSigned > pos) {
      cpProblems.push({ seq: pos + 1, kind: "truncated", message: `the log ends at seq ${pos}, but a signed checkpoint covers ${lastSigned} entries: entries ${pos + 1}..${lastSigned} were deleted` });
    }
    if (every > 0) {
      for (let s = every; s <= pos; s += every) {
        // A due checkpoint in neither copy; one only in the database was reported above.
        if (!cps.fileSizes.has(s) && !cps.dbSizes.has(s)) cpProblems.push({ seq: s - every + 1, kind: "checkpoint-file", message: `no checkpoint at size ${s} in the checkpoint file (one is due every ${every} entries)` });
      }
    }
    if (cps.missingFromFile.size > 0) {
      // A live writer appends a checkpoint line just after committing its row; by now it is there.
      const again = new Set(readCheckpointFile(paths.checkpoints).checkpoints.map((c) => c.size));
      for (const [size, p] of cps.missingFromFile) if (!again.has(size)) cpProblems.push(p);
    }
    const all = dedupe([...rowProblems, ...cpProblems]).sort((a, b) => a.seq - b.seq);
    const problemCount = rowProblemCount + (all.length - rowProblems.length);
    const result: AuditVerifyResult = {
      ok: problemCount === 0,
      entries,
      lastSeq: pos,
      head: { size: acc.size, root: acc.root() },
      checkpoints: { total: cps.total, verified: cps.verified, lastSignedSize: lastSigned },
      keyId: verifier.keyId ?? null,
      pinned: options.publicKey !== undefined || head !== undefined,
      wrongKey: cps.wrongKey,
      firstBad: all[0] ?? null,
      problems: all.slice(0, maxProblems),
      problemCount,
    };
    return { result, link: notes.link, retired: notes.retired, segment: Number(getMeta(db, "segment") ?? "1") };
  } finally {
    db.close();
  }
}

type Row = [seq: number, ts: number, kind: string, agent: string | null, body: string, hash: Buffer];

/**
 * Rows in seq order, a page per query: one native call per page is cheaper than one per row. A page
 * SQLite cannot read ends the scan with `onDamage` (reported as a problem, never thrown).
 */
function* pagedRows(db: Db, onDamage: (after: number, e: unknown) => void): Generator<Row> {
  const page = db.prepare("SELECT seq, ts, kind, agent, body, hash FROM audit_entries WHERE seq > ? ORDER BY seq LIMIT 4096").raw();
  let after = Number.MIN_SAFE_INTEGER;
  for (;;) {
    let rows: Row[];
    try {
      rows = page.all(after) as Row[];
    } catch (e) {
      onDamage(after, e);
      return;
    }
    yield* rows;
    const last = rows[rows.length - 1];
    if (last === undefined || rows.length < 4096) return;
    after = last[0];
  }
}

function checkRow(seq: number, ts: number, kind: string, agent: string | null, body: string, hash: Buffer, storedPrev: Buffer | null, leaf: Buffer): AuditProblem | null {
  // Fast path (the 1M-entries-in-10-s budget): the writer's bodies start and end with exactly these
  // bytes, so matching them checks the columns and the seq without parsing; a body that matches
  // and hashes right is byte-for-byte what was written. Anything else is parsed to say what is wrong.
  const intact =
    Buffer.isBuffer(hash) &&
    body.startsWith(agentPrefix(agent)) &&
    body.endsWith(`},"kind":"${kind}","seq":${seq},"ts":${ts},"v":1}`) &&
    (storedPrev === null || chainHash(storedPrev, leaf).equals(hash));
  return intact ? null : diagnose(seq, ts, kind, agent, body, storedPrev !== null);
}

// Agents repeat across entries; building each one's body prefix once saves a stringify per row.
const prefixes = new Map<string | null, string>();
function agentPrefix(agent: string | null): string {
  let p = prefixes.get(agent);
  if (p === undefined) {
    p = `{"agent":${JSON.stringify(agent)},"data":`;
    if (prefixes.size > 10_000) prefixes.clear();
    prefixes.set(agent, p);
  }
  return p;
}

function diagnose(seq: number, ts: number, kind: string, agent: string | null, body: string, linkChecked: boolean): AuditProblem {
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return { seq, kind: "edited", message: `entry ${seq}: its body is not JSON` };
  }
  const parsed = auditEntrySchema.safeParse(raw);
  if (!parsed.success) return { seq, kind: "edited", message: `entry ${seq}: its body is not a valid entry (${parsed.error.issues[0]?.path.join(".") ?? "?"})` };
  const e = parsed.data;
  if (e.seq !== seq) return { seq, kind: "reordered", message: `position ${seq} holds the entry written as seq ${e.seq}` };
  if (e.ts !== ts) return { seq, kind: "edited", message: `entry ${seq}: its ts column was changed (the hashed body says ${e.ts})` };
  if (e.kind !== kind) return { seq, kind: "edited", message: `entry ${seq}: its kind column was changed (the hashed body says ${e.kind})` };
  if (e.agent !== agent) return { seq, kind: "edited", message: `entry ${seq}: its agent column was changed (the hashed body says ${String(e.agent)})` };
  if (!linkChecked) return { seq, kind: "edited", message: `entry ${seq}: its body is not in the canonical form the log writes` };
  return { seq, kind: "edited", message: `entry ${seq}: its content does not match its chain hash (this entry was edited, or the previous one was rewritten together with its hash)` };
}

function resolveVerifier(given: AuditVerifyOptions["publicKey"], pinnedPath: string): CheckpointVerifier {
  if (given !== undefined) return toVerifier(given);
  if (!existsSync(pinnedPath)) throw new AiosError("E_CONFIG", `no public key given and none pinned at ${pinnedPath}`, { details: { path: "publicKey" } });
  return toVerifier(readFileSync(pinnedPath, "utf8"));
}

/**
 * A "seal" at size S is the writer's last word before it closed; the next writer starts with an
 * "open" at S. Entries past S with no "open" at S were written by someone without the key.
 */
function sealProblems(valid: readonly Checkpoint[], end: number): AuditProblem[] {
  const opened = new Set(valid.filter((c) => c.event === "open").map((c) => c.size));
  const sealed = new Set(valid.filter((c) => c.event === "seal").map((c) => c.size));
  const out: AuditProblem[] = [];
  for (const s of sealed) {
    if (end > s && !opened.has(s)) out.push({ seq: s + 1, kind: "appended", message: `entries ${s + 1}..${end} follow the checkpoint that sealed the log at close (size ${s}) with no signed reopening: appended without the key` });
  }
  return out;
}

function dedupe(ps: AuditProblem[]): AuditProblem[] {
  const seen = new Set<string>();
  return ps.filter((p) => {
    const k = `${p.seq}|${p.kind}|${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
