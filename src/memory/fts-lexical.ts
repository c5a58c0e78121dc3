/**
 * The BM25 read over the memory store's FTS5 table, shared by the in-process path
 * (sqlite-storage.ts) and the lexical worker thread (lexical-thread.ts), so both run the same
 * statements and the same term plan (lexical-plan.ts) and return the same (rowid, score) lists.
 * Invariant: user text never reaches FTS5's query syntax — each term is quoted.
 */
import type Database from "better-sqlite3";
import { CommonTerms, type CommonTermOptions } from "./lexical-plan.js";

export interface LexicalRow {
  readonly rowid: number;
  readonly score: number;
}

/** The query's terms (letters, digits, underscore; at most 64), as the plan sees them. */
export function lexicalTerms(query: string): string[] {
  return (query.match(/[\p{L}\p{N}_]+/gu) ?? []).slice(0, 64);
}

export class FtsLexical {
  private readonly common: CommonTerms;
  private readonly bm25: Database.Statement;

  constructor(db: Database.Database, o: CommonTermOptions = {}) {
    // Counts up to a cap (LIMIT -1: all): the lexical planner only needs to know "at least this many".
    const termCount = db.prepare(`SELECT count(*) FROM (SELECT 1 FROM mem_fts WHERE mem_fts MATCH ? LIMIT ?)`).pluck();
    this.bm25 = db.prepare(`SELECT rowid, bm25(mem_fts) AS score FROM mem_fts WHERE mem_fts MATCH ? ORDER BY score LIMIT ?`);
    this.common = new CommonTerms(o, (t, atMost) => termCount.get(`"${t}"`, Number.isFinite(atMost) ? atMost : -1) as number);
  }

  /** Best first (lower score is better); `docs`: the store's size as the planner sees it. */
  run(query: string, limit: number, docs: number): LexicalRow[] {
    const terms = lexicalTerms(query);
    if (terms.length === 0) return [];
    const match = this.common.select(terms, docs).map((t) => `"${t}"`).join(" OR ");
    return this.bm25.all(match, limit) as LexicalRow[];
  }
}
