/**
 * The journal's writer thread: it owns the store's write connection, so SQLite's COMMIT — the WAL
 * append and its fsync at synchronous=FULL — runs here and the main thread's event loop keeps
 * running agents meanwhile (better-sqlite3 is synchronous: on the main thread every fsync stalled
 * everything). It answers a write only after the transaction committed, so the driver's
 * acknowledgement still means "on disk". Writes are handled one at a time in arrival order; a
 * failure (SQLITE_FULL: the transaction rolled back, nothing written) is reported for that write
 * and the thread carries on, as the inline driver does.
 *
 * Started from source text, not from a file: `writerSource()` is this function and the
 * self-contained helpers it uses (sqlite-open.ts, sqlite-writer-protocol.ts) as one CommonJS script
 * for `new Worker(src, { eval: true })`. A file entry would have to be found next to the running
 * module, which a bundle (the crash harness's child, a bundled dist) or tsx (a second loader in the
 * thread, ~150 ms to start) does not give reliably; source text starts the same everywhere in a few
 * ms. So nothing below may use an import or a module-level binding — only its parameters.
 * Transpilers may wrap nested functions in `__name(fn, "name")` (tsx does); the script defines it.
 */
import type BetterSqlite3 from "better-sqlite3";
import type { MessagePort } from "node:worker_threads";
import { configure, prepareWrite, shrink } from "./sqlite-open.js";
import { unpackBatch, type FromWriter, type ToWriter, type WriterData, type WriterError } from "./sqlite-writer-protocol.js";

export interface WriterFns {
  readonly configure: typeof configure;
  readonly prepareWrite: typeof prepareWrite;
  readonly shrink: typeof shrink;
  readonly unpackBatch: typeof unpackBatch;
}

/** The thread's body (runs inside the worker; see the header for why it takes everything as parameters). */
export function writerThread(data: WriterData, port: MessagePort, Database: typeof BetterSqlite3, fns: WriterFns): void {
  const post = (m: FromWriter): void => port.postMessage(m);
  const plain = (e: unknown): WriterError => {
    const code = typeof e === "object" && e !== null && "code" in e && typeof e.code === "string" ? e.code : undefined;
    return { code, message: e instanceof Error ? e.message : String(e) };
  };
  let db: BetterSqlite3.Database | undefined;
  let write: ((b: ReturnType<typeof fns.unpackBatch>) => void) | undefined;
  try {
    db = new Database(data.file, { fileMustExist: true });
    fns.configure(db, false);
    write = fns.prepareWrite(db);
    const pragmas = { journal_mode: db.pragma("journal_mode", { simple: true }), synchronous: db.pragma("synchronous", { simple: true }) };
    Atomics.store(data.state, 0, 1);
    post({ kind: "ready", pragmas });
  } catch (e) {
    db?.close();
    db = undefined;
    Atomics.store(data.state, 0, 2);
    post({ kind: "failed", error: plain(e) });
    port.close();
    return;
  }
  port.on("message", (m: ToWriter) => {
    if (db === undefined || write === undefined) return;
    if (m.kind === "close") {
      db.close();
      db = undefined;
      post({ kind: "closed" });
      port.close();
      return;
    }
    const batch = fns.unpackBatch(m.batch);
    try {
      write(batch);
    } catch (e) {
      post({ kind: "error", id: m.id, error: plain(e) });
      return;
    }
    if (batch.deleteBelow !== undefined && batch.reclaim !== false) fns.shrink(db);
    post({ kind: "written", id: m.id });
  });
}

/** The thread as one CommonJS script (workerData: WriterData). */
export function writerSource(): string {
  const fns = `{ configure: (${configure.toString()}), prepareWrite: (${prepareWrite.toString()}), shrink: (${shrink.toString()}), unpackBatch: (${unpackBatch.toString()}) }`;
  return [
    `"use strict";`,
    `var __name = (fn) => fn;`,
    `const { workerData, parentPort } = require("node:worker_threads");`,
    `(${writerThread.toString()})(workerData, parentPort, require(workerData.sqlite), ${fns});`,
  ].join("\n");
}
