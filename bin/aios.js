#!/usr/bin/env node
// The `aios` command. Runs the build (dist/cli/main.js) when it is current, else the TypeScript
// sources through tsx's loader, so a development checkout never runs stale code (bin/entry.js,
// docs/adr/0025). `AIOS_CLI=src|dist` forces one; `AIOS_CLI_TRACE=1` says which on stderr.
import { fileURLToPath, pathToFileURL } from "node:url";
import { chooseEntry } from "./entry.js";

let entry;
try {
  entry = chooseEntry(fileURLToPath(new URL("..", import.meta.url)), process.env["AIOS_CLI"]);
} catch (e) {
  process.stderr.write(`error: E_CONFIG: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(2);
}
if (process.env["AIOS_CLI_TRACE"] === "1") process.stderr.write(`aios: running ${entry.kind} (${entry.why}): ${entry.path}\n`);
if (entry.kind === "src") {
  const { register } = await import("tsx/esm/api");
  register();
}
await import(pathToFileURL(entry.path).href);
