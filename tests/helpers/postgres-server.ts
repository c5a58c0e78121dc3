/**
 * A real PostgreSQL server in a temp dir (DESIGN invariant 3: the store and cluster suites run
 * against real PostgreSQL, never a mock). `startPostgres()` makes a cluster in a temp dir and runs
 * `postgres` on a free loopback port with its unix socket in that dir; tests use `usePostgres()`
 * (postgres.ts), which does it in a file's beforeAll and removes it in afterAll; benchmarks call
 * `startPostgres()` directly (this file does not import vitest). Each test takes its own database
 * (`createDatabase()`), so one server (~1 s to start) serves a whole file.
 *
 * Durability as in production: fsync=on, synchronous_commit=on, full_page_writes=on. Only initdb
 * runs with --no-sync, once per machine: its result is kept as a template dir and copied (cp -a,
 * ~0.3 s) for every server instead of running initdb (~3 s) each time.
 *
 * postgres refuses to run as root, and CI runs as root: then the server runs as the `postgres`
 * system user (the Debian package creates it) through spawn's uid/gid, with the temp dir owned by
 * it. As any other user it runs as that user. Binaries: /usr/lib/postgresql/<newest>/bin, or
 * $AIOS_PG_BIN. The server gets its own process group, so `kill()` takes the backends with the
 * postmaster (as a crash would) and a later `start()` can reuse the data directory.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "./free-port.js";

const run = promisify(execFile);

export interface PgServer {
  readonly port: number;
  /** The directory holding the unix socket (also a valid `host` for libpq and node-postgres). */
  readonly socketDir: string;
  /** The cluster's data directory. */
  readonly dataDir: string;
  /** A connection URL for `database` over loopback TCP (user postgres, trust auth). */
  url(database?: string): string;
  /**
   * Creates a fresh empty database and returns its URL; names are unique per server. A database
   * costs ~0.5 s (PostgreSQL copies a template through its WAL): where a test only needs a store of
   * its own, a fresh schema in one shared database (`uniqueName()`) costs almost nothing.
   */
  createDatabase(prefix?: string): Promise<string>;
  /** A name no other call in this process returned: for schemas, databases, tables. */
  uniqueName(prefix?: string): string;
  /** Runs one statement as the superuser on the `postgres` database (setup and fault injection). */
  query(sql: string): Promise<pg.QueryResult>;
  /** Starts the server again on the same data dir and port after stop() or kill(). */
  start(): Promise<void>;
  /** Orderly (fast) shutdown: open sessions are ended, committed data is flushed. */
  stop(): Promise<void>;
  /** SIGKILL to the postmaster and every backend at once: a crash (recovery replays the WAL). */
  kill(): Promise<void>;
  /** Whether the postmaster is running. */
  readonly running: boolean;
  /** Stops the server and removes its directory. */
  dispose(): Promise<void>;
}

export interface StartOptions {
  /** Extra `-c name=value` settings. */
  readonly settings?: Readonly<Record<string, string>>;
}

function binDir(): string {
  const fromEnv = process.env["AIOS_PG_BIN"];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "postgres"))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (newest === undefined) throw new Error(`no PostgreSQL server binaries under ${root} (run scripts/ci-deps.sh, or set AIOS_PG_BIN)`);
  return join(root, newest, "bin");
}

/** The uid/gid the server runs as: the postgres system user when we are root, else ourselves. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
    const f = line.split(":");
    if (f[0] === "postgres") return { uid: Number(f[2]), gid: Number(f[3]) };
  }
  throw new Error("running as root, but there is no `postgres` user to run the server as (install the postgresql package)");
}

function own(path: string, user: { uid: number; gid: number } | undefined): void {
  if (user !== undefined) chownSync(path, user.uid, user.gid);
}


/** A complete, never-written-to cluster to copy from: built once per machine and PG version. */
async function template(bin: string, user: { uid: number; gid: number } | undefined): Promise<string> {
  const version = bin.split("/").at(-2) ?? "pg";
  const path = join(tmpdir(), `aios-pg-template-${version}-${user?.uid ?? process.getuid?.() ?? 0}`);
  if (existsSync(join(path, "PG_VERSION"))) return path;
  const scratch = mkdtempSync(join(tmpdir(), "aios-pg-initdb-"));
  own(scratch, user);
  const data = join(scratch, "data");
  await new Promise<void>((resolve, reject) => {
    const child = spawn(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"], {
      stdio: ["ignore", "ignore", "pipe"],
      ...(user ?? {}),
    });
    let err = "";
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`initdb failed (${code}): ${err}`))));
  });
  try {
    renameSync(data, path); // atomic: another worker either sees a whole template or none
  } catch {
    /* another test file won the race; its template is as good */
  }
  rmSync(scratch, { recursive: true, force: true });
  return path;
}

/**
 * Whether any live (not zombie) process is in process group `pgid`. A zombie has released its
 * shared memory; it is not counted, since whoever reaps orphans here (PID 1) may never do it.
 */
function groupAlive(pgid: number): boolean {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited while we looked
    }
    // Fields after the parenthesised command: state, ppid, pgrp, ...
    const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(rest[2]) === pgid && rest[0] !== "Z") return true;
  }
  return false;
}

let nameCounter = 0;
function uniqueName(prefix = "t"): string {
  return `${prefix.toLowerCase().replace(/[^a-z0-9_]/g, "_")}_${process.pid}_${++nameCounter}`;
}

export async function startPostgres(options: StartOptions = {}): Promise<PgServer> {
  const bin = binDir();
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), "aios-pg-"));
  chmodSync(dir, 0o700);
  own(dir, user);
  const dataDir = join(dir, "data");
  const socketDir = join(dir, "sock");
  mkdirSync(socketDir, { mode: 0o700 });
  own(socketDir, user);
  await run("cp", ["-a", await template(bin, user), dataDir]);
  let port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let admin: pg.Pool | undefined;

  const settings: Record<string, string> = {
    listen_addresses: "127.0.0.1",
    unix_socket_directories: socketDir,
    fsync: "on",
    synchronous_commit: "on",
    full_page_writes: "on",
    max_connections: "100",
    shared_buffers: "16MB",
    dynamic_shared_memory_type: "posix",
    // After a crash PostgreSQL fsyncs every file of the data dir before recovery (10 s and more
    // here under load); syncfs is one call per file system and as safe.
    recovery_init_sync_method: "syncfs",
    logging_collector: "off",
    log_min_messages: "warning",
    ...options.settings,
  };

  const launch = async (): Promise<void> => {
    const args = ["-D", dataDir, "-p", String(port)];
    for (const [k, v] of Object.entries(settings)) args.push("-c", `${k}=${v}`);
    const proc = spawn(join(bin, "postgres"), args, { stdio: ["ignore", "ignore", "pipe"], detached: true, ...(user ?? {}) });
    child = proc;
    let log = "";
    exited = new Promise((resolve) => proc.once("exit", () => resolve()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`postgres did not start within 60 s:\n${log}`)), 20_000);
      proc.stderr?.on("data", (b: Buffer) => {
        log += b.toString();
        if (log.includes("ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once("exit", (code) => {
        clearTimeout(timer);
        reject(Object.assign(new Error(`postgres exited (${code}) before it was ready:\n${log}`), { log }));
      });
    });
    // Keep draining stderr (a full pipe would block the server).
    proc.stderr?.resume();
  };

  const kill = (signal: NodeJS.Signals): void => {
    const pid = child?.pid;
    if (pid === undefined || child?.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-pid, signal); // the whole group: postmaster and backends
    } catch {
      /* already gone */
    }
  };
  /**
   * Waits until no process of the server's group is left. The postmaster's exit is not enough after
   * SIGKILL: a backend still being reaped holds the shared memory block, and a new postmaster on
   * the same data dir then refuses to start ("pre-existing shared memory block is still in use").
   */
  const groupGone = async (): Promise<void> => {
    const pid = child?.pid;
    if (pid === undefined) return;
    for (let i = 0; i < 1000; i++) {
      if (!groupAlive(pid)) return;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`postgres process group ${pid} still alive 10 s after it was stopped`);
  };
  // A test worker that dies must not leave a server behind.
  const onExit = (): void => kill("SIGKILL");
  process.once("exit", onExit);

  const closeAdmin = async (): Promise<void> => {
    const a = admin;
    admin = undefined;
    await a?.end().catch(() => undefined);
  };

  /**
   * Launches the server, trying again where the failure is passing. First start: another process
   * took the port between our probe and the server's bind: take another one. A restart (same port,
   * which clients hold): the old server's shared memory block can outlive its last process by a
   * moment (the kernel detaches it as the exit completes, after /proc shows the process gone), and
   * the new postmaster refuses to start ("pre-existing shared memory block ... is still in use",
   * seen in CI after a kill -9): it is tried again for up to 10 s.
   */
  const launchRetrying = async (first: boolean): Promise<void> => {
    for (let attempt = 0; ; attempt++) {
      try {
        await launch();
        return;
      } catch (e) {
        const log = (e as { log?: string }).log ?? "";
        if (first && attempt < 3 && /could not bind|Address already in use/.test(log)) {
          port = await freePort();
          continue;
        }
        if (!first && attempt < 100 && /pre-existing shared memory block/.test(log)) {
          await new Promise((r) => setTimeout(r, 100));
          continue;
        }
        throw e;
      }
    }
  };
  try {
    await launchRetrying(true);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  const url = (database = "postgres"): string => `postgres://postgres@127.0.0.1:${port}/${database}`;
  const adminPool = (): pg.Pool => {
    if (admin === undefined) {
      const p = new pg.Pool({ connectionString: url(), max: 2 });
      p.on("error", () => undefined); // a killed server ends idle clients; the next query reports it
      admin = p;
    }
    return admin;
  };

  const server: PgServer = {
    port,
    socketDir,
    dataDir,
    url,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    uniqueName,
    async createDatabase(prefix = "t") {
      const name = uniqueName(prefix);
      await adminPool().query(`CREATE DATABASE ${name} TEMPLATE template0`);
      return url(name);
    },
    async query(sql) {
      return adminPool().query(sql);
    },
    async start() {
      if (server.running) return;
      await launchRetrying(false);
    },
    async stop() {
      await closeAdmin();
      kill("SIGINT"); // fast shutdown
      await exited;
      await groupGone();
    },
    async kill() {
      await closeAdmin();
      kill("SIGKILL");
      await exited;
      await groupGone();
    },
    async dispose() {
      await server.stop();
      process.removeListener("exit", onExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

