/**
 * The driver's side of the journal's writer thread (sqlite-writer-thread.ts): one thread per open
 * SQLite store, owning the write connection. `write` packs the batch (sqlite-writer-protocol.ts),
 * posts it and resolves when the thread reports the transaction committed — i.e. fsynced at
 * synchronous=FULL — so an acknowledgement keeps its meaning; it rejects with the store's own error
 * (E_STORAGE_FULL: nothing written) when the commit failed.
 *
 * Death is loud: if the thread exits or throws, every write in flight and every later one rejects
 * with E_STORAGE naming the thread and why. A write in flight at that moment was not acknowledged;
 * it may or may not have committed, which is what recovery already allows for an unacknowledged
 * append (the next open verifies whatever is there). There is no silent fall-back to the main
 * thread after a death: a second writer could commit behind a half-finished one's back.
 *
 * The thread is unref'd while no write is pending (an idle store never keeps the process alive).
 * It starts from source text (sqlite-writer-thread.ts says why), built once per process.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { AiosError } from "../core/index.js";
import type { WriteBatch } from "./driver.js";
import { toStoreError } from "./sqlite-errors.js";
import { writerSource } from "./sqlite-writer-thread.js";
import { packBatch, type FromWriter, type ToWriter, type WriterData, type WriterError } from "./sqlite-writer-protocol.js";

interface Pending {
  readonly resolve: () => void;
  readonly reject: (e: AiosError) => void;
}

let source: string | undefined;

function spawn(data: WriterData): Worker {
  source ??= writerSource();
  return new Worker(source, { eval: true, workerData: data });
}

/** The thread's SQLite error as the store's error (the same mapping the inline path uses). */
function fromPlain(e: WriterError, what: string, dir: string): AiosError {
  const err = Object.assign(new Error(e.message), e.code === undefined ? {} : { code: e.code });
  return toStoreError(err, what, dir);
}

export class SqliteWriter {
  private readonly worker: Worker;
  private readonly state = new Int32Array(new SharedArrayBuffer(4));
  private readonly pending = new Map<number, Pending>();
  private next = 1;
  private dead: AiosError | undefined;
  private closed = false;
  private readonly exited: Promise<void>;
  private markOpened: (ok: boolean) => void = () => undefined;
  /** Resolves true once the thread opened its connection, false if it never will (failed, died, closed). */
  readonly opened = new Promise<boolean>((resolve) => (this.markOpened = resolve));
  /** The writer connection's durability settings, once it opened (synchronous: 2 = FULL). */
  pragmas: { journal_mode: unknown; synchronous: unknown } | undefined;

  constructor(
    private readonly file: string,
    private readonly dir: string,
  ) {
    this.worker = spawn({ file, sqlite: createRequire(import.meta.url).resolve("better-sqlite3"), state: this.state });
    this.worker.unref();
    this.worker.on("message", (m: FromWriter) => this.onMessage(m));
    this.worker.on("error", (e) => this.fail(`it threw: ${e.message}`));
    this.exited = new Promise((resolve) => this.worker.once("exit", (code) => {
      this.fail(`it exited with code ${code}`);
      resolve();
    }));
  }

  /** True once the thread opened its connection and until it died or was closed. */
  get ready(): boolean {
    return Atomics.load(this.state, 0) === 1 && this.dead === undefined;
  }

  /** True while a write posted to the thread has not been answered. */
  get busy(): boolean {
    return this.pending.size > 0;
  }

  /** Why the thread can take no more writes (it failed to open, died or was closed), or undefined. */
  get failure(): AiosError | undefined {
    if (this.dead === undefined && Atomics.load(this.state, 0) === 2) this.fail("it could not open the store");
    return this.dead;
  }

  write(b: WriteBatch): Promise<void> {
    const dead = this.failure;
    if (dead !== undefined) return Promise.reject(dead);
    const id = this.next++;
    const { batch, transfer } = packBatch(b);
    return new Promise<void>((resolve, reject) => {
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      const m: ToWriter = { kind: "write", id, batch };
      this.worker.postMessage(m, transfer);
    });
  }

  private onMessage(m: FromWriter): void {
    switch (m.kind) {
      case "ready":
        this.pragmas = m.pragmas;
        this.markOpened(this.dead === undefined);
        return;
      case "failed":
        this.fail(`it could not open the store: ${m.error.message}`, fromPlain(m.error, `the journal writer thread opening ${this.file}`, this.dir));
        return;
      case "closed":
        return;
      case "written":
      case "error": {
        const p = this.pending.get(m.id);
        if (p === undefined) return;
        this.pending.delete(m.id);
        if (this.pending.size === 0) this.worker.unref();
        if (m.kind === "written") p.resolve();
        else p.reject(fromPlain(m.error, "writing to the journal", this.dir));
      }
    }
  }

  /** Marks the thread dead and rejects every write in flight: none of them is acknowledged. */
  private fail(why: string, cause?: AiosError): void {
    this.markOpened(false);
    if (this.dead === undefined) {
      this.dead = this.closed
        ? new AiosError("E_STORAGE", `the store ${this.file} is closed`)
        : new AiosError("E_STORAGE", `the journal writer thread of ${this.file} stopped: ${why}; writes in flight were not acknowledged and no further write is accepted (restart AIOS: recovery verifies what reached the disk)`, {
          ...(cause === undefined ? {} : { cause }),
          details: { file: this.file },
        });
    }
    const dead = this.dead;
    for (const p of this.pending.values()) p.reject(dead);
    this.pending.clear();
  }

  /** Closes the thread's connection (after the writes already posted) and waits for it to exit. */
  async close(): Promise<void> {
    if (!this.closed && this.dead === undefined) {
      this.closed = true;
      const m: ToWriter = { kind: "close" };
      this.worker.ref();
      this.worker.postMessage(m);
    } else this.closed = true;
    await this.exited;
  }

  /** @internal (tests): ends the thread as a crash would, with writes possibly in flight. */
  async kill(): Promise<void> {
    await this.worker.terminate();
  }
}
