/**
 * `--json` covers every command and every error (issue #11 item 8): each command of the tree is run
 * with --json against a real daemon (`aios up` in a child process, on loopback, temp data dir) and
 * its stdout must be one JSON document — the result, or `{"error": {code, message, retryable}}` —
 * with the documented exit code. The table must name every command the program defines, so a new
 * command without a case fails here. Commands run in this process through runCli (the same code
 * path as bin/aios.js, with captured streams) to keep the file quick; tests/cli/cli.test.ts and
 * logs-durable.test.ts run the CLI as child processes. Here too, as child processes: a missing
 * token file and a token the daemon refuses get different messages.
 */
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../src/cli/program.js";
import { cli, cliInProcess, useDaemon } from "./helpers.js";

const fx = useDaemon("aios-json-");

async function json(args: readonly string[]): Promise<{ code: number; doc: unknown; stderr: string }> {
  const { code, stdout, stderr } = await cliInProcess(["--data-dir", fx.data, "--json", ...args]);
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw new Error(`aios ${args.join(" ")} (exit ${code}) did not print one JSON document: ${JSON.stringify(stdout)} stderr ${stderr}`);
  }
  return { code, doc, stderr };
}

/** Every command with an action, as its path ("cap grant"). */
function commandPaths(cmd: Command, prefix: string[] = []): string[] {
  const paths: string[] = [];
  for (const c of cmd.commands) {
    const path = [...prefix, c.name()];
    if ((c as unknown as { _actionHandler: unknown })._actionHandler !== null) paths.push(path.join(" "));
    paths.push(...commandPaths(c, path));
  }
  return paths;
}

type Case = { args: string[]; code: number; error?: string };

describe("--json everywhere", () => {
  it("prints one JSON document with the documented exit code for every command, results and errors alike", async () => {
    const spec = join(fx.dir, "bad.yaml");
    writeFileSync(spec, "name: x\nkind: code\n");
    const busy = join(fx.dir, "busy");
    mkdirSync(busy);
    writeFileSync(join(busy, "f"), "");
    const team = await json(["run", "examples/specs/team.yaml"]);
    expect(team.code).toBe(0);

    const cases: Record<string, Case[]> = {
      up: [{ args: ["up", "--port", "99999"], code: 2, error: "E_INVALID_ARG" }],
      run: [{ args: ["run", "examples/specs/worker.yaml", "--goal", '{"type":"square","n":3}'], code: 0 }, { args: ["run", spec], code: 2, error: "E_INVALID_SPEC" }],
      ps: [{ args: ["ps", "--name", "worker-*"], code: 0 }, { args: ["ps", "--kind", "robot"], code: 2, error: "E_INVALID_ARG" }],
      status: [{ args: ["status", "worker-1"], code: 0 }, { args: ["status"], code: 0 }, { args: ["status", "nobody"], code: 1, error: "E_NO_AGENT" }],
      recover: [{ args: ["recover"], code: 1, error: "E_CONFLICT" }],
      logs: [{ args: ["logs", "worker-1"], code: 0 }, { args: ["logs", "nobody"], code: 1, error: "E_NO_AGENT" }],
      pause: [{ args: ["pause", "worker-2"], code: 0 }],
      resume: [{ args: ["resume", "worker-2"], code: 0 }],
      restart: [{ args: ["restart", "worker-2"], code: 0 }, { args: ["restart", "nobody"], code: 1, error: "E_NO_AGENT" }],
      migrate: [{ args: ["migrate", "worker-1", "node-b"], code: 1, error: "E_CONFLICT" }],
      kill: [{ args: ["kill", "worker-3"], code: 0 }],
      tree: [{ args: ["tree"], code: 0 }],
      send: [{ args: ["send", "worker-1", '{"type":"square","n":5}', "--request"], code: 0 }, { args: ["send", "nobody", "hi"], code: 1, error: "E_NO_AGENT" }],
      "cap grant": [{ args: ["cap", "grant", "worker-1", "tool:file.read#call"], code: 0 }, { args: ["cap", "grant", "worker-1", "%%%"], code: 2, error: "E_INVALID_ARG" }],
      "cap revoke": [{ args: ["cap", "revoke", "tok_nothing"], code: 1, error: "E_NOT_FOUND" }],
      "cap ls": [{ args: ["cap", "ls", "worker-1"], code: 0 }],
      "cap explain": [{ args: ["cap", "explain", "worker-1", "shell#exec"], code: 1 }],
      "audit verify": [{ args: ["audit", "verify"], code: 0 }],
      approvals: [{ args: ["approvals"], code: 0 }, { args: ["approvals", "--status", "maybe"], code: 2, error: "E_INVALID_ARG" }],
      "approvals approve": [{ args: ["approvals", "approve", "apr_nothing"], code: 1, error: "E_NOT_FOUND" }],
      "approvals deny": [{ args: ["approvals", "deny", "apr_nothing"], code: 1, error: "E_NOT_FOUND" }],
      escalations: [{ args: ["escalations"], code: 0 }],
      "escalations decide": [{ args: ["escalations", "decide", "esc_nothing", "maybe"], code: 2, error: "E_INVALID_ARG" }],
      plan: [{ args: ["plan", "anything", "--budget", "lots"], code: 2, error: "E_INVALID_ARG" }],
      "plan-status": [{ args: ["plan-status", "plan_nothing"], code: 1, error: "E_NOT_FOUND" }],
      "market book": [{ args: ["market", "book"], code: 0 }],
      "ledger balances": [{ args: ["ledger", "balances"], code: 0 }],
      "ledger transfers": [{ args: ["ledger", "transfers"], code: 0 }],
      "ledger deposit": [{ args: ["ledger", "deposit", "acct", "1.5.5"], code: 2, error: "E_INVALID_ARG" }],
      reputation: [{ args: ["reputation"], code: 0 }],
      "mcp add": [{ args: ["mcp", "add", "fs", "--url", "http://127.0.0.1:9/mcp"], code: 0 }],
      "mcp ls": [{ args: ["mcp", "ls"], code: 0 }],
      "mcp rm": [{ args: ["mcp", "rm", "fs"], code: 0 }, { args: ["mcp", "rm", "fs"], code: 1, error: "E_NOT_FOUND" }],
      "mcp serve": [{ args: ["mcp", "serve"], code: 2, error: "E_INVALID_ARG" }],
      demo: [{ args: ["--data-dir", busy, "demo"], code: 2, error: "E_INVALID_ARG" }],
      "mem put": [{ args: ["mem", "put", "observation", "json everywhere"], code: 0 }, { args: ["mem", "put", "no_such_type", "{}"], code: 2, error: "E_INVALID_ARG" }],
      "mem query": [{ args: ["mem", "query", "everywhere"], code: 0 }],
      "mem get": [{ args: ["mem", "get", "mem_nothing"], code: 1, error: "E_NOT_FOUND" }],
      "mem history": [{ args: ["mem", "history", "mem_nothing"], code: 1, error: "E_NOT_FOUND" }],
      "mem link": [{ args: ["mem", "link", "mem_a", "mem_b", "bad type!"], code: 2, error: "E_INVALID_ARG" }],
      "tools ls": [{ args: ["tools", "ls"], code: 0 }],
      "tools describe": [{ args: ["tools", "describe", "file.read"], code: 0 }, { args: ["tools", "describe", "no.such"], code: 1, error: "E_NO_TOOL" }],
      "tools call": [{ args: ["tools", "call", "file.read", "[1]"], code: 2, error: "E_INVALID_ARG" }],
      "secrets set": [{ args: ["secrets", "set", "1bad"], code: 2, error: "E_INVALID_ARG" }],
      "secrets ls": [{ args: ["secrets", "ls"], code: 0 }],
      "secrets rm": [{ args: ["secrets", "rm", "NOTHING"], code: 1, error: "E_NOT_FOUND" }],
      upgrade: [{ args: ["upgrade", "worker-1", "[1]"], code: 2, error: "E_INVALID_ARG" }],
      nodes: [{ args: ["nodes", "--cluster", "c1"], code: 2, error: "E_INVALID_ARG" }],
    };
    expect(Object.keys(cases).sort()).toEqual(commandPaths(buildProgram(() => undefined)).sort());

    for (const [name, list] of Object.entries(cases)) {
      for (const c of list) {
        const r = await json(c.args);
        expect({ name, args: c.args, code: r.code }, r.stderr).toEqual({ name, args: c.args, code: c.code });
        const err = (r.doc as { error?: { code?: unknown; message?: unknown; retryable?: unknown } }).error;
        if (c.error === undefined) expect(err, `${name}: ${r.stderr}`).toBeUndefined();
        else expect(err).toMatchObject({ code: c.error, message: expect.any(String) as unknown, retryable: expect.any(Boolean) as unknown });
        // Progress and notes go to stderr, never into the JSON on stdout; an error is said there too.
        if (c.error !== undefined) expect(r.stderr).toContain(`error: ${c.error}: `);
      }
    }
  }, 60_000);

  it("tells a missing token file from a token the daemon refuses", async () => {
    const noToken = join(fx.dir, "no-token");
    const wrongToken = join(fx.dir, "wrong-token");
    for (const x of [noToken, wrongToken]) {
      mkdirSync(x);
      copyFileSync(join(fx.data, "daemon.json"), join(x, "daemon.json"));
    }
    writeFileSync(join(wrongToken, "api-token"), "not-the-token\n");
    const [missing, wrong] = await Promise.all([cli(["--data-dir", noToken, "ps"]), cli(["--data-dir", wrongToken, "--json", "ps"])]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: E_AUTH: no API token: .*no-token\/api-token: it does not exist; the daemon \(pid \d+\) writes it at `aios up`/);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^error: E_AUTH: the daemon at http:\/\/127\.0\.0\.1:\d+ refused the token in .*wrong-token\/api-token: it is not the token this daemon was started with/);
    expect(JSON.parse(wrong.stdout)).toMatchObject({ error: { code: "E_AUTH" } });
  }, 20_000);
});
