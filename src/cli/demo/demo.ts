/**
 * `aios demo` (and `npm run demo`): a narrated tour on a fresh data dir with the embedded default
 * stack and no network. Sections 1-4 and 6-9 run on a kernel in this process; section 5 runs kernels
 * in child processes so one can be SIGKILLed. A temporary data dir is removed afterwards unless
 * --keep; a --data-dir the user names must be empty (the demo's claims are about a fresh start).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AiosError } from "../../core/index.js";
import { ControlPlane } from "../../gateway/index.js";
import { boot } from "../../sdk/index.js";
import { atInterrupt, interruptible } from "../cleanup.js";
import type { CliContext } from "../context.js";
import { ensureTsLoader } from "../ts-loader.js";
import { Narrator } from "./narrator.js";
import { EXAMPLE_AGENTS } from "./paths.js";
import { sectionDurable } from "./section-durable.js";
import { localModelConfig, sectionModel } from "./section-model.js";
import { sectionMarket } from "./section-market.js";
import { sectionMemory } from "./section-memory.js";
import { sectionSecurity } from "./section-security.js";
import { sectionCrash, sectionMessaging, sectionPause, sectionTree } from "./sections-kernel.js";

export interface DemoOptions {
  readonly keep: boolean;
  /** The --data-dir the user gave (must be empty or absent); a temporary one otherwise. */
  readonly explicitDataDir: string | undefined;
}

function freshDir(explicit: string | undefined): string {
  if (explicit === undefined) return mkdtempSync(join(tmpdir(), "aios-demo-"));
  if (existsSync(explicit) && readdirSync(explicit).length > 0) {
    throw new AiosError("E_INVALID_ARG", `--data-dir: the demo needs a fresh directory and ${explicit} is not empty`, { details: { path: "data-dir" } });
  }
  return explicit;
}

export async function demo(ctx: CliContext, o: DemoOptions): Promise<number> {
  const dataDir = freshDir(o.explicitDataDir);
  // Ctrl-C or a closed pipe (`aios demo | head`) removes the temporary data dir and child kernels.
  const temporary = !o.keep && o.explicitDataDir === undefined;
  const forgetDir = temporary ? atInterrupt(`temporary data dir ${dataDir}`, () => rmSync(dataDir, { recursive: true, force: true })) : () => undefined;
  const uninterruptible = interruptible();
  const say = new Narrator(ctx.out);
  ctx.out.line("AIOS demo: agents are processes, tools are syscalls, every effect is checked, journaled and audited.");
  ctx.out.line(`data dir ${dataDir} (embedded default: SQLite journal, keys, audit log; no network)`);
  const model = localModelConfig();
  await ensureTsLoader(); // the example agents are TypeScript
  const os = await ctx.out.progress("booting the kernel", boot({ dataDir, moduleRoots: [EXAMPLE_AGENTS], ...(model === undefined ? {} : { models: model }) }));
  const plane = new ControlPlane(os);
  let ok = true;
  try {
    const team = await sectionTree(os, say);
    await sectionMessaging(os, say, team);
    await sectionCrash(os, say, team);
    await sectionPause(os, say, team);
    await sectionDurable(join(dataDir, "durable-demo"), say);
    ok = (await sectionSecurity(os, plane, say)) && ok;
    await sectionModel(os, say, model !== undefined);
    ok = (await sectionMarket(os, say)) && ok;
    ok = (await sectionMemory(os, say, dataDir)) && ok;
  } finally {
    plane.close();
    await os.shutdown("demo finished");
    if (temporary) rmSync(dataDir, { recursive: true, force: true });
    forgetDir();
    uninterruptible();
  }
  ctx.out.line("");
  ctx.out.line(`demo finished in ${say.elapsed()}${ok ? "" : " WITH FAILURES"}; ${o.keep || o.explicitDataDir !== undefined ? `data kept in ${dataDir}` : "temporary data dir removed"}`);
  ctx.out.line("next: `aios up` runs a daemon; `aios run examples/specs/team.yaml`, `aios tree`, `aios logs <id> -f` (see `aios --help`)");
  ctx.out.line("      LLM agents that use memory and the sandbox: `aios run examples/specs/research.yaml --models examples/models.yaml --goal ...` (README \"Example agents\")");
  return ok ? 0 : 1;
}
