/**
 * What keeps `aios ps` quick (docs/adr/0025), checked by behaviour, never by the clock: a quick
 * command loads only the CLI's light files — no gateway/, sdk/, kernel stack, zod or yaml (traced
 * with a module resolve hook in the real child process) — and the build in dist/ runs both a quick
 * command against a daemon and an in-process `aios run` of a TypeScript example agent (tsx's loader
 * registered only for commands that boot a kernel).
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { AgentInfo } from "../../src/kernel/index.js";
import { chooseEntry } from "../../bin/entry.js";
import { runNode, useDaemon, type CliResult } from "./helpers.js";

const TRACE = resolve("tests/cli/fixtures/load-trace.mjs");
// The dist/ tests need a build of these sources (CI's npm ci builds it); a stale one is skipped.
const DIST_CURRENT = existsSync("dist/cli/main.js") && chooseEntry(process.cwd(), undefined).kind === "dist";

const fx = useDaemon("aios-speed-");

function bin(args: readonly string[], env: NodeJS.ProcessEnv, node: readonly string[] = []): Promise<CliResult> {
  return runNode([...node, "bin/aios.js", ...args], env);
}

describe("a quick command's modules", () => {
  it("aios ps loads the CLI's light files only: no gateway, sdk, kernel stack, zod or yaml", async () => {
    const trace = join(fx.dir, "ps.trace");
    const r = await bin(["--data-dir", fx.data, "--json", "ps"], { AIOS_CLI: "src", AIOS_LOAD_TRACE: trace }, ["--import", TRACE]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([]);
    const loaded = readFileSync(trace, "utf8").split("\n").filter((u) => u !== "");
    const ours = loaded.filter((u) => u.includes("/src/"));
    expect(ours.some((u) => u.endsWith("/src/cli/agent-commands.ts"))).toBe(true);
    expect(ours.filter((u) => /\/src\/(gateway|sdk|kernel|tools|models|memory|planner|security|audit|store|ipc|sched|observe)\//.test(u))).toEqual([]);
    expect(loaded.filter((u) => /\/node_modules\/(zod|yaml|hono|better-sqlite3|@modelcontextprotocol)\//.test(u))).toEqual([]);
  }, 20_000);
});

describe.skipIf(!DIST_CURRENT)("the CLI from dist/ (built by npm ci's prepare)", () => {
  it("serves a quick command against the daemon", async () => {
    const r = await bin(["--data-dir", fx.data, "--json", "ps"], { AIOS_CLI: "dist", AIOS_CLI_TRACE: "1" });
    expect(r.stderr).toMatch(/^aios: running dist \(AIOS_CLI\): .*dist\/cli\/main\.js\n$/);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout) as AgentInfo[]).toEqual([]);
  }, 20_000);

  it("runs a TypeScript example agent in-process (tsx's loader registered for kernel commands)", async () => {
    const r = await bin(["--data-dir", join(fx.dir, "inproc"), "--json", "run", "examples/specs/worker.yaml", "--goal", '{"type":"square","n":7}'], { AIOS_CLI: "dist" });
    expect(r.stderr).toContain("running in-process");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ reply: 49 });
  }, 20_000);
});
