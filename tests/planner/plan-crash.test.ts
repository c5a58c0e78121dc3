/**
 * A plan in flight survives kill -9: a real child process runs a 40-task plan on the SQLite plan
 * journal and is killed with SIGKILL after a seeded number of dispatches, several times over; each
 * restart resumes the open plan from the journal. Checked after every kill and at the end: no task
 * journaled done before a kill is dispatched again; a re-dispatched task keeps its idempotency key
 * (no failure happened, so attempt 0); the final answer and every output equal a sequential run's.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { SeededRandom } from "../../src/core/index.js";
import { SqlitePlanJournal, topoOrder, validateGraph, type Task } from "../../src/planner/index.js";
import { CHILD_GRAPH } from "./fixtures/plan-child.js";
import { taskValue } from "./graph-gen.js";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const CHILD = join(HERE, "fixtures", "plan-child.ts");
const ROOT = resolve(HERE, "../..");
const dir = mkdtempSync(join(tmpdir(), "aios-plan-crash-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the child; kills it with SIGKILL after `killAfter` dispatch lines (undefined: to the end). */
function runChild(db: string, log: string, killAfter?: number): Promise<{ killed: boolean; outcome?: unknown }> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, db, log], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let seen = 0;
    let buf = "";
    let outcome: unknown;
    child.stdout.on("data", (chunk: Buffer) => {
      buf += chunk.toString();
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith("D ")) {
          seen++;
          if (killAfter !== undefined && seen === killAfter) child.kill("SIGKILL");
        } else if (line.startsWith("OUTCOME ")) outcome = JSON.parse(line.slice(8));
      }
    });
    child.on("error", rej);
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") res({ killed: true });
      else if (code === 0) res({ killed: false, outcome });
      else rej(new Error(`child exited with ${code}`));
    });
  });
}

function doneTasks(db: string): Set<string> {
  const j = new SqlitePlanJournal(db);
  try {
    const id = j.openPlans()[0];
    if (id === undefined) return new Set();
    return new Set(j.load(id).flatMap((r) => (r.type === "task" && r.state === "done" ? [r.taskId] : [])));
  } finally {
    j.close();
  }
}

describe("plan journal under kill -9", () => {
  it("resumes a plan in flight after SIGKILLs without re-running finished tasks", async () => {
    const db = join(dir, "plans.db");
    const log = join(dir, "dispatch.log");
    writeFileSync(log, "");
    const rnd = new SeededRandom(1414);
    let kills = 0;
    let linesBefore = 0;
    let doneBefore = new Set<string>();
    for (let i = 0; i < 4; i++) {
      // a layer of 8 is dispatched at once, so a kill before the 9th line would only ever hit the first layer
      const r = await runChild(db, log, 10 + Math.floor(rnd.next() * 10));
      const lines = readFileSync(log, "utf8").trim().split("\n");
      // nothing finished before an earlier kill was dispatched in this run
      for (const line of lines.slice(linesBefore)) expect(doneBefore.has(line.split(" ")[0] ?? "")).toBe(false);
      linesBefore = lines.length;
      if (r.killed) kills++;
      doneBefore = doneTasks(db);
    }
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(doneBefore.size).toBeGreaterThan(0);
    expect(doneBefore.size).toBeLessThan(40);
    const final = await runChild(db, log);
    expect(final.killed).toBe(false);
    const lines = readFileSync(log, "utf8").trim().split("\n");
    for (const line of lines.slice(linesBefore)) expect(doneBefore.has(line.split(" ")[0] ?? "")).toBe(false);
    // every dispatch of a task used the same key (attempt 0: crashes are not failures)
    const keys = new Map<string, Set<string>>();
    for (const line of lines) {
      const [task = "", key = ""] = line.split(" ");
      keys.set(task, (keys.get(task) ?? new Set()).add(key));
    }
    expect(keys.size).toBe(40);
    for (const [task, ks] of keys) expect([...ks]).toEqual([`${[...ks][0]?.split(":")[0] ?? ""}:${task}:0`]);
    // the answer equals a sequential run's
    const g = validateGraph(CHILD_GRAPH, { capabilities: [], budget: 1_000_000n });
    const expected: Record<string, { v: number }> = {};
    for (const id of topoOrder(g)) {
      const t = g.tasks.find((x) => x.id === id) as Task;
      expected[id] = taskValue(id, Object.fromEntries(Object.entries(t.inputs).map(([k, ref]) => [k, "from" in ref ? expected[ref.from] : ref.value])));
    }
    expect(final.outcome).toMatchObject({ status: "answered", version: 1, answer: expected[g.answer] });
    const j = new SqlitePlanJournal(db);
    expect(j.openPlans()).toEqual([]);
    j.close();
    console.log(`plan crash: ${kills} SIGKILLs, ${lines.length} dispatches for 40 tasks (${lines.length - 40} re-dispatched in flight at a kill)`);
  }, 120_000);
});
