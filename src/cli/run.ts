/**
 * `aios run <spec> [--goal ...] [--follow]`. An llm spec with --goal streams the model's answer
 * (run-llm.ts). The spec file is parsed here first (a bad spec is exit 2
 * before anything starts; `module` paths resolve relative to the file). With a live daemon the agent
 * is spawned there and outlives this command; otherwise a kernel boots in this process and the agent
 * lives as long as the command. With --goal the agent is asked to do it (an llm agent gets
 * `{type:"start"}` with the goal in its spec, a code agent gets the goal as a request) and the
 * answer is printed; without one, a daemon run prints the id and an in-process run waits for the
 * agent to end. --follow prints the agent's events meanwhile. While it waits, the command keeps the
 * process alive itself (the kernel's timers are unreferenced), until the answer, the end, the
 * timeout or Ctrl-C.
 *
 * An in-process run ends what it started: when the command ends (answer, end, error or Ctrl-C) the
 * agents it spawned that still run are killed before the kernel drains, so the next `aios up` or
 * `aios run` on the data dir does not bring them back from the journal. `--keep` leaves them there
 * and says so: they are durable and resume at the next boot on that data dir.
 */
import { isTerminal, loadSpecFile, type AgentSpec } from "../abi/index.js";
import { ControlPlane, type ControlApi } from "../gateway/index.js";
import type { AnyKernelEvent } from "../core/index.js";
import type { CliContext } from "./context.js";
import { bootHost, drainKernel } from "./kernel-host.js";
import type { Aios } from "../sdk/index.js";
import { EXIT } from "./exit-codes.js";
import { eventLine } from "./render.js";
import { runLlmInProcess, runLlmOnDaemon } from "./run-llm.js";

export interface RunOptions {
  readonly goal?: string;
  readonly follow?: boolean;
  readonly timeout?: number;
  readonly models?: string;
  /** In-process: leave the agents in the journal (they resume at the next boot) instead of ending them. */
  readonly keep?: boolean;
}

export async function run(ctx: CliContext, specPath: string, o: RunOptions): Promise<number> {
  const spec = await loadSpecFile(specPath);
  const llmGoal = spec.kind === "llm" ? o.goal : undefined;
  if (ctx.daemon() !== undefined) {
    ctx.out.note(`using the daemon for ${ctx.dataDir}`);
    const api = ctx.connect();
    if (llmGoal !== undefined && (await runLlmOnDaemon(ctx, api, spec, llmGoal, o.timeout))) return 0;
    return runOn(ctx, api, spec, o, false);
  }
  ctx.out.note(`no daemon for ${ctx.dataDir}: running in-process (the agent lives as long as this command${o.keep === true ? "; --keep leaves it in the journal" : ""})`);
  const os = await ctx.out.progress("booting the kernel", bootHost({ dataDir: ctx.dataDir, ...(o.models === undefined ? {} : { modelsFile: o.models }) }));
  const plane = new ControlPlane(os);
  const before = new Set(os.ps().map((a) => a.id));
  let interrupted = false;
  const stop = (): void => {
    interrupted = true;
    ctx.out.note("SIGINT: ending this run's agents and draining the kernel");
    void endRun(ctx, os, before, o.keep === true, "interrupted")
      .catch(() => undefined)
      .finally(() => process.exit(EXIT.INTERRUPTED));
  };
  process.once("SIGINT", stop);
  try {
    if (llmGoal !== undefined) {
      await runLlmInProcess(ctx, os, spec, llmGoal, o.timeout);
      return 0;
    }
    return await runOn(ctx, plane, spec, o, true);
  } finally {
    process.off("SIGINT", stop);
    plane.close();
    if (!interrupted) await endRun(ctx, os, before, o.keep === true, "run finished");
  }
}

/** Kills the agents this run started (unless --keep, which says they stay), then drains the kernel. */
async function endRun(ctx: CliContext, os: Aios, before: ReadonlySet<string>, keep: boolean, reason: string): Promise<void> {
  const mine = os.ps({ status: ["pending", "running", "paused"] }).filter((a) => !before.has(a.id));
  if (keep) {
    const durable = mine.filter((a) => a.durable);
    if (durable.length > 0) ctx.out.note(`${durable.length} durable agent(s) stay in ${ctx.dataDir} (${durable.map((a) => a.name).join(", ")}): they resume at the next \`aios up\` or \`aios run\` on it; \`aios kill\` ends them`);
  } else {
    // Roots first: a supervisor's kill takes its children with it.
    for (const a of mine.filter((x) => x.parent === undefined || before.has(x.parent))) await os.kill(a.id, reason).catch(() => undefined);
    for (const a of os.ps({ status: ["pending", "running", "paused"] }).filter((x) => !before.has(x.id))) await os.kill(a.id, reason).catch(() => undefined);
    if (mine.length > 0) ctx.out.note(`ended ${mine.length} agent(s) this run started (--keep leaves them to resume at the next boot)`);
  }
  await drainKernel(os, reason);
}

async function runOn(ctx: CliContext, api: ControlApi, spec: AgentSpec, o: RunOptions, inProcess: boolean): Promise<number> {
  const { id } = await api.spawn({ spec: { ...spec }, ...(o.goal === undefined ? {} : { goal: o.goal }) });
  const follow = new AbortController();
  let ended: ((e: AnyKernelEvent) => void) | undefined;
  const end = new Promise<AnyKernelEvent>((r) => (ended = r));
  const followWanted = o.follow === true || (inProcess && o.goal === undefined);
  const following = followWanted
    ? api.follow({ agent: id }, (e) => {
        if (o.follow === true && !ctx.out.json) ctx.out.note(eventLine(e));
        if (e.type === "agent.transition" && isTerminal(e.data.to)) ended?.(e);
      }, follow.signal)
    : Promise.resolve();
  // The kernel's timers are unreferenced: this keeps the command alive while it waits for the agent.
  const keepAlive = setInterval(() => undefined, 60_000);
  try {
    if (o.goal !== undefined) {
      const payload = spec.kind === "llm" ? { type: "start" } : o.goal;
      const reply = await ctx.out.progress(`${spec.name} is working`, api.request(id, payload, o.timeout ?? 600_000));
      ctx.out.result({ id, reply }, () => ctx.out.line(typeof reply === "string" ? reply : JSON.stringify(reply, null, 2)));
      return 0;
    }
    if (!followWanted) {
      ctx.out.result({ id, name: spec.name }, () => ctx.out.line(`spawned ${spec.name} ${id}`));
      return 0;
    }
    ctx.out.note(`spawned ${spec.name} ${id}; waiting for it to end (Ctrl-C stops)`);
    const last = await end;
    const info = await api.status(id).catch(() => undefined);
    ctx.out.result({ id, status: info?.status, reason: info?.exitReason }, () => ctx.out.line(`${spec.name} ${id} ${info?.status ?? "ended"}${info?.exitReason === undefined ? "" : `: ${info.exitReason}`}`));
    return last.type === "agent.transition" && last.data.to === "completed" ? 0 : 1;
  } finally {
    clearInterval(keepAlive);
    follow.abort();
    await following;
  }
}
