/**
 * Entry of the lexical worker thread (started by lexical-worker.ts): it holds its own read-only
 * better-sqlite3 connection to memory.db and answers BM25 requests with FtsLexical, the same code
 * the in-process path runs, so the main thread can walk the HNSW graph meanwhile. WAL lets this
 * reader run beside the writer; each request is its own read transaction, so it sees every write
 * the main connection committed before posting it (read-your-writes). Replies carry the rows as one
 * transferred Float64Array [rowid, score, rowid, score, ...] (no per-row object cloning).
 */
import Database from "better-sqlite3";
import { parentPort, workerData } from "node:worker_threads";
import { FtsLexical } from "./fts-lexical.js";
import type { CommonTermOptions } from "./lexical-plan.js";

export interface LexicalThreadData {
  readonly file: string;
  readonly lexical: CommonTermOptions;
  /** Shared with the main thread: [0] is set to 1 once this thread has opened the store. */
  readonly state: Int32Array;
}
export interface LexicalRequest {
  readonly id: number;
  readonly text: string;
  readonly limit: number;
  readonly docs: number;
}
export type LexicalReply =
  | { readonly kind: "ready" }
  | { readonly kind: "failed"; readonly message: string }
  | { readonly kind: "rows"; readonly id: number; readonly rows: Float64Array }
  | { readonly kind: "error"; readonly id: number; readonly message: string };

const port = parentPort;
if (port !== null) {
  const data = workerData as LexicalThreadData;
  const post = (m: LexicalReply, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer);
  let fts: FtsLexical | undefined;
  try {
    const db = new Database(data.file, { readonly: true, fileMustExist: true });
    fts = new FtsLexical(db, data.lexical);
    Atomics.store(data.state, 0, 1);
    post({ kind: "ready" });
  } catch (e) {
    post({ kind: "failed", message: e instanceof Error ? e.message : String(e) });
  }
  port.on("message", (q: LexicalRequest) => {
    if (fts === undefined) return;
    try {
      const found = fts.run(q.text, q.limit, q.docs);
      const rows = new Float64Array(found.length * 2);
      found.forEach((r, i) => {
        rows[2 * i] = r.rowid;
        rows[2 * i + 1] = r.score;
      });
      post({ kind: "rows", id: q.id, rows }, [rows.buffer]);
    } catch (e) {
      post({ kind: "error", id: q.id, message: e instanceof Error ? e.message : String(e) });
    }
  });
}
