/**
 * The fenced per-agent journal (docs/adr/0028): every row carries the epoch of the lease its writer
 * holds, and PostgreSQL refuses it (trigger cluster_fence, same transaction) unless that epoch is
 * the lease's current one. There is no check-then-write here: the write *is* the check. A refused
 * append is E_CONFLICT with details.reason "fenced"; nothing of the batch is stored.
 *
 * An append resolves only after PostgreSQL committed it (the cluster's durability boundary), so what
 * the caller acknowledges is what the next owner reads back after taking the lease over.
 */
import { AiosError, toAiosError } from "../core/index.js";
import type { Lease } from "./leases.js";
import { inTransaction, int, naming, query, text, type SqlPool } from "./sql.js";

export interface JournalEntry {
  readonly seq: number;
  readonly epoch: number;
  readonly kind: string;
  readonly body: string;
}

export interface NewEntry {
  readonly kind: string;
  readonly body: string;
}

/** An agent's directory entry, written with its spawn (name) or transition record (docs/adr/0041). */
export interface DirectoryEntry {
  readonly agent: string;
  /** Its attested name (spawn records); absent: the name already recorded is kept. */
  readonly name?: string;
  /** Whether it has ended (a terminal status): an ended agent's name no longer resolves. */
  readonly ended: boolean;
  /** The terminal status it ended with (transition records). */
  readonly status?: string;
  /** A supervisor's child tree (spawn records, docs/adr/0048): its supervisor and child spec slot. */
  readonly supervisor?: string;
  readonly slot?: number;
}

/** Two entries of one agent in one batch, as one: the later's status, the earlier's name and link when the later has none. */
export function mergeEntry(prev: DirectoryEntry | undefined, d: DirectoryEntry): DirectoryEntry {
  if (prev === undefined) return d;
  const name = d.name ?? prev.name;
  const supervisor = d.supervisor ?? prev.supervisor;
  const slot = d.slot ?? prev.slot;
  return {
    ...d,
    ...(name === undefined ? {} : { name }),
    ...(supervisor === undefined || slot === undefined ? {} : { supervisor, slot }),
  };
}

/** Written in the same statement as the journal rows (docs/adr/0036). */
export interface AppendExtra {
  /** Agents entering or changing in the directory under this stream (one entry per agent). */
  readonly agents?: readonly DirectoryEntry[];
  /** cluster_mail rows moved into this batch (enqueue records): marked taken. */
  readonly taken?: readonly number[];
  /**
   * Recipients of local letters in this batch (docs/adr/0073): while cluster_mail holds a letter for
   * one of them, other than those `taken` here, nothing is written and the append resolves false.
   */
  readonly mailFirst?: readonly string[];
}

const INSERT = "INSERT INTO cluster_journal (cluster, agent, seq, epoch, kind, body) SELECT $1, $2, s, $3, k, b FROM unnest($4::bigint[], $5::text[], $6::text[]) AS t(s, k, b)";

/**
 * The journal rows with the directory entries and the moved letters' rows, in data-modifying CTEs: one
 * statement, one transaction; the fence on the journal rows decides for all. `w`: a letter still waits
 * in cluster_mail for a recipient of a local letter here (mailFirst), and then nothing is written.
 * The tree of a known agent never changes here; its name only with a new spawn record; its supervisor
 * link only when it is first entered (a child tree's `link` orders its slot's children).
 */
const WITH_EXTRA = `WITH w AS (SELECT EXISTS (SELECT 1 FROM cluster_mail WHERE cluster = $1 AND NOT taken AND agent = ANY($14::text[]) AND n <> ALL($8::bigint[])) AS waiting),
  j AS (${INSERT} WHERE NOT (SELECT waiting FROM w) RETURNING 1),
  d AS (INSERT INTO cluster_agents (cluster, agent, tree, name, ended, status, supervisor, slot, link)
          SELECT $1, a, $2, n, e, st, sv, sl, CASE WHEN sv IS NULL THEN NULL ELSE nextval('cluster_agents_link') END
          FROM unnest($7::text[], $9::text[], $10::boolean[], $11::text[], $12::text[], $13::int[]) AS t(a, n, e, st, sv, sl)
          WHERE NOT (SELECT waiting FROM w)
        ON CONFLICT (cluster, agent) DO UPDATE SET name = coalesce(EXCLUDED.name, cluster_agents.name), ended = EXCLUDED.ended, status = EXCLUDED.status RETURNING 1),
  m AS (UPDATE cluster_mail SET taken = true WHERE cluster = $1 AND n = ANY($8::bigint[]) AND NOT (SELECT waiting FROM w) RETURNING 1)
  SELECT (SELECT waiting FROM w) AS waiting, (SELECT count(*) FROM j) AS j, (SELECT count(*) FROM d) AS d, (SELECT count(*) FROM m) AS m`;

/** A unique-key refusal of rows fromSeq.. is the caller's seq bookkeeping (reason "seq"); else `e`. */
function seqConflict(e: unknown, lease: Pick<Lease, "agent" | "epoch">, fromSeq: number, n: number): AiosError {
  const err = toAiosError(e);
  if (err.code !== "E_STORAGE" || err.details["sqlstate"] !== "23505") return err;
  return new AiosError("E_CONFLICT", `journal of ${lease.agent}: seq ${fromSeq}..${fromSeq + n - 1} already written`, {
    cause: err.cause,
    retryable: false,
    details: { agent: lease.agent, epoch: lease.epoch, reason: "seq", path: "fromSeq" },
  });
}

export class FencedJournal {
  constructor(
    private readonly pool: SqlPool,
    readonly cluster: string,
  ) {}

  /**
   * Appends `entries` for `lease.agent` at seqs fromSeq, fromSeq+1, ... under `lease.epoch`, atomically.
   * E_CONFLICT (reason "fenced") when a newer epoch exists; E_CONFLICT (reason "seq") when a seq is
   * already taken (a caller that lost track of its own journal). Resolves true once committed; false
   * when nothing was written because a letter waits for a recipient in `extra.mailFirst`.
   */
  async append(lease: Pick<Lease, "agent" | "epoch">, fromSeq: number, entries: readonly NewEntry[], extra: AppendExtra = {}): Promise<boolean> {
    if (!Number.isSafeInteger(fromSeq) || fromSeq < 1) {
      throw new AiosError("E_INVALID_ARG", `fromSeq must be a positive integer, got ${fromSeq}`, { details: { path: "fromSeq" } });
    }
    if (entries.length === 0) return true;
    const seqs = entries.map((_, i) => fromSeq + i);
    const params: unknown[] = [this.cluster, lease.agent, lease.epoch, seqs, entries.map((e) => e.kind), entries.map((e) => e.body)];
    const agents = extra.agents ?? [];
    const taken = extra.taken ?? [];
    const first = extra.mailFirst ?? [];
    const plain = agents.length === 0 && taken.length === 0 && first.length === 0;
    if (!plain) {
      params.push(
        agents.map((a) => a.agent), taken, agents.map((a) => a.name ?? null), agents.map((a) => a.ended),
        agents.map((a) => a.status ?? null), agents.map((a) => a.supervisor ?? null), agents.map((a) => a.slot ?? null), first,
      );
    }
    try {
      // One statement is one transaction: all rows or none, and the fence runs inside it.
      const r = await query(this.pool, plain ? INSERT : WITH_EXTRA, params, `appending to the journal of ${lease.agent}`, { agent: lease.agent, epoch: lease.epoch });
      return r.rows[0]?.["waiting"] !== true;
    } catch (e) {
      throw seqConflict(e, lease, fromSeq, entries.length);
    }
  }

  /**
   * Compaction (docs/adr/0045): appends `snapshot` at `base`.. (its first entry the `snapshot` row)
   * under `lease.epoch`, moves the tree's base there and deletes the rows below it, in one
   * transaction. The fence refuses all of it for a stale epoch (E_CONFLICT, reason "fenced"): the
   * snapshot rows (cluster_fence) and the base (cluster_base_fence) are both checked in PostgreSQL.
   * Resolves with the number of rows deleted.
   */
  async compact(lease: Pick<Lease, "agent" | "epoch">, base: number, snapshot: readonly NewEntry[]): Promise<number> {
    if (snapshot[0]?.kind !== "snapshot") throw new AiosError("E_INVALID_ARG", "a compaction starts with its snapshot row", { details: { path: "snapshot" } });
    const what = `compacting the journal of ${lease.agent}`;
    const details = { agent: lease.agent, epoch: lease.epoch };
    try {
      return await naming(what, details, () =>
        inTransaction(this.pool, async (c) => {
          await c.query(INSERT, [this.cluster, lease.agent, lease.epoch, snapshot.map((_, i) => base + i), snapshot.map((e) => e.kind), snapshot.map((e) => e.body)]);
          await c.query(
            "INSERT INTO cluster_journal_base (cluster, agent, base, epoch) VALUES ($1, $2, $3, $4) ON CONFLICT (cluster, agent) DO UPDATE SET base = EXCLUDED.base, epoch = EXCLUDED.epoch",
            [this.cluster, lease.agent, base, lease.epoch],
          );
          const d = await c.query("DELETE FROM cluster_journal WHERE cluster = $1 AND agent = $2 AND seq < $3", [this.cluster, lease.agent, base]);
          return d.rowCount;
        }),
      );
    } catch (e) {
      throw seqConflict(e, lease, base, snapshot.length);
    }
  }

  /** Entries of `agent` with seq >= fromSeq, ascending, at most `limit`. */
  async read(agent: string, fromSeq = 1, limit = 10_000): Promise<JournalEntry[]> {
    const r = await query(
      this.pool,
      "SELECT seq, epoch, kind, body FROM cluster_journal WHERE cluster = $1 AND agent = $2 AND seq >= $3 ORDER BY seq LIMIT $4",
      [this.cluster, agent, fromSeq, limit],
      `reading the journal of ${agent}`,
      { agent },
    );
    return r.rows.map((row) => ({ seq: int(row, "seq"), epoch: int(row, "epoch"), kind: text(row, "kind"), body: text(row, "body") }));
  }

  /** The highest seq written for `agent` (0 when none): where the next activation continues. */
  async lastSeq(agent: string): Promise<number> {
    const r = await query(this.pool, "SELECT coalesce(max(seq), 0) AS last FROM cluster_journal WHERE cluster = $1 AND agent = $2", [this.cluster, agent], `reading the journal of ${agent}`, { agent });
    const row = r.rows[0];
    return row === undefined ? 0 : int(row, "last");
  }
}
