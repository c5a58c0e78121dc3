/**
 * Where A2A tasks live: `<dataDir>/a2a.db`, a WAL SQLite file opened like every durable store here
 * (synchronous=FULL: an event the server announced survives a power loss). Three tables:
 * - a2a_tasks: one row per task with the folded task, its owner (the authenticated principal), the
 *   agent serving it, the last event's seq and `turn`, the user message the agent still owes an
 *   answer to (null once answered), so a restart knows which tasks to hand back to their agent;
 * - a2a_events: the per-task event log (seq 0 = the task as created), the cursor SubscribeToTask
 *   resumes from (fold.ts);
 * - a2a_push: push notification configs, with the owner's capabilities at creation (delivery acts as
 *   the owner, through the door, after a restart too).
 * Appending an event and updating the folded row is one transaction: no reader sees one without the other.
 */
import type Database from "better-sqlite3";
import { AiosError } from "../../core/index.js";
import { openWalDb } from "../../store/index.js";
import { fold, type TaskEvent } from "./fold.js";
import { TERMINAL, type ArtifactUpdate, type Message, type StatusUpdate, type StoredPushConfig, type Task, type TaskState } from "./wire.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS a2a_tasks (
  id TEXT PRIMARY KEY, agent TEXT NOT NULL, owner TEXT NOT NULL, context_id TEXT NOT NULL, state TEXT NOT NULL,
  updated_at INTEGER NOT NULL, seq INTEGER NOT NULL, task TEXT NOT NULL, turn TEXT, trace TEXT, caps TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS a2a_tasks_by_time ON a2a_tasks (owner, updated_at DESC, id DESC);
CREATE TABLE IF NOT EXISTS a2a_events (task_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (task_id, seq)) STRICT;
CREATE TABLE IF NOT EXISTS a2a_push (
  task_id TEXT NOT NULL, id TEXT NOT NULL, owner TEXT NOT NULL, config TEXT NOT NULL, caps TEXT NOT NULL, created INTEGER NOT NULL,
  PRIMARY KEY (task_id, id)
) STRICT;
`;

export interface TaskRow {
  readonly id: string;
  readonly agent: string;
  readonly owner: string;
  readonly state: TaskState;
  readonly updatedAt: number;
  readonly seq: number;
  readonly task: Task;
  /** The user message the agent has not answered yet, if any. */
  readonly turn: Message | undefined;
  /** The W3C traceparent the task was created under, if the client sent one. */
  readonly trace: string | undefined;
  /** The owner's capabilities when it created the task: a turn handed back after a restart acts with them. */
  readonly capabilities: readonly string[];
}

interface RawTask {
  id: string;
  agent: string;
  owner: string;
  state: string;
  updated_at: number;
  seq: number;
  task: string;
  turn: string | null;
  trace: string | null;
  caps: string;
}

export interface ListQuery {
  readonly owner: string;
  readonly agent?: string;
  readonly contextId?: string;
  readonly state?: TaskState;
  readonly after?: number;
  readonly limit: number;
  /** Keyset cursor: rows strictly older than (updatedAt, id). */
  readonly before?: { readonly updatedAt: number; readonly id: string };
}

export interface PushRow {
  readonly config: StoredPushConfig;
  readonly owner: string;
  readonly capabilities: readonly string[];
}

export class TaskStore {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = openWalDb(path, { schema: SCHEMA, what: "A2A task store" });
  }

  close(): void {
    this.db.close();
  }

  create(task: Task, o: { agent: string; owner: string; capabilities: readonly string[]; now: number; turn: Message; trace?: string | undefined }): TaskRow {
    this.db.transaction(() => {
      this.db
        .prepare("INSERT INTO a2a_tasks (id, agent, owner, context_id, state, updated_at, seq, task, turn, trace, caps) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)")
        .run(task.id, o.agent, o.owner, task.contextId, task.status.state, o.now, JSON.stringify(task), JSON.stringify(o.turn), o.trace ?? null, JSON.stringify(o.capabilities));
      this.db.prepare("INSERT INTO a2a_events (task_id, seq, kind, body) VALUES (?, 0, 'task', ?)").run(task.id, JSON.stringify(task));
    })();
    return { id: task.id, agent: o.agent, owner: o.owner, state: task.status.state, updatedAt: o.now, seq: 0, task, turn: o.turn, trace: o.trace, capabilities: o.capabilities };
  }

  get(id: string): TaskRow | undefined {
    const r = this.db.prepare("SELECT * FROM a2a_tasks WHERE id = ?").get(id) as RawTask | undefined;
    return r === undefined ? undefined : toRow(r);
  }

  /**
   * Appends one event and refolds the task, unless the task is already terminal (a late answer to
   * a canceled task changes nothing): then undefined. `turn` sets (a message) or clears (null) the
   * pending turn in the same transaction; undefined leaves it.
   */
  append(id: string, ev: Exclude<TaskEvent, { kind: "task" }>, now: number, turn?: Message | null): { seq: number; row: TaskRow } | undefined {
    return this.db.transaction(() => {
      const cur = this.get(id);
      if (cur === undefined) throw new AiosError("E_NOT_FOUND", `no A2A task ${id}`, { details: { taskId: id } });
      if (TERMINAL.has(cur.state)) return undefined;
      const task = fold(cur.task, ev);
      const seq = cur.seq + 1;
      this.db.prepare("INSERT INTO a2a_events (task_id, seq, kind, body) VALUES (?, ?, ?, ?)").run(id, seq, ev.kind, JSON.stringify(ev.body));
      const turnSql = turn === undefined ? "" : ", turn = ?";
      const args: unknown[] = [task.status.state, now, seq, JSON.stringify(task)];
      if (turn !== undefined) args.push(turn === null ? null : JSON.stringify(turn));
      args.push(id);
      this.db.prepare(`UPDATE a2a_tasks SET state = ?, updated_at = ?, seq = ?, task = ?${turnSql} WHERE id = ?`).run(...args);
      return { seq, row: { ...cur, state: task.status.state, updatedAt: now, seq, task, ...(turn === undefined ? {} : { turn: turn ?? undefined }) } };
    })();
  }

  /** Events with seq > after, ascending, at most `limit`. */
  eventsAfter(id: string, after: number, limit = 1000): { seq: number; ev: TaskEvent }[] {
    const rows = this.db.prepare("SELECT seq, kind, body FROM a2a_events WHERE task_id = ? AND seq > ? ORDER BY seq LIMIT ?").all(id, after, limit) as { seq: number; kind: string; body: string }[];
    return rows.map((r) => ({ seq: r.seq, ev: toEvent(r.kind, r.body) }));
  }

  /** The task as it was right after event `seq` (the fold of events 0..seq). */
  snapshotAt(id: string, seq: number): Task | undefined {
    const rows = this.db.prepare("SELECT kind, body FROM a2a_events WHERE task_id = ? AND seq <= ? ORDER BY seq").all(id, seq) as { kind: string; body: string }[];
    let task: Task | undefined;
    for (const r of rows) {
      const ev = toEvent(r.kind, r.body);
      task = ev.kind === "task" ? ev.body : task === undefined ? undefined : fold(task, ev);
    }
    return task;
  }

  list(q: ListQuery): { rows: TaskRow[]; total: number } {
    const where = ["owner = ?"];
    const args: unknown[] = [q.owner];
    const add = (sql: string, v: unknown): void => {
      where.push(sql);
      args.push(v);
    };
    if (q.agent !== undefined) add("agent = ?", q.agent);
    if (q.contextId !== undefined) add("context_id = ?", q.contextId);
    if (q.state !== undefined) add("state = ?", q.state);
    if (q.after !== undefined) add("updated_at > ?", q.after);
    const base = where.join(" AND ");
    const total = (this.db.prepare(`SELECT count(*) AS n FROM a2a_tasks WHERE ${base}`).get(...args) as { n: number }).n;
    const page = q.before === undefined ? base : `${base} AND (updated_at < ? OR (updated_at = ? AND id < ?))`;
    const pageArgs = q.before === undefined ? args : [...args, q.before.updatedAt, q.before.updatedAt, q.before.id];
    const rows = this.db.prepare(`SELECT * FROM a2a_tasks WHERE ${page} ORDER BY updated_at DESC, id DESC LIMIT ?`).all(...pageArgs, q.limit) as RawTask[];
    return { rows: rows.map(toRow), total };
  }

  /** Tasks whose agent still owes an answer (a restart hands them back). */
  pendingTurns(): TaskRow[] {
    return (this.db.prepare("SELECT * FROM a2a_tasks WHERE turn IS NOT NULL ORDER BY updated_at").all() as RawTask[]).map(toRow).filter((r) => !TERMINAL.has(r.state));
  }

  putPush(c: StoredPushConfig, owner: string, capabilities: readonly string[], now: number): void {
    this.db
      .prepare("INSERT INTO a2a_push (task_id, id, owner, config, caps, created) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (task_id, id) DO UPDATE SET config = excluded.config, caps = excluded.caps")
      .run(c.taskId, c.id, owner, JSON.stringify(c), JSON.stringify(capabilities), now);
  }

  getPush(taskId: string, id: string): PushRow | undefined {
    const r = this.db.prepare("SELECT owner, config, caps FROM a2a_push WHERE task_id = ? AND id = ?").get(taskId, id) as { owner: string; config: string; caps: string } | undefined;
    return r === undefined ? undefined : { owner: r.owner, config: JSON.parse(r.config) as StoredPushConfig, capabilities: JSON.parse(r.caps) as string[] };
  }

  listPush(taskId: string): PushRow[] {
    const rows = this.db.prepare("SELECT owner, config, caps FROM a2a_push WHERE task_id = ? ORDER BY created, id").all(taskId) as { owner: string; config: string; caps: string }[];
    return rows.map((r) => ({ owner: r.owner, config: JSON.parse(r.config) as StoredPushConfig, capabilities: JSON.parse(r.caps) as string[] }));
  }

  deletePush(taskId: string, id: string): boolean {
    return this.db.prepare("DELETE FROM a2a_push WHERE task_id = ? AND id = ?").run(taskId, id).changes > 0;
  }
}

/** A stored event: the kind column names the body's type (written only by append/create above). */
function toEvent(kind: string, body: string): TaskEvent {
  const b = JSON.parse(body) as unknown;
  switch (kind) {
    case "task":
      return { kind, body: b as Task };
    case "status":
      return { kind, body: b as StatusUpdate };
    case "artifact":
      return { kind, body: b as ArtifactUpdate };
    case "user":
      return { kind, body: b as Message };
    default:
      throw new AiosError("E_CORRUPT", `A2A task store: an event of unknown kind "${kind}"`, { details: { kind } });
  }
}

function toRow(r: RawTask): TaskRow {
  return {
    id: r.id,
    agent: r.agent,
    owner: r.owner,
    state: r.state as TaskState,
    updatedAt: r.updated_at,
    seq: r.seq,
    task: JSON.parse(r.task) as Task,
    turn: r.turn === null ? undefined : (JSON.parse(r.turn) as Message),
    trace: r.trace ?? undefined,
    capabilities: JSON.parse(r.caps) as string[],
  };
}
