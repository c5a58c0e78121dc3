/**
 * The packed aggregate entry (ADR 0034): the allowed calls of every agent in one interval, written
 * as one entry of kind "aggregate" per `rowsPerEntry` agents instead of one entry per agent. Its data,
 * keys in canonical order:
 *
 *   { batch, count, decision: "allowed", firstSeq, from, grants: [[syscall, by], ...], lastSeq,
 *     part, parts, rows: [[agent, grant, count, firstSeq, lastSeq, digest], ...], to }
 *
 * `batch` numbers the interval; `firstSeq..lastSeq` is the range of call numbers the whole batch
 * covers (every part of a batch carries the same range); `part` of `parts` places this entry in its
 * batch; `count` is the sum of this part's row counts; a row is one agent's calls under one grant
 * (`grant` indexes this part's `grants`, so a token shared by many agents is written once per part),
 * with its first and last call numbers and the digest of its targets (aggregate.ts). What the
 * verifier checks (verify-aggregates.ts): each row lies inside its batch's range and counts no more
 * calls than its range holds, the rows add up to the part's count, the parts come in order and
 * complete, their counts add up to the batch's range, and each batch starts where the one before
 * ended. The entry itself is a link of the hash chain, covered by the signed checkpoints.
 *
 * Entries written before ADR 0034 (one per agent: `{batch, by, count, decision, digest, firstSeq,
 * from, lastSeq, syscall, to}` with the agent in the entry) still verify; `agentView` turns a packed
 * entry's row into that shape, so an agent's history reads the same in both formats.
 */
import type { AuditEntry } from "./entry.js";
import type { EncodedContent } from "./encode.js";

/** [agent, index into grants, calls, first call number, last call number, digest of the targets]. */
export type PackedRow = readonly [agent: string, grant: number, count: number, firstSeq: number, lastSeq: number, digest: string];

export interface PackedData {
  readonly batch: number;
  readonly count: number;
  readonly decision: "allowed";
  readonly firstSeq: number;
  readonly from: number;
  readonly grants: readonly (readonly [syscall: string, by: string])[];
  readonly lastSeq: number;
  readonly part: number;
  readonly parts: number;
  readonly rows: readonly PackedRow[];
  readonly to: number;
}

/**
 * A grant rows can share: (syscall, by), with the slot it took in the entry being packed. The
 * aggregator interns one per distinct grant, so sharing is found by a field compare, not a look-up
 * of a long string key per row per interval (a tenth of the interval's cost for 10,000 agents).
 */
export class GrantRef {
  /** The packing pass that last gave this grant a slot, and the slot. */
  stamp = 0;
  slot = 0;

  constructor(
    readonly syscall: string,
    readonly by: string,
  ) {}
}

/** One tally's interval, as the aggregator hands it over. */
export interface RowInput {
  readonly agent: string;
  readonly syscall: string;
  readonly by: string;
  readonly count: number;
  readonly first: number;
  readonly last: number;
  readonly digest: string;
  /** `[<agent as JSON>,` — a long-lived tally makes it once (rowHead), not every interval. */
  readonly head?: string;
  /** The interned (syscall, by) — likewise; without it rows are grouped by their text. */
  readonly grant?: GrantRef;
}

export interface BatchHeader {
  readonly batch: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
  readonly from: number;
  readonly to: number;
}

/** Default rows per entry: about 120 KB of JSON, ten entries for 10,000 agents. */
export const ROWS_PER_ENTRY = 1000;

/** A row's opening as the packed text writes it (the reader's search needle for an agent). */
export function rowHead(agent: string): string {
  return `[${JSON.stringify(agent)},`;
}

/** Packing passes, process-wide: a GrantRef's stamp says whether it has a slot in the current one. */
let passes = 0;

/**
 * A packed entry as content for the log: its canonical text, and its data parsed from that text
 * when someone asks (the redaction fallback, a test) — so the two can never disagree.
 */
class PackedContent implements EncodedContent {
  readonly kind = "aggregate";
  readonly agent = null;
  private parsed: Record<string, unknown> | undefined;

  constructor(readonly dataJson: string) {}

  get data(): Record<string, unknown> {
    return (this.parsed ??= JSON.parse(this.dataJson) as Record<string, unknown>);
  }
}

/**
 * The entries of one batch, `perEntry` rows each (the last one fewer), written as their canonical
 * text in one pass: the keys in sorted order, rows and grants arrays of strings and integers, which
 * JSON.stringify writes as canonical JSON does (tests/security/audit-packed.property.test.ts).
 */
export function packBatch(h: BatchHeader, rows: readonly RowInput[], perEntry: number = ROWS_PER_ENTRY): EncodedContent[] {
  const parts = Math.max(1, Math.ceil(rows.length / perEntry));
  const out: EncodedContent[] = [];
  const byText = new Map<string, GrantRef>();
  for (let part = 0; part < parts; part++) {
    const pass = ++passes;
    const grants: [string, string][] = [];
    let text = "";
    let count = 0;
    const end = Math.min(rows.length, (part + 1) * perEntry);
    for (let i = part * perEntry; i < end; i++) {
      const r = rows[i] as RowInput;
      let ref = r.grant;
      if (ref === undefined) {
        const key = r.syscall + "\n" + r.by;
        ref = byText.get(key) ?? new GrantRef(r.syscall, r.by);
        byText.set(key, ref);
      }
      if (ref.stamp !== pass) {
        ref.stamp = pass;
        ref.slot = grants.length;
        grants.push([ref.syscall, ref.by]);
      }
      text += (text === "" ? "" : ",") + (r.head ?? rowHead(r.agent)) + ref.slot + "," + r.count + "," + r.first + "," + r.last + "," + JSON.stringify(r.digest) + "]";
      count += r.count;
    }
    out.push(new PackedContent(`{"batch":${h.batch},"count":${count},"decision":"allowed","firstSeq":${h.firstSeq},"from":${h.from},"grants":${JSON.stringify(grants)},"lastSeq":${h.lastSeq},"part":${part},"parts":${parts},"rows":[${text}],"to":${h.to}}`));
  }
  return out;
}

/** True for the data of a packed entry (an entry of the older per-agent form has no `rows`). */
export function isPacked(data: unknown): boolean {
  return typeof data === "object" && data !== null && Array.isArray((data as { rows?: unknown }).rows);
}

/** The packed data checked for shape, or a sentence saying what is wrong with it. */
export function parsePacked(data: unknown): PackedData | string {
  const d = data as Record<string, unknown>;
  for (const k of ["batch", "count", "firstSeq", "lastSeq", "part", "parts", "from", "to"]) {
    if (!isInt(d[k])) return `its ${k} is not an integer`;
  }
  const h = d as unknown as PackedData;
  if (d["decision"] !== "allowed") return "its decision is not \"allowed\"";
  if (h.parts < 1 || h.part < 0 || h.part >= h.parts) return `it is part ${h.part} of ${h.parts}`;
  if (h.firstSeq < 1 || h.firstSeq > h.lastSeq) return `its call range ${h.firstSeq}..${h.lastSeq} is empty`;
  const grants = d["grants"];
  if (!Array.isArray(grants) || !grants.every((g) => Array.isArray(g) && g.length === 2 && typeof g[0] === "string" && typeof g[1] === "string")) return "its grants are not [syscall, by] pairs";
  const rows = d["rows"] as unknown[];
  if (rows.length === 0) return "it has no rows";
  let sum = 0;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!Array.isArray(r) || r.length !== 6 || typeof r[0] !== "string" || !isInt(r[1]) || !isInt(r[2]) || !isInt(r[3]) || !isInt(r[4]) || typeof r[5] !== "string") return `row ${i} is not [agent, grant, count, firstSeq, lastSeq, digest]`;
    const [agent, g, count, first, last] = r as unknown as PackedRow;
    if (g < 0 || g >= grants.length) return `row ${i} (${agent}) names grant ${g} of ${grants.length}`;
    if (count < 1 || first > last || count > last - first + 1) return `row ${i} (${agent}) counts ${count} calls in ${first}..${last}`;
    if (first < h.firstSeq || last > h.lastSeq) return `row ${i} (${agent}) covers calls ${first}..${last}, outside its batch's ${h.firstSeq}..${h.lastSeq} (a row moved from another interval)`;
    sum += count;
  }
  if (sum !== h.count) return `its rows count ${sum} calls but the entry says ${h.count} (a row removed or a count edited)`;
  return h;
}

/**
 * An agent's rows of a packed entry, each in the per-agent shape (the older entry form), at the
 * packed entry's seq and time: what an agent's audit history shows.
 */
export function agentView(seq: number, ts: number, data: PackedData, agent: string): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (const [a, g, count, firstSeq, lastSeq, digest] of data.rows) {
    if (a !== agent) continue;
    const [syscall, by] = data.grants[g] ?? ["?", "?"];
    out.push({
      v: 1, seq, ts, kind: "aggregate", agent,
      data: { batch: data.batch, by, count, decision: "allowed", digest, firstSeq, from: data.from, lastSeq, part: data.part, syscall, to: data.to },
    });
  }
  return out;
}

/** One line saying what a packed entry holds (the dashboard's audit table), or undefined for other data. */
export function packedSummary(data: unknown): string | undefined {
  if (!isPacked(data)) return undefined;
  const d = parsePacked(data);
  if (typeof d === "string") return `packed aggregate that does not add up: ${d}`;
  const agents = new Set(d.rows.map((r) => r[0])).size;
  return `batch ${d.batch}, part ${d.part + 1} of ${d.parts}: ${d.count} allowed calls by ${agents} agent${agents === 1 ? "" : "s"} (calls ${d.firstSeq}..${d.lastSeq} in the batch)`;
}

function isInt(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v);
}
