/**
 * The planner's CLI commands as a user runs them, against a real `aios up` daemon on a temp data
 * dir: `aios run` the three shipped market workers, `aios ledger deposit`, `aios plan "<goal>"`,
 * `aios plan-status`, `aios market book`, `aios ledger balances|transfers` and `aios reputation`,
 * human and --json output; no daemon is exit 3; a bad amount is exit 2 naming the argument.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cli, startDaemon } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "aios-planner-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("aios plan, market, ledger, reputation", () => {
  it("exits 3 without a daemon", async () => {
    const r = await cli(["--data-dir", join(dir, "none"), "ledger", "balances"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: E_UNAVAILABLE: no daemon is running/);
  }, 60_000);

  it("plans a goal through a real daemon's market and shows the book, the ledger and reputation", async () => {
    const data = join(dir, "daemon");
    const d = await startDaemon(data);
    try {
      const at = ["--data-dir", data];
      for (const w of ["bob", "ann", "cy"]) expect((await cli([...at, "run", `examples/specs/market/${w}.yaml`])).code).toBe(0);
      const bad = await cli([...at, "ledger", "deposit", "operator", "1.2345678"]);
      expect([bad.code, bad.stderr]).toEqual([2, expect.stringMatching(/^error: E_INVALID_ARG: amount: expected credits/)]);
      const dep = await cli([...at, "ledger", "deposit", "operator", "10"]);
      expect(dep.stdout).toContain("deposited 10 credits to operator; available 10 credits");
      const plan = await cli([...at, "plan", "Opal holds water; Jade is tough; Amber is fossil resin"]);
      expect(plan.code).toBe(0);
      expect(plan.stdout).toMatch(/^plan plan_\S+ v1: answered$/m);
      expect(plan.stdout).toContain("answer: Opal holds water Jade is tough Amber is fossil resin");
      const planId = /^plan (plan_\S+) v1/m.exec(plan.stdout)?.[1] ?? "";
      const st = await cli([...at, "--json", "plan-status", planId]);
      expect(JSON.parse(st.stdout)).toMatchObject({ planId, status: "answered", tasks: { part1: "done", part2: "done", part3: "done", join: "done" } });
      const book = await cli([...at, "market", "book"]);
      expect(book.stdout).toMatch(/TASK\s+STATUS\s+BUDGET\s+BIDS\s+WINNER\s+PRICE\s+PAID/);
      expect(book.stdout).toMatch(new RegExp(`${planId}/join/0\\s+refunded`));
      expect(book.stdout).toMatch(new RegExp(`${planId}/join/0/r1\\s+settled`));
      const bal = await cli([...at, "ledger", "balances"]);
      expect(bal.code).toBe(0);
      expect(bal.stdout).toMatch(/^operator\s+default\s+9\.55\s/m);
      expect(bal.stdout).toMatch(/double entry over \d+ accounts: .*pending 0 = 0: balanced/);
      const tr = await cli([...at, "--json", "ledger", "transfers", "--account", "operator"]);
      const transfers = JSON.parse(tr.stdout) as { id: string }[];
      expect(transfers.map((t) => t.id)).toContain(`task:${planId}/join/0:void`);
      const rep = await cli([...at, "reputation"]);
      expect(rep.stdout).toMatch(/AGENT\s+TRUST\s+QUALITY\s+RELIABILITY/);
      expect(rep.stdout.split("\n").length).toBeGreaterThan(4);
    } finally {
      d.proc.kill("SIGTERM");
      await d.exited;
    }
  }, 180_000);
});
