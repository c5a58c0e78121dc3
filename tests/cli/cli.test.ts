/**
 * The CLI through real child processes: --help and usage errors, exit codes (0, 1, 2, 3, 4), `run`
 * in-process when no daemon is up (and saying so), and a real `aios up` daemon driven by the CLI with
 * --json — run, ps, status, kill, send --request — then SIGTERM: exit 0, daemon.json removed, and the
 * journal flushed so the next `up` on the same data dir brings the durable counter back.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentInfo } from "../../src/kernel/index.js";
import { HttpControl } from "../../src/cli/client.js";
import type { CounterState } from "../../examples/agents/counter.js";
import { cli, startDaemon } from "./helpers.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "aios-cli-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("aios: help, usage and exit codes without a daemon", () => {
  it("documents commands and exit codes; usage errors exit 2; no daemon exits 3", async () => {
    const data = join(dir, "none");
    const [help, psHelp, bogus, badOpt, ps] = await Promise.all([
      cli(["--help"]),
      cli(["ps", "--help"]),
      cli(["bogus"]),
      cli(["ps", "--limit", "zero"]),
      cli(["--data-dir", data, "--json", "ps"]),
    ]);
    expect(help.code).toBe(0);
    for (const c of ["up", "run", "ps", "status", "logs", "pause", "resume", "kill", "tree", "cap", "audit", "approvals", "escalations", "demo"]) expect(help.stdout).toContain(c);
    expect(help.stdout).toMatch(/Exit codes:[\s\S]*3 {2}cannot reach the daemon[\s\S]*4 {2}audit verification failed/);
    expect(psHelp.code).toBe(0);
    expect(psHelp.stdout).toContain("--status <list>");
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/^error: E_INVALID_ARG: unknown command 'bogus'/);
    expect(badOpt.code).toBe(2);
    expect(ps.code).toBe(3);
    expect(ps.stderr).toMatch(/^error: E_UNAVAILABLE: no daemon is running for /);
    expect(ps.stderr).not.toMatch(/\n\s+at /); // no stack trace without --verbose
  }, 60_000);

  it("runs a spec in-process, says so, and audit verify checks the files (exit 4 once tampered)", async () => {
    const data = join(dir, "inproc");
    const bad = join(dir, "bad.yaml");
    writeFileSync(bad, "name: x\nkind: code\n");
    const [run, badRun] = await Promise.all([
      cli(["--data-dir", data, "--json", "run", "examples/specs/worker.yaml", "--goal", '{"type":"square","n":4}']),
      cli(["--data-dir", join(dir, "bad"), "run", bad]),
    ]);
    expect(run.stderr).toContain("running in-process");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ reply: 16 });
    expect(badRun.code).toBe(2);
    expect(badRun.stderr).toMatch(/^error: E_INVALID_SPEC: .*bad\.yaml: logic/);

    const ok = await cli(["--data-dir", data, "audit", "verify"]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("OK: intact");
    const db = new Database(join(data, "audit", "audit.db"));
    db.prepare("UPDATE audit_entries SET body = replace(body, 'running', 'RUNNING') WHERE seq = (SELECT MIN(seq) FROM audit_entries WHERE body LIKE '%running%')").run();
    db.close();
    const tampered = await cli(["--data-dir", data, "audit", "verify"]);
    expect(tampered.code).toBe(4);
    expect(tampered.stdout).toMatch(/TAMPERED: first bad entry seq \d+/);
  }, 60_000);
});

describe("aios: a real daemon", () => {
  it("serves the CLI, refuses a second daemon and a taken port, drains on SIGTERM and recovers durable agents", async () => {
    const data = join(dir, "daemon");
    const d = await startDaemon(data);
    const info = JSON.parse(readFileSync(join(data, "daemon.json"), "utf8")) as { pid: number; port: number };
    expect(info).toMatchObject({ pid: d.pid, port: d.port });
    const g = ["--data-dir", data, "--json"];

    const [team, counter, second, taken] = await Promise.all([
      cli([...g, "run", "examples/specs/team.yaml"]),
      cli([...g, "run", "examples/specs/counter.yaml"]),
      cli(["--data-dir", data, "up", "--port", "0"]),
      cli(["--data-dir", join(dir, "other"), "up", "--port", String(d.port)]),
    ]);
    expect(team.stderr).toContain("using the daemon");
    expect(team.code).toBe(0);
    const teamId = (JSON.parse(team.stdout) as { id: string }).id;
    const counterId = (JSON.parse(counter.stdout) as { id: string }).id;
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`error: E_CONFLICT: a daemon (pid ${d.pid}) already serves`);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain(`error: E_CONFIG: port ${d.port} on 127.0.0.1 is already in use`);

    // Feed the durable counter through the API (the harness, not the subject here).
    const api = new HttpControl(`http://127.0.0.1:${d.port}`, readFileSync(join(data, "api-token"), "utf8").trim());
    for (let seq = 1; seq <= 5; seq++) await api.send(counterId, { seq });

    const [ps, status, missing] = await Promise.all([cli([...g, "ps"]), cli([...g, "status", teamId]), cli([...g, "status", "ag_missing"])]);
    const agents = JSON.parse(ps.stdout) as AgentInfo[];
    expect(agents.map((a) => a.name).sort()).toEqual(["counter", "team", "worker-1", "worker-2", "worker-3"]);
    expect(JSON.parse(status.stdout)).toMatchObject({ id: teamId, kind: "supervisor", status: "running" });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: E_NO_AGENT: no agent ag_missing/);
    const w1 = agents.find((a) => a.name === "worker-1")?.id ?? "";
    const [kill, square] = await Promise.all([cli([...g, "kill", w1]), cli([...g, "send", counterId, '{"type":"get"}', "--request"])]);
    expect(JSON.parse(kill.stdout)).toMatchObject({ id: w1, killed: true });
    expect((JSON.parse(square.stdout) as { reply: CounterState }).reply).toMatchObject({ count: 5, last: 5 });

    d.proc.kill("SIGTERM");
    expect(await d.exited).toEqual({ code: 0, signal: null });
    expect(d.stderr()).toContain("SIGTERM: draining");
    expect(existsSync(join(data, "daemon.json"))).toBe(false);
    expect((await cli([...g, "ps"])).code).toBe(3);

    // The drain flushed the journal and left durable agents to resume: the counter comes back.
    const again = await startDaemon(data);
    const back = await cli([...g, "send", counterId, '{"type":"get"}', "--request"]);
    expect((JSON.parse(back.stdout) as { reply: CounterState }).reply).toMatchObject({ count: 5, last: 5, gaps: 0, restoredFrom: 5 });
    again.proc.kill("SIGTERM");
    expect((await again.exited).code).toBe(0);
  }, 120_000);
});
