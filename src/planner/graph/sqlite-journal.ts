/**
 * The plan journal on SQLite (better-sqlite3): one append-only table of JSON records plus a table of
 * versions whose primary key (plan, version) backs the compare-and-set even across processes.
 * WAL + synchronous=FULL: NORMAL may roll back an acknowledged commit on power loss, and an
 * acknowledged task result must never run twice after a crash. Each append (or batch: the executor's group commit) is one transaction;
 * `appendVersion` reads the head and inserts inside one IMMEDIATE transaction (the CAS).
 */
import type Database from "better-sqlite3";
import { openWalDb } from "../../store/index.js";
import { AiosError } from "../../core/index.js";
import { conflict, type EndRecord, type PlanJournal, type PlanRecord, type TaskRecord, type VersionRecord } from "./journal.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS plan_versions (
  plan_id TEXT NOT NULL, version INTEGER NOT NULL, parent INTEGER,
  PRIMARY KEY (plan_id, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS plan_records (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, plan_id TEXT NOT NULL, type TEXT NOT NULL, body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS plan_records_plan ON plan_records (plan_id, seq);
CREATE TABLE IF NOT EXISTS plan_open (plan_id TEXT PRIMARY KEY) WITHOUT ROWID;
`;

export class SqlitePlanJournal implements PlanJournal {
  private readonly db: Database.Database;
  private readonly insertRecord: Database.Statement<[string, string, string]>;
  private readonly casVersion: (rec: VersionRecord) => void;
  private readonly appendTx: (recs: readonly (TaskRecord | EndRecord)[]) => void;

  constructor(readonly path: string) {
    this.db = openWalDb(path, { schema: SCHEMA, what: "plan journal" });
    this.insertRecord = this.db.prepare("INSERT INTO plan_records (plan_id, type, body) VALUES (?, ?, ?)");
    const head = this.db.prepare<[string], { h: number | null }>("SELECT MAX(version) AS h FROM plan_versions WHERE plan_id = ?");
    const insertVersion = this.db.prepare<[string, number, number | null]>("INSERT INTO plan_versions (plan_id, version, parent) VALUES (?, ?, ?)");
    const open = this.db.prepare<[string]>("INSERT OR IGNORE INTO plan_open (plan_id) VALUES (?)");
    const close = this.db.prepare<[string]>("DELETE FROM plan_open WHERE plan_id = ?");
    const known = this.db.prepare<[string], { n: number }>("SELECT COUNT(*) AS n FROM plan_versions WHERE plan_id = ?");
    const cas = this.db.transaction((rec: VersionRecord) => {
      const h = head.get(rec.planId)?.h ?? 0;
      if (h !== rec.version - 1) throw conflict(rec.planId, rec.version - 1, h);
      insertVersion.run(rec.planId, rec.version, rec.parent);
      this.insertRecord.run(rec.planId, rec.type, JSON.stringify(rec));
      open.run(rec.planId);
    });
    this.casVersion = (rec) => cas.immediate(rec);
    const app = this.db.transaction((recs: readonly (TaskRecord | EndRecord)[]) => {
      for (const rec of recs) {
        if ((known.get(rec.planId)?.n ?? 0) === 0) throw new AiosError("E_NOT_FOUND", `plan ${rec.planId}: no such plan`, { details: { path: "planId" } });
        this.insertRecord.run(rec.planId, rec.type, JSON.stringify(rec));
        if (rec.type === "end") close.run(rec.planId);
      }
    });
    this.appendTx = (recs) => app.immediate(recs);
  }

  appendVersion(rec: VersionRecord): void {
    this.guard(() => this.casVersion(rec));
  }

  append(rec: TaskRecord | EndRecord): void {
    this.guard(() => this.appendTx([rec]));
  }

  appendBatch(recs: readonly (TaskRecord | EndRecord)[]): void {
    if (recs.length > 0) this.guard(() => this.appendTx(recs));
  }

  load(planId: string): readonly PlanRecord[] {
    const rows = this.db.prepare<[string], { body: string }>("SELECT body FROM plan_records WHERE plan_id = ? ORDER BY seq").all(planId);
    return rows.map((r) => JSON.parse(r.body) as PlanRecord);
  }

  openPlans(): readonly string[] {
    return this.db.prepare<[], { plan_id: string }>("SELECT plan_id FROM plan_open ORDER BY plan_id").all().map((r) => r.plan_id);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (e instanceof AiosError) throw e;
      const code = (e as { code?: string }).code;
      if (code === "SQLITE_CONSTRAINT_PRIMARYKEY") throw new AiosError("E_CONFLICT", `plan journal: a concurrent writer committed that version first`, { cause: e, details: { path: "expectedVersion" } });
      if (code === "SQLITE_FULL") throw new AiosError("E_STORAGE_FULL", "plan journal: the disk is full", { cause: e });
      throw new AiosError("E_STORAGE", `plan journal: ${(e as Error).message}`, { cause: e });
    }
  }
}
