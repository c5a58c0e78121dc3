/**
 * `<dataDir>/daemon.json`: how the CLI finds a running daemon — its pid, host and port. Written
 * atomically (temp file + rename) once the API listens, removed by the daemon when it stops. A file
 * whose pid no longer runs (the daemon was SIGKILLed) is stale and ignored: liveness is kill(pid, 0).
 */
import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

export const DAEMON_FILE = "daemon.json";

export const DaemonInfoSchema = z.object({
  pid: z.number().int().positive(),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  dataDir: z.string().min(1),
  startedAt: z.number(),
  version: z.string(),
});
export type DaemonInfo = z.infer<typeof DaemonInfoSchema>;

export function daemonFilePath(dataDir: string): string {
  return join(dataDir, DAEMON_FILE);
}

export function writeDaemonInfo(dataDir: string, info: DaemonInfo): void {
  const path = daemonFilePath(dataDir);
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(info, null, 2) + "\n", { mode: 0o600 });
  renameSync(tmp, path);
}

/** The recorded daemon, or undefined when there is no readable, valid file. */
export function readDaemonInfo(dataDir: string): DaemonInfo | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(daemonFilePath(dataDir), "utf8"));
  } catch {
    return undefined;
  }
  const r = DaemonInfoSchema.safeParse(raw);
  return r.success ? r.data : undefined;
}

/** Removes daemon.json if it still names `pid` (a newer daemon's file is left alone). */
export function removeDaemonInfo(dataDir: string, pid: number = process.pid): void {
  const info = readDaemonInfo(dataDir);
  if (info !== undefined && info.pid !== pid) return;
  rmSync(daemonFilePath(dataDir), { force: true });
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else — still alive.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The daemon daemon.json names, when its process is alive. */
export function findLiveDaemon(dataDir: string): DaemonInfo | undefined {
  const info = readDaemonInfo(dataDir);
  return info !== undefined && isProcessAlive(info.pid) ? info : undefined;
}
