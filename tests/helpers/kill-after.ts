/**
 * A crash test's child: runs `node <argv>`, hands every stdout line to `onLine` (which says whether
 * the line counts as an acknowledgement), and SIGKILLs the child `extraMs` after the `lines`-th
 * counted line (at once when `lines` is 0). A child that exits any other way rejects with its
 * stderr: a crash test must crash what it tests, not watch it finish.
 */
import { spawn } from "node:child_process";

export interface KillAfter {
  /** Counted lines after which the kill is armed. */
  readonly lines: number;
  /** Delay from arming to SIGKILL, so the kill lands mid-work. */
  readonly extraMs: number;
  /** Called for every complete stdout line; returns whether it counts. */
  readonly onLine: (line: string) => boolean;
}

export function killAfterLines(argv: readonly string[], o: KillAfter): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let counted = 0;
    let buf = "";
    let err = "";
    let armed = false;
    const arm = (): void => {
      if (armed) return;
      armed = true;
      setTimeout(() => child.kill("SIGKILL"), o.extraMs);
    };
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (d: string) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (o.onLine(line)) counted++;
        if (counted >= o.lines) arm();
      }
    });
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    if (o.lines === 0) arm();
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (signal !== "SIGKILL") reject(new Error(`child exited by itself (${code}): ${err}`));
      else resolve();
    });
  });
}
