/**
 * Test helper: a real `nats-server -js` (Debian's 2.9.10) on a free loopback port with its JetStream
 * store in a fresh temp dir. The cluster tests start their own server and stop it after; nothing
 * depends on a service left running by hand (issue #16 item 6). `kill9()` and `restart()` let the
 * fault tests crash the server and bring it back on the same port and store.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../helpers/free-port.js";

export interface NatsServer {
  readonly url: string;
  readonly port: number;
  readonly storeDir: string;
  /** SIGKILL the server (no flush) and wait for it to exit. */
  kill9(): Promise<void>;
  /** Start it again on the same port and store dir. */
  restart(): Promise<void>;
  /** Stop it (SIGTERM) and remove the store dir. */
  stop(): Promise<void>;
  /** Whether the server process is up. */
  readonly running: boolean;
}

export { freePort };

const READY = /Server is ready/;

function launch(port: number, storeDir: string): Promise<ChildProcess> {
  const child = spawn("nats-server", ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", storeDir], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let log = "";
    // The last lines, matched for READY: the log kept is capped, and a store of many streams logs
    // two lines per stream restored before it (the soak's restarts timed out past ~100 schedules).
    let tail = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`nats-server did not become ready in 10 s:\n${log}\n...\n${tail}`));
    }, 10_000);
    child.stderr?.on("data", (chunk: Buffer) => {
      const text = chunk.toString("utf8");
      if (log.length < 20_000) log += text;
      tail = (tail + text).slice(-4_000);
      if (READY.test(tail)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited before ready (code ${String(code)}, signal ${String(signal)}):\n${log}`));
    });
    child.once("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

export async function startNats(): Promise<NatsServer> {
  const storeDir = mkdtempSync(join(tmpdir(), "aios-nats-"));
  const port = await freePort();
  let child: ChildProcess | undefined = await launch(port, storeDir);
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    async kill9() {
      if (child === undefined) return;
      const c = child;
      child = undefined;
      c.kill("SIGKILL");
      await waitExit(c);
    },
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    async restart() {
      if (child !== undefined) throw new Error("nats-server is still running");
      // Right after a kill the port may still be held for a moment: try again briefly.
      for (let attempt = 0; ; attempt++) {
        try {
          child = await launch(port, storeDir);
          return;
        } catch (e) {
          if (attempt >= 5) throw e;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    },
    async stop() {
      if (child !== undefined) {
        const c = child;
        child = undefined;
        c.kill("SIGTERM");
        await waitExit(c);
      }
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
