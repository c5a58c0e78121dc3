/**
 * How the CLI writes: readable tables by default, one JSON document with `--json` (for scripts), errors
 * as `error: <code>: <message>` on stderr (the stack only with --verbose; with --json the error is
 * also the JSON document on stdout), and progress for anything that takes over a second, always on
 * stderr: a spinner when stderr is a TTY, else one line once the second has passed, so stdout —
 * and --json output — never holds progress.
 */
import { toAiosError } from "../core/index.js";

export interface OutputStreams {
  readonly out?: NodeJS.WritableStream;
  readonly err?: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface OutputOptions extends OutputStreams {
  readonly json: boolean;
  readonly verbose: boolean;
}

/** How long work runs before progress is shown. */
export const PROGRESS_AFTER_MS = 1000;

export class Output {
  readonly json: boolean;
  readonly verbose: boolean;
  private readonly out: NodeJS.WritableStream;
  private readonly err: NodeJS.WritableStream & { isTTY?: boolean };

  constructor(o: OutputOptions) {
    this.json = o.json;
    this.verbose = o.verbose;
    this.out = o.out ?? process.stdout;
    this.err = o.err ?? process.stderr;
  }

  line(text = ""): void {
    this.out.write(text + "\n");
  }
  /** Diagnostics (which backend, progress notes): stderr, so stdout stays parseable. */
  note(text: string): void {
    this.err.write(text + "\n");
  }
  data(value: unknown): void {
    this.out.write(JSON.stringify(value, null, 2) + "\n");
  }
  /** `--json` prints the value; otherwise `human()` renders it. */
  result(value: unknown, human: () => void): void {
    if (this.json) this.data(value);
    else human();
  }
  table(rows: readonly (readonly unknown[])[], header: readonly string[]): void {
    this.line(formatTable(rows, header));
  }
  error(e: unknown): void {
    const err = toAiosError(e);
    this.err.write(`error: ${err.code}: ${err.message}\n`);
    if (this.verbose && e instanceof Error && e.stack !== undefined) this.err.write(e.stack + "\n");
    if (this.json) this.data({ error: { code: err.code, message: err.message, retryable: err.retryable, ...(err.details === undefined || Object.keys(err.details).length === 0 ? {} : { details: err.details }) } });
  }

  /**
   * Runs `work`, showing progress on stderr once it took PROGRESS_AFTER_MS: a spinner with the
   * elapsed time on a TTY, else a single `<label>...` line (logs and pipes get one line, not frames).
   */
  async progress<T>(label: string, work: Promise<T>): Promise<T> {
    const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
    const tty = this.err.isTTY === true;
    let i = 0;
    let drawn = false;
    const t0 = Date.now();
    let spin: NodeJS.Timeout | undefined;
    const draw = (): void => {
      drawn = true;
      this.err.write(`\r${frames[i++ % frames.length] ?? ""} ${label} ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    };
    const start = setTimeout(() => {
      if (!tty) {
        this.err.write(`${label}...\n`);
        return;
      }
      draw();
      spin = setInterval(draw, 100);
      spin.unref();
    }, PROGRESS_AFTER_MS);
    start.unref(); // progress never keeps the process alive; the work does
    try {
      return await work;
    } finally {
      clearTimeout(start);
      if (spin !== undefined) clearInterval(spin);
      if (drawn) this.err.write("\r\x1b[2K");
    }
  }
}

export function cell(v: unknown): string {
  if (v === undefined || v === null) return "-";
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return JSON.stringify(v);
}

export function formatTable(rows: readonly (readonly unknown[])[], header: readonly string[]): string {
  const cells = [header.map(String), ...rows.map((r) => r.map(cell))];
  const widths = header.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? "").length)));
  return cells.map((r) => r.map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c] ?? 0))).join("  ").trimEnd()).join("\n");
}

export function ago(ts: number, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ts) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h`;
}
