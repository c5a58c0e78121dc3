/**
 * The process commands over the control API: ps, status, logs [-f], pause, resume, kill, tree,
 * send and request. Each needs a running daemon (exit 3 otherwise): an agent lives in a kernel, and
 * without a daemon there is no kernel to ask.
 */
import { AiosError } from "../core/index.js";
import type { CliContext } from "./context.js";
import { agentTable, eventLine, statusCard, treeText } from "./render.js";

export interface PsOptions {
  readonly status?: string;
  readonly name?: string;
  readonly kind?: string;
  readonly parent?: string;
  readonly limit?: number;
}

const STATUSES = new Set(["pending", "running", "paused", "completed", "failed", "killed"]);

export async function ps(ctx: CliContext, o: PsOptions): Promise<number> {
  const status = o.status?.split(",").map((s) => s.trim());
  for (const s of status ?? []) if (!STATUSES.has(s)) throw new AiosError("E_INVALID_ARG", `--status: unknown status "${s}" (one of ${[...STATUSES].join(", ")})`, { details: { path: "status" } });
  const agents = await ctx.connect().ps({
    ...(status === undefined ? {} : { status: status as ("pending" | "running" | "paused" | "completed" | "failed" | "killed")[] }),
    ...(o.name === undefined ? {} : { name: o.name }),
    ...(o.kind === undefined ? {} : { kind: o.kind }),
    ...(o.parent === undefined ? {} : { parent: o.parent }),
    ...(o.limit === undefined ? {} : { limit: o.limit }),
  });
  ctx.out.result(agents, () => ctx.out.line(agentTable(agents)));
  return 0;
}

export async function status(ctx: CliContext, id: string): Promise<number> {
  const a = await ctx.connect().status(id);
  ctx.out.result(a, () => ctx.out.line(statusCard(a)));
  return 0;
}

export async function tree(ctx: CliContext): Promise<number> {
  const t = await ctx.connect().tree();
  ctx.out.result(t, () => ctx.out.line(treeText(t)));
  return 0;
}

export async function lifecycle(ctx: CliContext, op: "pause" | "resume" | "kill", id: string, reason?: string): Promise<number> {
  const api = ctx.connect();
  if (op === "kill") {
    const r = await api.kill(id, reason);
    ctx.out.result({ id, ...r }, () => ctx.out.line(r.killed ? `killed ${id}` : `${id} had already ended`));
    return 0;
  }
  await (op === "pause" ? api.pause(id) : api.resume(id));
  ctx.out.result({ id, ok: true }, () => ctx.out.line(`${op === "pause" ? "paused" : "resumed"} ${id}`));
  return 0;
}

export async function logs(ctx: CliContext, id: string, o: { follow?: boolean; types?: string; limit?: number }): Promise<number> {
  const api = ctx.connect();
  const filter = { agent: id as never, ...(o.types === undefined ? {} : { types: o.types.split(",") }), ...(o.limit === undefined ? {} : { limit: o.limit }) };
  const print = (e: Parameters<typeof eventLine>[0]): void => (ctx.out.json ? ctx.out.line(JSON.stringify(e)) : ctx.out.line(eventLine(e)));
  if (o.follow !== true) {
    const events = await api.events(filter);
    if (ctx.out.json) ctx.out.data(events);
    else for (const e of events) print(e);
    return 0;
  }
  // -f: one JSON object per line with --json (a stream, not one document), until Ctrl-C.
  const ac = new AbortController();
  const stop = (): void => ac.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  try {
    await api.follow(filter, print, ac.signal);
  } finally {
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
  }
  return 0;
}

export async function send(ctx: CliContext, id: string, payload: string, asRequest: boolean, timeoutMs?: number): Promise<number> {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    value = payload; // not JSON: send the text as a string
  }
  const api = ctx.connect();
  if (!asRequest) {
    await api.send(id, value);
    ctx.out.result({ id, ok: true }, () => ctx.out.line(`sent to ${id}`));
    return 0;
  }
  const reply = await api.request(id, value, timeoutMs);
  ctx.out.result({ id, reply }, () => ctx.out.line(typeof reply === "string" ? reply : JSON.stringify(reply)));
  return 0;
}
