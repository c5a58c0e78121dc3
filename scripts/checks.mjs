#!/usr/bin/env node
/**
 * `npm run checks`: the static checks `npm test` runs before vitest — type-check, lint (eslint,
 * madge, check-layers) and the API reference — side by side rather than one after another. Each is
 * one single-threaded process; run in sequence they leave the machine's other cores idle for
 * minutes. Each check's output is held and printed whole when it ends (no interleaving), and the
 * exit code is the first failure's, after all of them ended. Usage: node scripts/checks.mjs
 */
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
// TypeDoc skips its own type-check of src/: typecheck, beside it, checks src/ with the same compiler
// options (tsconfig.build.json extends tsconfig.json) and fails the run on any error.
const CHECKS = [["typecheck"], ["lint"], ["docs", "--", "--skipErrorChecking"]];

/** Runs `npm run <name>`, resolving with its exit code and everything it printed, in order. */
function run([name, ...args]) {
  return new Promise((resolve) => {
    const started = Date.now();
    const p = spawn(npm, ["run", "--silent", name, ...args], { cwd: root, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, FORCE_COLOR: process.env["FORCE_COLOR"] ?? "0" } });
    const chunks = [];
    p.stdout.on("data", (d) => chunks.push(d));
    p.stderr.on("data", (d) => chunks.push(d));
    p.once("error", (e) => resolve({ name, code: 1, out: `${e.message}\n`, seconds: 0 }));
    p.once("close", (code, signal) => resolve({ name, code: code ?? (signal === null ? 1 : 128), out: Buffer.concat(chunks).toString(), seconds: (Date.now() - started) / 1000 }));
  });
}

let failed = 0;
await Promise.all(
  CHECKS.map(async (check) => {
    const r = await run(check);
    const name = r.name;
    process.stdout.write(`\n> npm run ${name}: ${r.code === 0 ? "ok" : `FAILED (exit ${r.code})`} in ${r.seconds.toFixed(0)} s\n${r.out}`);
    if (r.code !== 0 && failed === 0) failed = r.code;
  }),
);
process.exit(failed);
