/**
 * kill -9 during the writer thread's commits (ADR 0037): a child process appends to the journal
 * with its commits running on the store's writer thread and is SIGKILLed at a random moment, again
 * and again on the same data directory. After every kill the journal must open with nothing
 * acknowledged lost (the acknowledgement mark agrees with the WAL: no E_CORRUPT) and hold every
 * record the child printed as acknowledged.
 */
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileAckMark, Journal, SqliteDriver } from "../../src/store/index.js";
import { bundleChild, killAfterReady } from "./crash-harness.js";
import { cleanupDirs, tempDir } from "./helpers.js";

afterAll(cleanupDirs);

const KILLS = Number(process.env["AIOS_WRITER_CRASH_KILLS"] ?? 6);

interface Run {
  readonly acked: readonly string[];
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Starts the child, kills it `delayMs` after its first acknowledgement from the thread, returns the ids it saw acknowledged. */
async function runChild(bundle: string, dataDir: string, runId: string, delayMs: number): Promise<Run> {
  const { lines, signal, stderr } = await killAfterReady(bundle, [dataDir, runId], delayMs);
  return { acked: lines.filter((l) => l.startsWith("ack ")).map((l) => l.split(" ")[2] ?? ""), signal, stderr };
}

describe("writer thread under kill -9", () => {
  it(`keeps every acknowledged append across ${KILLS} kills during the thread's commits`, async () => {
    const bundle = await bundleChild("-writer", "writer-crash-child.ts");
    const dataDir = join(tempDir("aios-writer-crash-"), "data");
    let seed = 0x2f6b1d;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    const everAcked: string[] = [];
    let withAcks = 0;
    for (let i = 0; i < KILLS; i++) {
      // The crash moment is the test input: anywhere in the first ~80 ms of acknowledged writing.
      const run = await runChild(bundle, dataDir, `r${i}`, Math.floor(rand() * 80));
      expect(run.signal, run.stderr.slice(0, 2000)).toBe("SIGKILL");
      if (run.acked.length > 0) withAcks++;
      everAcked.push(...run.acked);
      // Refuses (E_CORRUPT) if anything the mark says was acknowledged is missing.
      const journal = await Journal.open(SqliteDriver.open(dataDir), { ack: new FileAckMark(join(dataDir, "journal.ack")) });
      try {
        expect(journal.recovery.loss).toBeUndefined();
        const mailbox = journal.state.agents.get("a")?.mailbox;
        const missing = everAcked.filter((id) => mailbox?.has(id) !== true);
        expect(missing.slice(0, 5), `after kill ${i}: acknowledged but missing`).toEqual([]);
      } finally {
        await journal.close();
      }
    }
    // Every kill landed while the thread was acknowledging writes, not before it started.
    expect(withAcks).toBe(KILLS);
  }, 120_000);
});
