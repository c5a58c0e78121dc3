/**
 * The main-thread side of the lexical worker: one worker thread (lexical-thread.ts) per file-backed
 * store, so a hybrid query's BM25 leg runs on the second core while the main thread walks the HNSW
 * graph. `query` posts a request and resolves with the worker's rows; it rejects when the worker
 * failed to open, reported an error, crashed or was closed — the caller then runs the same read
 * in-process, so no query is lost. Until the worker has opened its connection (~150 ms after
 * start) `usable` is false and callers stay in-process rather than wait.
 * The worker is unref'd while idle and ref'd while a request is pending: an idle worker never keeps
 * the process alive, an in-flight query does. Under tsx or vitest (this file is .ts) the thread
 * registers tsx's loader before importing its .ts entry; a built .js tree starts it directly.
 */
import { Worker } from "node:worker_threads";
import { AiosError } from "../core/index.js";
import type { LexicalRow } from "./fts-lexical.js";
import type { CommonTermOptions } from "./lexical-plan.js";
import type { LexicalReply, LexicalRequest, LexicalThreadData } from "./lexical-thread.js";

interface Pending {
  readonly resolve: (rows: LexicalRow[]) => void;
  readonly reject: (e: Error) => void;
}

function spawn(data: LexicalThreadData): Worker {
  const ts = import.meta.url.endsWith(".ts");
  const entry = new URL(`./lexical-thread.${ts ? "ts" : "js"}`, import.meta.url);
  if (!ts) return new Worker(entry, { workerData: data });
  const boot = `import("tsx/esm/api").then((t) => { t.register(); return import(${JSON.stringify(entry.href)}); });`;
  // execArgv: [] — a parent started with `--import tsx` would pass it on, and the worker then never
  // starts (tsx registered twice hangs the thread: seen under bench/index.ts).
  return new Worker(boot, { eval: true, workerData: data, execArgv: [] });
}

export class LexicalWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private next = 1;
  /**
   * [0] = 1 once the worker has opened the store, set by the worker itself: a run of queries whose
   * awaits all settle as microtasks never lets the event loop deliver a "ready" message, so the
   * flag, not the message, decides `usable` (seen in the bench: no query ever reached the worker).
   */
  private readonly state = new Int32Array(new SharedArrayBuffer(4));
  private dead: string | undefined;
  private markOpened: (ok: boolean) => void = () => undefined;
  /** Resolves true once the worker has opened the store, false if it never will (failed, crashed, closed). */
  readonly opened = new Promise<boolean>((resolve) => (this.markOpened = resolve));
  /** How many queries the worker answered (tests tell the worker path from the fallback by it). */
  answered = 0;
  /** @internal (bench A/B): while true, `usable` is false and reads stay in-process; the thread lives on. */
  suspended = false;

  constructor(file: string, lexical: CommonTermOptions = {}) {
    this.worker = spawn({ file, lexical, state: this.state });
    this.worker.unref();
    this.worker.on("message", (m: LexicalReply) => this.onMessage(m));
    this.worker.on("error", (e) => this.fail(`lexical worker failed: ${e.message}`));
    this.worker.on("exit", (code) => this.fail(`lexical worker exited (code ${code})`));
  }

  /** Whether a query would go to the worker now (opened, not crashed or closed). */
  get usable(): boolean {
    return Atomics.load(this.state, 0) === 1 && this.dead === undefined && !this.suspended;
  }

  /** The worker's BM25 rows for `text`; rejects (E_UNAVAILABLE) when the worker cannot answer. */
  query(text: string, limit: number, docs: number): Promise<LexicalRow[]> {
    if (!this.usable) return Promise.reject(new AiosError("E_UNAVAILABLE", this.dead ?? "lexical worker not ready"));
    const id = this.next++;
    return new Promise<LexicalRow[]>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      const q: LexicalRequest = { id, text, limit, docs };
      this.worker.postMessage(q);
    });
  }

  private onMessage(m: LexicalReply): void {
    if (m.kind === "ready") {
      this.markOpened(this.dead === undefined);
      return;
    }
    if (m.kind === "failed") {
      this.fail(`lexical worker cannot open the store: ${m.message}`);
      void this.worker.terminate();
      return;
    }
    const p = this.pending.get(m.id);
    if (p === undefined) return;
    this.settle(m.id);
    if (m.kind === "error") {
      p.reject(new AiosError("E_UNAVAILABLE", `lexical worker: ${m.message}`));
      return;
    }
    const rows: LexicalRow[] = new Array<LexicalRow>(m.rows.length / 2);
    for (let i = 0; i < rows.length; i++) rows[i] = { rowid: m.rows[2 * i] ?? 0, score: m.rows[2 * i + 1] ?? 0 };
    this.answered++;
    p.resolve(rows);
  }

  private settle(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }

  /** Marks the worker dead and rejects everything in flight (the callers fall back in-process). */
  private fail(reason: string): void {
    this.dead ??= reason;
    this.markOpened(false);
    for (const [id, p] of [...this.pending]) {
      this.settle(id);
      p.reject(new AiosError("E_UNAVAILABLE", reason));
    }
  }

  /** @internal (tests): stops the thread as a crash would (its exit, not close, fails the queries in flight). */
  async kill(): Promise<void> {
    await this.worker.terminate();
  }

  /** Stops the thread; pending queries reject (and fall back). Idempotent. */
  async close(): Promise<void> {
    this.fail("lexical worker closed");
    await this.worker.terminate();
  }
}
