#!/usr/bin/env node
/**
 * `npm run build`: the package's dist/ (docs/adr/0032). tsc emits the declarations (.d.ts, one per
 * source file, so the `types` of every `exports` subpath and TypeDoc stay as they were); esbuild
 * bundles the JavaScript: one file per entry point below plus shared chunks in dist/chunks/, ESM,
 * with code splitting so every `import()` the sources make lazily stays a chunk loaded on first use.
 * Why: a process loading ~360 small modules spent ~0.3 CPU-s resolving, reading and linking them.
 *
 * Every package in node_modules stays external (`packages: "external"`): native addons
 * (better-sqlite3, node-llama-cpp) cannot be bundled, lazy dependencies stay lazy, and a user's
 * npm dedupes them as before.
 *
 * `import.meta.url` is the one thing bundling changes under the code's feet: a module moved into a
 * chunk would see the chunk's URL, and the files it locates relative to itself (worker threads,
 * examples, the demo's child) would be looked for in the wrong place. So each use is rewritten to
 * the URL the module had in an unbundled dist/ (`new URL("<path from this output file>",
 * import.meta.url).href`): a marker at load time, resolved per output file once the chunks exist.
 *
 * Usage: node scripts/build.mjs [--outdir <dir>] [--no-types]
 */
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SRC = join(ROOT, "src");
const args = process.argv.slice(2);
const at = args.indexOf("--outdir");
const OUT = at >= 0 && args[at + 1] !== undefined ? resolve(args[at + 1]) : join(ROOT, "dist");
const TYPES = !args.includes("--no-types");

/** The package's `exports` targets, the CLI, and the files started as threads or processes by path. */
function entryPoints() {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const fromExports = Object.values(pkg.exports).map((e) => {
    const m = /^\.\/dist\/(.+)\.js$/.exec(e.default);
    if (m === null) throw new Error(`package.json exports: expected ./dist/<path>.js, got ${e.default}`);
    return `src/${m[1]}.ts`;
  });
  const own = [
    "src/cli/main.ts", // bin/aios.js runs it
    "src/kernel/isolate-worker.ts", // isolate-pool.ts starts it as a worker thread
    "src/memory/lexical-thread.ts", // lexical-worker.ts starts it as a worker thread
    "src/cli/demo/durable-child.ts", // the demo's durability section spawns it as a process
  ];
  return [...new Set([...fromExports, ...own])].map((p) => join(ROOT, p));
}

const MARK = "__aios_module_url__:";

/** Rewrites `import.meta.url` (as an expression, not inside a string key) to a per-module marker. */
const moduleUrls = {
  name: "aios-module-urls",
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (a) => {
      const text = readFileSync(a.path, "utf8");
      if (!a.path.startsWith(SRC + "/") || !text.includes("import.meta.url")) return undefined;
      const rel = relative(SRC, a.path).replace(/\.ts$/, ".js");
      const contents = text.replace(/(?<!["'`\w.])import\.meta\.url(?!["'`\w])/g, `new URL(${JSON.stringify(MARK + rel)}, import.meta.url).href`);
      return { contents, loader: "ts" };
    });
  },
};

function resolveMarkers(file) {
  const text = readFileSync(file, "utf8");
  if (!text.includes(MARK)) return;
  const out = text.replace(/"__aios_module_url__:([^"]+)"/g, (_, rel) => {
    const r = relative(dirname(file), join(OUT, rel));
    return JSON.stringify(r.startsWith(".") ? r : `./${r}`);
  });
  writeFileSync(file, out);
}

rmSync(OUT, { recursive: true, force: true });
const started = Date.now();
const result = await esbuild.build({
  absWorkingDir: ROOT,
  entryPoints: entryPoints(),
  outbase: SRC,
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  chunkNames: "chunks/[name]-[hash]",
  sourcemap: "linked",
  sourcesContent: false,
  metafile: true,
  logLevel: "warning",
  plugins: [moduleUrls],
});
const outputs = Object.keys(result.metafile.outputs).filter((f) => f.endsWith(".js"));
for (const f of outputs) resolveMarkers(join(ROOT, f));
process.stdout.write(`esbuild: ${outputs.length} files in ${relative(ROOT, OUT) || "."}/ (${Date.now() - started} ms)\n`);
if (TYPES) {
  execFileSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", join(ROOT, "tsconfig.build.json"), "--emitDeclarationOnly", "--outDir", OUT], { stdio: "inherit" });
}
