/**
 * tsx's loader for commands that boot a kernel while the CLI runs from dist/ (plain node): agent
 * modules a spec names may be TypeScript (examples/agents/*.ts, the user's own), and Node 20 cannot
 * import .ts by itself. Quick commands never pay for it (docs/adr/0025). Registered once: under
 * tsx already (this file is .ts) nothing is done, because tsx registered twice hangs worker threads.
 */
let registered = false;

export async function ensureTsLoader(): Promise<void> {
  if (registered || import.meta.url.endsWith(".ts")) return;
  registered = true;
  const { register } = await import("tsx/esm/api");
  register();
}
