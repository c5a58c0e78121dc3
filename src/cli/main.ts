/**
 * The `aios` entry point (`npm run aios -- <command>`, `npx aios`, bin/aios.js): runs the command
 * (run-cli.ts) and exits with its code. Output closed under us (`aios demo | head`) ends the
 * command quietly: the cleanups registered in cleanup.ts run (temp dirs, child kernels) and the
 * process exits 141, as a process killed by SIGPIPE would, with nothing on stderr.
 */
import { onOutputClosed } from "./cleanup.js";
import { runCli } from "./run-cli.js";

onOutputClosed();
const code = await runCli(process.argv);
// Let stdout drain, then leave even if a library left a handle open.
process.exitCode = code;
setImmediate(() => process.exit(code));
