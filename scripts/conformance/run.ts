/**
 * `npm run conformance`: the official MCP conformance suite (@modelcontextprotocol/conformance,
 * pinned in package.json) against AIOS, at the scenarios protocol revision 2025-11-25 requires
 * (`--requirements 2025-11-25`, frozen in the package's requirements/2025-11-25.yaml):
 * - server mode against the fixture served by AIOS's MCP server code (fixture-server.ts);
 * - client mode against AIOS's MCP client (client.ts, bundled once with esbuild into one file so
 *   the suite's parallel spawns start fast), the suite starting its own MCP and authorization servers.
 * Both run with expected-failures.yaml, which is empty: any failing scored scenario fails the run.
 * Prints one line per mode (`server: N passed, N failed`) and exits 1 unless both are clean.
 * Scenarios the revision does not score (extensions, pending, added after the anchor) run too and
 * are listed separately; they do not count.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { parse } from "yaml";
import { startFixtureServer } from "./fixture-server.js";

export const REVISION = "2025-11-25";
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const HERE = fileURLToPath(new URL(".", import.meta.url));
/** The installed suite (AIOS_CONFORMANCE_SUITE points elsewhere, e.g. a scratch install). */
const SUITE = process.env["AIOS_CONFORMANCE_SUITE"] ?? join(ROOT, "node_modules", "@modelcontextprotocol", "conformance");

export type Mode = "server" | "client";

export interface ScenarioResult {
  readonly name: string;
  readonly passed: number;
  readonly failed: number;
}

export interface ModeResult {
  readonly mode: Mode;
  /** Scenarios the revision requires of this mode, in the requirements file's order. */
  readonly required: readonly string[];
  readonly passed: readonly string[];
  /** Required scenarios that failed a check or did not run at all. */
  readonly failed: readonly string[];
  /** Scenarios run but not scored at this revision, with their outcome. */
  readonly notScored: readonly { readonly name: string; readonly ok: boolean }[];
  readonly exitCode: number;
  readonly output: string;
}

interface Requirements {
  server?: string[];
  client?: string[];
  not_scored?: { scenario: string; leg: Mode }[];
}

function requirements(): Requirements {
  return parse(readFileSync(join(SUITE, "requirements", `${REVISION}.yaml`), "utf8")) as Requirements;
}

/** The suite's summary lines: `✓ name: 3 passed, 0 failed`. */
export function parseSummary(output: string): Map<string, ScenarioResult> {
  const plain = output.replace(/\u001b\[[0-9;]*m/g, "");
  const out = new Map<string, ScenarioResult>();
  for (const m of plain.matchAll(/^[✓✗] (\S+): (\d+) passed, (\d+) failed/gmu)) {
    const [, name, passed, failed] = m;
    if (name !== undefined) out.set(name, { name, passed: Number(passed), failed: Number(failed) });
  }
  return out;
}

function runSuite(args: readonly string[], timeoutMs: number): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", join(HERE, "node20-register.mjs"), join(SUITE, "dist", "index.js"), ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, output });
    });
  });
}

function judge(mode: Mode, code: number, output: string): ModeResult {
  const req = requirements();
  const required = req[mode] ?? [];
  const seen = parseSummary(output);
  const ok = (name: string): boolean => {
    const r = seen.get(name);
    return r !== undefined && r.failed === 0;
  };
  // A required scenario passes when it ran, passed at least one check and failed none.
  const good = (name: string): boolean => ok(name) && (seen.get(name)?.passed ?? 0) > 0;
  return {
    mode,
    required,
    passed: required.filter(good),
    failed: required.filter((n) => !good(n)),
    notScored: (req.not_scored ?? []).filter((n) => n.leg === mode).map((n) => ({ name: n.scenario, ok: ok(n.scenario) })),
    exitCode: code,
    output,
  };
}

export interface RunOptions {
  readonly modes?: readonly Mode[];
  /** Where the suite writes per-scenario checks (default: a temp dir, removed afterwards). */
  readonly outDir?: string;
  /** Per-scenario timeout the suite applies (ms). */
  readonly scenarioTimeoutMs?: number;
}

export async function runConformance(o: RunOptions = {}): Promise<ModeResult[]> {
  const modes = o.modes ?? ["server", "client"];
  const out = o.outDir ?? mkdtempSync(join(tmpdir(), "aios-conformance-"));
  const timeout = String(o.scenarioTimeoutMs ?? 300_000);
  const common = ["--requirements", REVISION, "--expected-failures", join(HERE, "expected-failures.yaml"), "--timeout", timeout];
  const results: ModeResult[] = [];
  try {
    if (modes.includes("server")) {
      const fixture = await startFixtureServer();
      try {
        const r = await runSuite(["server", "--url", fixture.url, ...common, "-o", join(out, "server")], 15 * 60_000);
        results.push(judge("server", r.code, r.output));
      } finally {
        await fixture.close();
      }
    }
    if (modes.includes("client")) {
      // One self-contained bundle (packages included) in the temp dir: the suite spawns a client
      // per scenario, all at once, and a single file starts faster than hundreds of modules.
      const client = join(out, "client.mjs");
      const requireShim = 'import { createRequire as __aiosRequire } from "node:module"; const require = __aiosRequire(import.meta.url);';
      await build({ entryPoints: [join(HERE, "client.ts")], bundle: true, platform: "node", format: "esm", target: "node20", outfile: client, banner: { js: requireShim }, logLevel: "warning" });
      const r = await runSuite(["client", "--command", `${process.execPath} ${client}`, ...common, "-o", join(out, "client")], 15 * 60_000);
      results.push(judge("client", r.code, r.output));
    }
  } finally {
    if (o.outDir === undefined) rmSync(out, { recursive: true, force: true });
  }
  return results;
}

export function summaryLine(r: ModeResult): string {
  const extra = r.notScored.length === 0 ? "" : `; not scored at ${REVISION}: ${r.notScored.filter((n) => n.ok).length}/${r.notScored.length} pass`;
  return `${r.mode}: ${r.passed.length} passed, ${r.failed.length} failed (of ${r.required.length} required by ${REVISION})${extra}`;
}

if (import.meta.url === `file://${process.argv[1] ?? ""}`) {
  const modes = process.argv.slice(2).filter((a): a is Mode => a === "server" || a === "client");
  const keep = process.env["CONFORMANCE_OUT"];
  const results = await runConformance({ ...(modes.length === 0 ? {} : { modes }), ...(keep === undefined ? {} : { outDir: keep }) });
  let bad = false;
  for (const r of results) {
    if (r.failed.length > 0 || r.exitCode !== 0) {
      bad = true;
      process.stdout.write(r.output);
    }
  }
  for (const r of results) {
    process.stdout.write(`${summaryLine(r)}\n`);
    if (r.failed.length > 0) process.stdout.write(`  failing: ${r.failed.join(", ")}\n`);
    const ns = r.notScored.filter((n) => !n.ok).map((n) => n.name);
    if (ns.length > 0) process.stdout.write(`  not scored, failing: ${ns.join(", ")}\n`);
    if (r.exitCode !== 0) process.stdout.write(`  the suite exited with ${r.exitCode}\n`);
  }
  process.exit(bad ? 1 : 0);
}
