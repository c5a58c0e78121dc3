/**
 * Finding the running daemon and its API token from the CLI's quick path: `<dataDir>/daemon.json`
 * (written by `aios up` through gateway's writeDaemonInfo) and `<dataDir>/api-token`. Why not
 * gateway's own readers: importing `gateway/index.ts` loads the HTTP server, MCP and the kernel
 * stack (~0.5 s) and gateway's schema loads zod (~0.14 s), which alone would break `aios ps`'s
 * 300 ms budget (docs/adr/0025). So the fields are checked here by hand, and
 * tests/cli/daemon-locator.test.ts holds this reader to what gateway's writer writes.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The fields of daemon.json the CLI uses (gateway's DaemonInfo). */
export interface DaemonLocation {
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly startedAt: number;
  readonly version: string;
}

export const DAEMON_JSON = "daemon.json";
export const API_TOKEN_FILE = "api-token";

const isInt = (v: unknown, min: number, max: number): v is number => typeof v === "number" && Number.isInteger(v) && v >= min && v <= max;
const isText = (v: unknown): v is string => typeof v === "string" && v.length > 0;

/** daemon.json's content when it is readable and well-formed; undefined otherwise. */
export function readDaemonLocation(dataDir: string): DaemonLocation | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(join(dataDir, DAEMON_JSON), "utf8"));
  } catch {
    return undefined;
  }
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const { pid, host, port, startedAt, version } = r;
  const dir = r["dataDir"];
  if (!isInt(pid, 1, Number.MAX_SAFE_INTEGER) || !isText(host) || !isInt(port, 1, 65535) || !isText(dir) || typeof startedAt !== "number" || typeof version !== "string") return undefined;
  return { pid, host, port, dataDir: dir, startedAt, version };
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else — still alive.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The daemon daemon.json names, when its process is alive. */
export function liveDaemon(dataDir: string): DaemonLocation | undefined {
  const d = readDaemonLocation(dataDir);
  return d !== undefined && processAlive(d.pid) ? d : undefined;
}

/** The API token, or undefined when the file is missing, unreadable or empty. */
export function readToken(dataDir: string): { token?: string; path: string; why?: string } {
  const path = join(dataDir, API_TOKEN_FILE);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { path, why: code === "ENOENT" ? "it does not exist" : code === "EACCES" ? "it is not readable by this user" : `it cannot be read (${code ?? "error"})` };
  }
  const token = text.trim();
  return token.length === 0 ? { path, why: "it is empty" } : { token, path };
}
