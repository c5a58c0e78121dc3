/**
 * Running one `aios` command: parse, act, map what went wrong to an exit code. main.ts calls it
 * with the process's argv and streams; tests call it in-process with their own streams. An error
 * prints `error: <code>: <message>` on stderr (a stack only with --verbose) and, with --json, also
 * `{"error": {code, message, retryable, details?}}` on stdout, so a script that parses stdout
 * always gets a JSON document. Usage errors (commander's) are E_INVALID_ARG and exit 2.
 */
import { CommanderError } from "commander";
import { AiosError, toAiosError } from "../core/index.js";
import { EXIT, exitCodeFor } from "./exit-codes.js";
import { Output, type OutputStreams } from "./output.js";
import { buildProgram } from "./program.js";

export async function runCli(argv: readonly string[], io: OutputStreams = {}): Promise<number> {
  let code: number = EXIT.OK;
  // Global flags are read from argv as well: an error can come before commander parsed them.
  const json = argv.includes("--json");
  const out = new Output({ json, verbose: argv.includes("--verbose"), ...io });
  const program = buildProgram((c) => (code = c), io, (msg) => out.error(new AiosError("E_INVALID_ARG", msg)));
  try {
    await program.parseAsync([...argv]);
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    out.error(e);
    return exitCodeFor(toAiosError(e).code);
  }
}
