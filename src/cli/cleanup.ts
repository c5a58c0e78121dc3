/**
 * What a command must undo if it is cut short: temporary data dirs, child kernels. Two ways a CLI
 * is cut short without its own code running to the end: the reader of its output goes away
 * (`aios demo | head`: the next write fails with EPIPE) and Ctrl-C. On either, the registered
 * cleanups run (last registered first), then the process exits quietly — 141 after EPIPE (as if
 * killed by SIGPIPE, what `yes | head` does), 130 after SIGINT, 143 after SIGTERM — with nothing on
 * stderr but, for a signal, one line saying what was cleaned. Commands that drain on a signal
 * themselves (`up`, `logs -f`, `run`) do not call interruptible(); their own handlers stay in charge.
 */
import { EXIT } from "./exit-codes.js";

const tasks = new Set<{ what: string; run: () => void }>();

/** Registers a cleanup; the function returned unregisters it (call it when the work ended normally). */
export function atInterrupt(what: string, run: () => void): () => void {
  const t = { what, run };
  tasks.add(t);
  return () => void tasks.delete(t);
}

/** Runs every registered cleanup once, newest first; returns what was cleaned. */
export function runCleanups(): string[] {
  const done: string[] = [];
  for (const t of [...tasks].reverse()) {
    tasks.delete(t);
    try {
      t.run();
      done.push(t.what);
    } catch {
      // Best effort: the process is leaving; one failed cleanup must not skip the others.
    }
  }
  return done;
}

let outputClosed = false;

/** stdout's reader went away: clean up and leave without a word (main.ts installs this first). */
export function onOutputClosed(): void {
  const quit = (e: NodeJS.ErrnoException): void => {
    if (e.code !== "EPIPE") throw e;
    if (outputClosed) return;
    outputClosed = true;
    runCleanups();
    process.exit(EXIT.OUTPUT_CLOSED);
  };
  process.stdout.on("error", quit);
  process.stderr.on("error", (e: NodeJS.ErrnoException) => {
    if (e.code !== "EPIPE") throw e;
  });
}

/** For commands with nothing to drain: SIGINT/SIGTERM run the cleanups and exit 130/143. */
export function interruptible(): () => void {
  const on = (sig: NodeJS.Signals): void => {
    const done = runCleanups();
    process.stderr.write(`${sig}: stopped${done.length === 0 ? "" : `; cleaned up ${done.join(", ")}`}\n`);
    process.exit(sig === "SIGINT" ? EXIT.INTERRUPTED : EXIT.TERMINATED);
  };
  process.on("SIGINT", on);
  process.on("SIGTERM", on);
  return () => {
    process.off("SIGINT", on);
    process.off("SIGTERM", on);
  };
}
