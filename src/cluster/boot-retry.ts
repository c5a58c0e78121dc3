/**
 * A node's boot waits for PostgreSQL and NATS instead of giving up (issue #16): a node started, or
 * restarted after a crash, while either is down or restarting retries each step that needs it
 * (migrating the tables, opening the wake bus, joining, its first beat) with a capped exponential
 * backoff, reporting every retry with what is down. Only an unreachable server is waited for
 * (E_UNAVAILABLE: refused or lost connections, a name that does not resolve yet); a configuration
 * error (a bad URL, a refused login, a missing database, a newer schema) ends the boot at once with
 * the error naming it. A stop while waiting ends the wait (E_UNAVAILABLE, "stopped").
 *
 * The waits are real time on a referenced timer, not the node's clock: the clock's timers are
 * unref'd, and a process booting with nothing else to do would exit in the middle of a wait.
 */
import { setTimeout as wait } from "node:timers/promises";
import { AiosError, toAiosError } from "../core/index.js";

/** What a boot step waits for. */
export type Needed = "PostgreSQL" | "NATS";

export interface BootRetryNote {
  /** The step that failed, e.g. "migrating the cluster tables". */
  readonly step: string;
  /** The server that is unreachable. */
  readonly down: Needed;
  /** Failed attempts so far (1 on the first retry). */
  readonly attempt: number;
  /** The wait before the next attempt. */
  readonly delayMs: number;
  readonly error: AiosError;
}

export interface BootRetryOptions {
  /** Told of each retry before its wait (a warning, an event). */
  readonly onRetry: (n: BootRetryNote) => void;
  /** First wait (default 100 ms), doubled per attempt up to maxMs (default 5 s). */
  readonly firstMs?: number;
  readonly maxMs?: number;
}

export class BootRetry {
  private readonly stopped = new AbortController();

  constructor(private readonly o: BootRetryOptions) {}

  /** Runs `fn` until it does not fail for `down` being unreachable; rethrows any other failure. */
  async until<T>(step: string, down: Needed, fn: () => Promise<T>): Promise<T> {
    const first = this.o.firstMs ?? 100;
    const max = this.o.maxMs ?? 5_000;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const error = toAiosError(e);
        if (error.code !== "E_UNAVAILABLE" || this.stopped.signal.aborted) throw error;
        const delayMs = Math.min(max, first * 2 ** Math.min(attempt - 1, 30));
        this.o.onRetry({ step, down, attempt, delayMs, error });
        try {
          await wait(delayMs, undefined, { signal: this.stopped.signal });
        } catch {
          throw new AiosError("E_UNAVAILABLE", `${step}: stopped while waiting for ${down} (${error.message})`, { cause: error, details: { path: down === "NATS" ? "nats" : "postgres" } });
        }
      }
    }
  }

  /** Ends every wait now and every later one at its first failure (the node is stopping). */
  stop(): void {
    this.stopped.abort();
  }
}
