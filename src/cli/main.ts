/**
 * The `aios` entry point (`npm run aios -- <command>`, `npx aios`, bin/aios.js). Runs the command and
 * exits with its code; an error prints `error: <code>: <message>` (a stack only with --verbose) and
 * exits with the code its AiosError code maps to (exit-codes.ts). Usage errors exit 2.
 */
import { CommanderError } from "commander";
import { toAiosError } from "../core/index.js";
import { EXIT, exitCodeFor } from "./exit-codes.js";
import { Output } from "./output.js";
import { buildProgram } from "./program.js";

export async function main(argv: readonly string[]): Promise<number> {
  let code: number = EXIT.OK;
  const program = buildProgram((c) => (code = c));
  const verbose = argv.includes("--verbose");
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    new Output({ json: false, verbose }).error(e);
    return exitCodeFor(toAiosError(e).code);
  }
}

const code = await main(process.argv);
// Let stdout drain, then leave even if a library left a handle open.
process.exitCode = code;
setImmediate(() => process.exit(code));
