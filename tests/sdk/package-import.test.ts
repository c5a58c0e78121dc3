/**
 * The package as a TypeScript user gets it (issue #11.3): `npm run build` (scripts/build.mjs:
 * esbuild's bundle and tsc's declarations, docs/adr/0032) emits dist/, and a scratch project in a
 * temp dir that depends on the package (a `file:` dependency is a symlink in node_modules) imports
 * `aios`, `defineTool` from the top level and the public subpaths, typechecks against the shipped
 * .d.ts with NodeNext resolution, and boots the OS — loading a few bundled files, not the module
 * tree, and none of the dependencies the sources import lazily. The package's dist/ is the checkout's
 * own build when it is current (bin/entry.js's rule, with the declarations present: CI's npm ci built
 * it with `npm run build` just before), copied; else `npm run build --outdir` into the scratch
 * package, a full compile of src/ (about a minute on a loaded 2-core machine).
 */
import { execFile } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { chooseEntry } from "../../bin/entry.js";

// Asynchronous, so the minute-long compile does not block the test worker (vitest's RPC times out).
const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const TSC = join(ROOT, "node_modules", "typescript", "bin", "tsc");
const BUILD = join(ROOT, "scripts", "build.mjs");
const LOAD_TRACE = join(ROOT, "tests", "cli", "fixtures", "load-trace.mjs");
const BUILT = chooseEntry(ROOT, undefined).kind === "dist" && existsSync(join(ROOT, "dist", "index.d.ts")) && existsSync(join(ROOT, "dist", "gateway", "index.d.ts"));
const work = mkdtempSync(join(tmpdir(), "aios-package-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const USER_CODE = `
import { boot, defineTool, type Aios } from "aios";
import { ToolRegistry } from "aios/tools";
import { parseModelsConfig } from "aios/models";
import { MemoryFabric } from "aios/memory";
import { parseEnvelope } from "aios/ipc";
import { Security } from "aios/security";
import { z } from "zod";

const shout = defineTool({
  name: "text.shout",
  description: "upper-cases its input",
  input: z.object({ text: z.string() }),
  sideEffect: false,
  requires: () => [],
  execute: async ({ text }) => text.toUpperCase(),
});
const os: Aios = await boot();
os.tools.register(shout);
const out = await os.callTool("text.shout", { text: "hello" });
const kinds = [typeof ToolRegistry, typeof parseModelsConfig, typeof MemoryFabric, typeof parseEnvelope, typeof Security].join(",");
await os.shutdown();
console.log(JSON.stringify({ out, kinds }));
`;

describe("the built package, imported from a scratch project", () => {
  it("exposes boot, defineTool and the subpaths, with types", async () => {
    const pkg = join(work, "node_modules", "aios");
    mkdirSync(pkg, { recursive: true });
    if (BUILT) cpSync(join(ROOT, "dist"), join(pkg, "dist"), { recursive: true });
    else await run(process.execPath, [BUILD, "--outdir", join(pkg, "dist")], { cwd: ROOT });
    copyFileSync(join(ROOT, "package.json"), join(pkg, "package.json"));
    // The package's own dependencies, as npm would have installed them beside it.
    symlinkSync(join(ROOT, "node_modules"), join(pkg, "node_modules"), "dir");
    symlinkSync(join(ROOT, "node_modules", "zod"), join(work, "node_modules", "zod"), "dir");
    symlinkSync(join(ROOT, "node_modules", "@types"), join(work, "node_modules", "@types"), "dir");
    writeFileSync(join(work, "package.json"), JSON.stringify({ name: "scratch", type: "module", private: true, dependencies: { aios: "file:./node_modules/aios" } }));
    writeFileSync(join(work, "main.ts"), USER_CODE);
    writeFileSync(join(work, "tsconfig.json"), JSON.stringify({ compilerOptions: { target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", strict: true, skipLibCheck: true, outDir: "out", types: ["node"] }, include: ["main.ts"] }));
    try {
      await run(process.execPath, [TSC, "-p", join(work, "tsconfig.json")], { cwd: work, encoding: "utf8" });
    } catch (e) {
      throw new Error(`the scratch project does not typecheck against the shipped types:\n${String((e as { stdout?: unknown }).stdout)}`);
    }
    const trace = join(work, "load.trace");
    const { stdout } = await run(process.execPath, ["--import", LOAD_TRACE, join(work, "out", "main.js")], { cwd: work, encoding: "utf8", env: { ...process.env, AIOS_LOAD_TRACE: trace } });
    expect(JSON.parse(stdout.trim().split("\n").pop() ?? "{}")).toEqual({ out: "HELLO", kinds: "function,function,function,function,function" });
    const loaded = [...new Set(readFileSync(trace, "utf8").split("\n").filter((u) => u !== ""))];
    const ours = loaded.filter((u) => u.includes("/node_modules/aios/dist/"));
    // The entry points used and their shared chunks; unbundled, this boot loaded ~360 files.
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.length).toBeLessThan(40);
    expect(loaded.filter((u) => /\/node_modules\/(@modelcontextprotocol|@a2a-js|ajv|quickjs-emscripten|yaml|pino|pg|node-llama-cpp)\//.test(u))).toEqual([]);
  }, 360_000);
});
