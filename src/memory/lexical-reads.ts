/**
 * Where the SQLite store's BM25 reads run: in-process on the store's own connection (FtsLexical,
 * synchronously inside the call) or on the lexical worker thread (lexical-worker.ts), in parallel
 * with whatever the caller does before awaiting. Only a read with work to overlap (`overlap`: a
 * hybrid query's vector leg) goes to the worker, only in a file-backed store of at least
 * `minRecords` records (the worker starts when the store first reaches it), and any worker failure
 * falls back to the in-process read, so no query is lost. Both paths run the same code
 * (fts-lexical.ts) and return the same rows.
 */
import type Database from "better-sqlite3";
import { FtsLexical, type LexicalRow } from "./fts-lexical.js";
import type { CommonTermOptions } from "./lexical-plan.js";
import { LexicalWorker } from "./lexical-worker.js";

/**
 * Default record count from which BM25 goes to the worker. Below it the round trip is not repaid:
 * at 50,000 records (128-d, tmp script, passes in block order) a hybrid query took ~0.05 ms longer
 * with the worker; at 200,000 (bench, interleaved) 0.38 ms less.
 */
export const WORKER_MIN_RECORDS = 50_000;

/** true: from WORKER_MIN_RECORDS records on; `{ minRecords }`: from that many; false: never. */
export type LexicalWorkerOption = boolean | { readonly minRecords: number };

export class LexicalReads {
  private readonly fts: FtsLexical;
  private worker: LexicalWorker | undefined;
  /** Record count from which reads go to the worker (Infinity: never). */
  private from: number;

  constructor(db: Database.Database, private readonly file: string, private readonly o: CommonTermOptions = {}, w: LexicalWorkerOption = true) {
    this.fts = new FtsLexical(db, o);
    // An in-memory database cannot be opened by a second connection (it would be another database).
    const inMemory = file === "" || file === ":memory:" || file.startsWith("file::memory:");
    this.from = w === false || inMemory ? Infinity : typeof w === "object" ? w.minRecords : WORKER_MIN_RECORDS;
  }

  /** Starts the worker now if the store (`docs` records) is big enough; the store's open calls it. */
  grown(docs: number): void {
    if (docs >= this.from && this.worker === undefined) this.worker = new LexicalWorker(this.file, this.o);
  }

  async run(query: string, limit: number, docs: number, overlap: boolean): Promise<LexicalRow[]> {
    // Alone, the round trip (~0.1-0.2 ms) is pure cost: only a read with work to overlap goes out.
    if (!overlap) return this.fts.run(query, limit, docs);
    this.grown(docs);
    const w = this.worker;
    if (w !== undefined && w.usable) {
      try {
        return await w.query(query, limit, docs);
      } catch {
        // The worker failed, crashed or was closed: the same read in-process loses no query.
      }
    }
    return this.fts.run(query, limit, docs);
  }

  /** The worker thread, once started (tests and the bench look at it). */
  get lexicalWorker(): LexicalWorker | undefined {
    return this.worker;
  }

  /** Stops the worker; no worker starts afterwards. */
  async close(): Promise<void> {
    this.from = Infinity;
    await this.worker?.close();
  }
}
