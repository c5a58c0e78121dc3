/**
 * Output commit (ADR 0052) under SIGKILL, at the level a user meets it: a child process runs durable
 * LLM agents with `os.run` on the default stack and real SQLite files (fixtures/output-commit-child.ts),
 * the model's final answer a fresh random token per run. The child is killed at random moments and
 * restarted, then drained. Checked:
 * - after every kill, every answer `os.run` had returned is in the journal the next start reads (the
 *   answer waited for the model result it came from: it can be replayed, never contradicted);
 * - the journal verifies after every kill (recovery in "refuse" mode reports no loss);
 * - no side effect lost or doubled: each answered run noted its goal exactly once, no goal was noted
 *   twice (a replay after a crash finds the journaled intent, it never runs the effect again), and
 *   no idempotency key was handed out twice;
 * - the drain (recovery hands the agents in flight their letters again) completes.
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FileAckMark, Journal, SqliteDriver } from "../../src/store/index.js";
import { bundleChild, lines, prng, startChild } from "./crash-harness.js";

/** Every record body of a dead child's journal, after recovery verified it (a loss throws). */
async function journalText(dataDir: string): Promise<string> {
  const driver = SqliteDriver.open(dataDir);
  const journal = await Journal.open(driver, { ack: new FileAckMark(join(dataDir, "journal.ack")) });
  try {
    expect(journal.recovery.loss).toBeUndefined();
    const b = await driver.bounds();
    const parts: string[] = [];
    for (let seq = b.first ?? 1; b.last !== null && seq <= b.last; ) {
      const rows = await driver.read(seq, 5_000);
      if (rows.length === 0) break;
      for (const r of rows) parts.push(r.body);
      seq = (rows.at(-1)?.seq ?? seq) + 1;
    }
    return parts.join("\n");
  } finally {
    await journal.close();
  }
}

describe("output commit under SIGKILL (ADR 0052)", () => {
  it("returns no answer the journal does not hold, loses and doubles no effect", async () => {
    const seed = Date.now() % 2 ** 31;
    const rand = prng(seed);
    const bundle = await bundleChild("-output-commit", "output-commit-child.ts");
    const root = mkdtempSync(join(tmpdir(), "aios-output-commit-"));
    const dataDir = join(root, "data");
    const work = join(root, "work");
    mkdirSync(work);
    const where = `seed ${seed}, files in ${root}`;
    let ok = false;
    try {
      let checked = 0;
      for (let i = 0; i < 12; i++) {
        const child = startChild(bundle, [dataDir, work, `r${i}`, "run"]);
        const early = child.exited.then((x) => {
          throw new Error(`child r${i} exited before it was killed (code ${x.code}, ${where}): ${x.stderr.slice(0, 2000)}`);
        });
        await Promise.race([child.ready, early]);
        // The crash moment: a random real-time point in the child's runs (this wait IS the test input).
        await Promise.race([new Promise((r) => setTimeout(r, Math.floor(rand() * 120))), early]);
        early.catch(() => undefined);
        child.kill();
        const x = await child.exited;
        expect(x.signal, `child r${i} (${where}): ${x.stderr.slice(0, 2000)}`).toBe("SIGKILL");
        const text = await journalText(join(dataDir, "journal"));
        const answers = lines(join(work, "answers.log"));
        const missing = answers.slice(checked).filter((l) => !text.includes(l.split(" ")[1] ?? "?"));
        expect(missing, `answers returned before their model result was durable (${where})`).toEqual([]);
        checked = answers.length;
      }
      const drain = startChild(bundle, [dataDir, work, "drain", "drain"]);
      const d = await drain.exited;
      expect(d.code, `drain (${where}): ${d.stderr.slice(0, 2000)}`).toBe(0);
      expect(d.stdout).toContain("drained");

      const answered = lines(join(work, "answers.log")).map((l) => l.split(" ")[0] as string);
      expect(answered.length).toBeGreaterThan(12);
      const effects = lines(join(work, "effects.log")).map((l) => l.split(" "));
      const byGoal = new Map<string, number>();
      const keys = new Set<string>();
      for (const [goal, key] of effects) {
        byGoal.set(goal as string, (byGoal.get(goal as string) ?? 0) + 1);
        expect(key, `effect of ${goal} without a derived idempotency key`).toMatch(/^ag_[^:]+:\d+$/);
        expect(keys.has(key as string), `idempotency key ${key} handed out twice (${where})`).toBe(false);
        keys.add(key as string);
      }
      expect([...byGoal].filter(([, n]) => n > 1), `effects run twice (${where})`).toEqual([]);
      expect(answered.filter((g) => byGoal.get(g) !== 1), `answered runs without their effect (${where})`).toEqual([]);
      ok = true;
    } finally {
      rmSync(bundle, { force: true });
      if (ok) rmSync(root, { recursive: true, force: true });
    }
  }, 300_000);
});
