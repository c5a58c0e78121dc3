/**
 * `aios run <spec> [--goal ...] [--follow]`. The spec file is parsed here first (a bad spec is exit 2
 * before anything starts; `module` paths resolve relative to the file). With a live daemon the agent
 * is spawned there and outlives this command; otherwise a kernel boots in this process and the agent
 * lives as long as the command. With --goal the agent is asked to do it (an llm agent gets
 * `{type:"start"}` with the goal in its spec, a code agent gets the goal as a request) and the
 * answer is printed; without one, a daemon run prints the id and an in-process run waits for the
 * agent to end. --follow prints the agent's events meanwhile.
 */
import { isTerminal, loadSpecFile, type AgentSpec } from "../abi/index.js";
import { ControlPlane, type ControlApi } from "../gateway/index.js";
import type { AnyKernelEvent } from "../core/index.js";
import type { CliContext } from "./context.js";
import { bootHost, drainKernel } from "./kernel-host.js";
import { eventLine } from "./render.js";

export interface RunOptions {
  readonly goal?: string;
  readonly follow?: boolean;
  readonly timeout?: number;
  readonly models?: string;
}

export async function run(ctx: CliContext, specPath: string, o: RunOptions): Promise<number> {
  const spec = await loadSpecFile(specPath);
  if (ctx.daemon() !== undefined) {
    ctx.out.note(`using the daemon for ${ctx.dataDir}`);
    return runOn(ctx, ctx.connect(), spec, o, false);
  }
  ctx.out.note(`no daemon for ${ctx.dataDir}: running in-process (the agent lives as long as this command)`);
  const os = await ctx.out.progress("booting the kernel", bootHost({ dataDir: ctx.dataDir, ...(o.models === undefined ? {} : { modelsFile: o.models }) }));
  const plane = new ControlPlane(os);
  const stop = (): void => void drainKernel(os, "interrupted").catch(() => undefined);
  process.once("SIGINT", stop);
  try {
    return await runOn(ctx, plane, spec, o, true);
  } finally {
    process.off("SIGINT", stop);
    plane.close();
    await drainKernel(os, "run finished");
  }
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
    follow.abort();
    await following;
  }
}
