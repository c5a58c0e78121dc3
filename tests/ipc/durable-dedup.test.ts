/**
 * De-duplication by message id survives a restart for durable agents (issue #6, at-least-once):
 * through the full boot({ dataDir }) stack, a message id delivered before a clean shutdown — or
 * before a SIGKILL of a real child process running the kernel — is dropped when it is delivered
 * again after the next boot, whether the first copy was already handled or still waited in the
 * journaled mailbox; a new id is handled; the durable window is bounded (SEEN_WINDOW handled ids)
 * and survives compaction; non-durable agents keep their window in memory only.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { boot, type Aios } from "../../src/index.js";
import { dedupKey, ipcOf, send } from "../../src/ipc/index.js";
import { DurableJournal } from "../../src/kernel/index.js";
import { Journal, SEEN_WINDOW, SqliteDriver } from "../../src/store/index.js";
import { bootOptions, recorderSpec } from "./fixtures/durable-recorder.js";
import { settle } from "./helpers.js";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), "aios-ipc-dedup-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const handled = async (os: Aios, id: string): Promise<string[]> => (await os.request(id, { get: true })) as string[];

/** Collects ipc.duplicate events (the bus delivers them asynchronously). */
function duplicates(os: Aios): string[] {
  const out: string[] = [];
  os.events.subscribe({ types: ["ipc.duplicate"] }, (e) => {
    if (e.type === "ipc.duplicate") out.push(e.data.message);
  });
  return out;
}

describe("durable de-duplication across restarts", () => {
  it("drops a redelivered id after a clean shutdown (handled, and still queued), also after compaction", async () => {
    const dir = tempDir();
    let os = await boot(bootOptions(dir));
    const b = await os.spawn(recorderSpec);
    const first = await send(os, { to: b, payload: "x", id: "x-1" });
    expect(first.delivered).toEqual([b]);
    expect(await handled(os, b)).toEqual(["x-1:x"]);
    await os.pause(b);
    expect((await send(os, { to: b, payload: "z", id: "z-1" })).delivered).toEqual([b]);
    // Compaction rewrites the journal from its state: the window must be carried by the checkpoint.
    const journal = os.kernel.guards.journal;
    expect(journal).toBeInstanceOf(DurableJournal);
    await (await (journal as DurableJournal).store()).compact();
    await os.shutdown();

    os = await boot(bootOptions(dir));
    const dups = duplicates(os);
    expect(os.status(b).status).toBe("paused");
    const again = await send(os, { to: b, payload: "x", id: "x-1" });
    expect(again).toMatchObject({ delivered: [], duplicates: 1 });
    expect((await send(os, { to: b, payload: "z", id: "z-1" })).duplicates).toBe(1);
    expect((await send(os, { to: b, payload: "y", id: "y-1" })).delivered).toEqual([b]);
    await os.resume(b);
    expect(await handled(os, b)).toEqual(["x-1:x", "z-1:z", "y-1:y"]);
    await settle();
    expect(dups).toEqual(["x-1", "z-1"]);
    expect(ipcOf(os).seen.duplicates).toBe(2);
    await os.shutdown();
  });

  it("drops a redelivered id after the kernel's process was killed with SIGKILL", async () => {
    const dir = tempDir();
    const child = spawn(process.execPath, ["--import", "tsx", resolve(HERE, "fixtures/dedup-child.ts"), dir], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
    const agent = await new Promise<string>((resolveReady, reject) => {
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        const m = /ready (\S+)\n/.exec(out);
        if (m?.[1] !== undefined) resolveReady(m[1]);
      });
      child.once("exit", (code) => reject(new Error(`child exited (${String(code)}) before ready: ${err}`)));
    });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once("exit", (_c, signal) => r(signal)));
    child.kill("SIGKILL");
    expect(await exited).toBe("SIGKILL");

    const os = await boot(bootOptions(dir));
    const dups = duplicates(os);
    expect(os.status(agent).status).toBe("paused");
    expect((await send(os, { to: agent, payload: "x", id: "x-handled" })).duplicates).toBe(1);
    expect((await send(os, { to: agent, payload: "z", id: "z-queued" })).duplicates).toBe(1);
    expect((await send(os, { to: agent, payload: "n", id: "n-new" })).delivered).toEqual([agent]);
    await os.resume(agent);
    expect(await handled(os, agent)).toEqual(["x-handled:x", "z-queued:z", "n-new:n"]);
    await settle();
    expect(dups).toEqual(["x-handled", "z-queued"]);
    await os.shutdown();
  }, 60_000);

  it("keeps the durable window bounded: the oldest handled ids fall out, the last SEEN_WINDOW stay", async () => {
    const dir = tempDir();
    let os = await boot(bootOptions(dir));
    const b = await os.spawn(recorderSpec);
    const n = SEEN_WINDOW + 2;
    await Promise.all(Array.from({ length: n }, (_, i) => send(os, { to: b, payload: i, id: `m-${i}` })));
    expect(await handled(os, b)).toHaveLength(n);
    await os.shutdown();
    // What the store kept for the agent: exactly the window, newest last (each id within its sender's).
    const j = await Journal.open(SqliteDriver.open(join(dir, "journal")));
    const seen = [...(j.state.agents.get(b)?.seen ?? [])];
    expect(seen).toHaveLength(SEEN_WINDOW);
    expect([seen[0], seen.at(-1)]).toEqual([dedupKey(undefined, "m-2"), dedupKey(undefined, `m-${n - 1}`)]);
    await j.close();

    os = await boot(bootOptions(dir));
    expect((await send(os, { to: b, payload: 2, id: "m-2" })).duplicates).toBe(1);
    expect((await send(os, { to: b, payload: n - 1, id: `m-${n - 1}` })).duplicates).toBe(1);
    expect((await send(os, { to: b, payload: 0, id: "m-0" })).delivered).toEqual([b]);
    expect((await handled(os, b)).slice(n)).toEqual(["m-0:0"]);
    await os.shutdown();
  }, 60_000);

  it("a non-durable agent's window lives in memory only: dropped while it runs, gone with the process", async () => {
    const dir = tempDir();
    const os = await boot({ ...bootOptions(dir), subsystems: { embedder: false, ipc: { dedupAll: true } } });
    const e = await os.spawn({ ...recorderSpec, durable: false });
    expect((await send(os, { to: e, payload: 1, id: "e-1" })).delivered).toEqual([e]);
    expect((await send(os, { to: e, payload: 1, id: "e-1" })).duplicates).toBe(1);
    expect(await handled(os, e)).toEqual(["e-1:1"]);
    await os.shutdown();
    const j = await Journal.open(SqliteDriver.open(join(dir, "journal")));
    expect(j.state.agents.has(e)).toBe(false);
    await j.close();
  });
});
