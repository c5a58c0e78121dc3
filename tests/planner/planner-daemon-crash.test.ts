/**
 * A plan in flight survives kill -9 of the daemon, through the wired boot path: a real child process
 * boots AIOS on a data dir (default stack, durable workers), runs a six-part plan through the market
 * and is SIGKILLed after two tasks are journaled done; a new process boots on the same data dir and
 * kills again after two more; a third boots and runs to the end. boot() itself resumes the plan.
 * Checked: no task done before a kill is done again; the answer equals the faithful one; every plan
 * task is paid exactly once (a reservation locked at a kill is voided, never paid twice); the ledger
 * balances with nothing left pending.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const CHILD = join(HERE, "fixtures", "planner-daemon-child.ts");
const ROOT = resolve(HERE, "../..");
const dir = mkdtempSync(join(tmpdir(), "aios-planner-daemon-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  killed: boolean;
  done: string[];
  plan?: string;
  lines: Map<string, unknown>;
}

function runChild(args: string[], killAfterDone?: number): Promise<Run> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, dir, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    const run: Run = { killed: false, done: [], lines: new Map() };
    let buf = "";
    child.stdout.on("data", (chunk: Buffer) => {
      buf += chunk.toString();
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith("D ")) {
          run.done.push(line.slice(2));
          if (killAfterDone !== undefined && run.done.length === killAfterDone) child.kill("SIGKILL");
        } else if (line.startsWith("PLAN ")) run.plan = line.slice(5);
        else {
          const sp = line.indexOf(" ");
          if (sp > 0) run.lines.set(line.slice(0, sp), JSON.parse(line.slice(sp + 1)) as unknown);
        }
      }
    });
    child.on("error", rej);
    child.on("exit", (code, signal) => {
      if (signal === "SIGKILL") res({ ...run, killed: true });
      else if (code === 0) res(run);
      else rej(new Error(`child exited with ${code ?? signal}`));
    });
  });
}

describe("a plan through the wired daemon survives kill -9", () => {
  it("resumes after two kills, redoes nothing finished, pays each task once and balances", async () => {
    const first = await runChild(["start"], 2);
    expect(first.killed).toBe(true);
    const planId = first.plan as string;
    expect(planId).toMatch(/^plan_/);
    const second = await runChild(["resume", planId], 2);
    expect(second.killed).toBe(true);
    const last = await runChild(["resume", planId]);
    expect(last.killed).toBe(false);
    const before = [...first.done, ...second.done];
    // Nothing journaled done before a kill is done again afterwards.
    expect(new Set(before).size).toBe(before.length);
    for (const t of last.done) expect(before).not.toContain(t);
    expect(new Set([...before, ...last.done])).toEqual(new Set(["part1", "part2", "part3", "part4", "part5", "part6", "join"]));
    expect(last.lines.get("OUTCOME")).toEqual({ status: "answered", answer: { text: "p1 alpha p2 beta p3 gamma p4 delta p5 epsilon p6 zeta" } });
    expect(last.lines.get("TOTALS")).toMatchObject({ balanced: true, debitsPending: "0", creditsPending: "0" });
    expect(last.lines.get("PAYS")).toEqual({ part1: 1, part2: 1, part3: 1, part4: 1, part5: 1, part6: 1, join: 1 });
  }, 120_000);
});
