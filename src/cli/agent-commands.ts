/**
 * The process commands over the control API: ps, status, logs [-f], pause, resume, kill, restart,
 * tree, send and request. Each takes an agent's id or name and needs a running daemon (exit 3 otherwise):
 * an agent lives in a kernel, and without a daemon there is no kernel to ask — except `logs`, which
 * reads an agent's past from the audit log when no daemon runs.
 */
import { AiosError, type AgentId } from "../core/index.js";
import type { CliContext } from "./context.js";
import type { AgentInfo } from "../kernel/index.js";
import { agentTable, eventLine, statusCard, treeText, type LogEvent } from "./render.js";

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

export async function lifecycle(ctx: CliContext, op: "pause" | "resume" | "kill" | "restart", id: string, reason?: string): Promise<number> {
  const api = ctx.connect();
  if (op === "restart") {
    const r = await api.restart(id, reason);
    ctx.out.result({ id: r.id, restarted: true }, () => ctx.out.line(`restarted ${r.id}`));
    return 0;
  }
  if (op === "kill") {
    const r = await api.kill(id, reason);
    ctx.out.result({ id, ...r }, () => ctx.out.line(r.killed ? `killed ${id}` : `${id} had already ended`));
    return 0;
  }
  await (op === "pause" ? api.pause(id) : api.resume(id));
  ctx.out.result({ id, ok: true }, () => ctx.out.line(`${op === "pause" ? "paused" : "resumed"} ${id}`));
  return 0;
}

/** `aios migrate <id> <node>`: the daemon (a cluster node) hands the agent's tree to `node` (ADR 0035). */
export async function migrate(ctx: CliContext, id: string, node: string): Promise<number> {
  const r = await ctx.connect().migrate(id, node);
  ctx.out.result({ id, node, ...r }, () => ctx.out.line(`moved ${id} (tree ${r.tree}, left at epoch ${r.epoch}) to node ${node}`));
  return 0;
}

export interface LogsOptions {
  readonly follow?: boolean;
  readonly types?: string;
  readonly limit?: number;
  readonly messages?: boolean;
}

const matches = (e: LogEvent, types: readonly string[] | undefined): boolean =>
  types === undefined || types.some((t) => (t.endsWith("*") ? e.type.startsWith(t.slice(0, -1)) : e.type === t));

/**
 * An agent's events: its past from the audit log (it survives daemon restarts, and is read without a
 * daemon too) merged with the daemon's in-memory history (the types the audit log does not keep),
 * then -f follows live. The agent is found by id or name through the daemon; without one, by id in
 * the audit log. An agent nobody knows is E_NO_AGENT, never an empty answer.
 */
export async function logs(ctx: CliContext, idOrName: string, o: LogsOptions): Promise<number> {
  const { auditHistory, isMessaging, AUDITED_TYPES } = await import("./audit-history.js");
  const types = o.types?.split(",").map((t) => t.trim()).filter((t) => t !== "");
  const live = ctx.daemon() !== undefined;
  const api = live ? ctx.connect() : undefined;
  const id = api === undefined ? idOrName : (await api.status(idOrName)).id;
  const { events: durable, kept } = auditHistory(ctx.dataDir, id);
  if (api === undefined && durable.length === 0) {
    throw new AiosError("E_NO_AGENT", `no agent ${idOrName} in the audit log of ${ctx.dataDir} (no daemon is running: give an agent id, names are resolved by the daemon)`, { details: { path: "id" } });
  }
  const recent: LogEvent[] = api === undefined ? [] : (await api.events({ agent: id as AgentId, ...(types === undefined ? {} : { types }) })).map((e) => ({ ...e, source: "live" as const }));
  // What the audit log keeps reaches both: keep the audit log's copy.
  let past = [...durable, ...recent.filter((e) => !kept || !AUDITED_TYPES.has(e.type))]
    .filter((e) => matches(e, types))
    .filter((e) => (o.messages === true ? isMessaging(e) : !e.type.startsWith("syscall.") || e.type === "syscall.denied" || o.types !== undefined))
    .sort((a, b) => a.ts - b.ts);
  if (o.limit !== undefined) past = past.slice(Math.max(0, past.length - o.limit));
  const print = (e: LogEvent): void => (ctx.out.json ? ctx.out.line(JSON.stringify(e)) : ctx.out.line(eventLine(e)));
  if (o.follow !== true || api === undefined) {
    if (o.follow === true) ctx.out.note("no daemon is running: showing the audit log's record only (nothing to follow)");
    if (ctx.out.json) ctx.out.data(past);
    else if (past.length === 0) ctx.out.note(`no events for ${idOrName}${types === undefined ? "" : ` of type ${types.join(",")}`}`);
    else for (const e of past) print(e);
    return 0;
  }
  // -f: the past, then one JSON object per line with --json (a stream, not one document), until Ctrl-C.
  for (const e of past) print(e);
  const ac = new AbortController();
  const stop = (): void => ac.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  // The live stream starts with the daemon's history: skip what was printed already.
  const last = past.at(-1)?.ts ?? 0;
  const printed = new Set(past.map((e) => `${e.type}@${e.ts}`));
  try {
    await api.follow({ agent: id as AgentId, ...(types === undefined ? {} : { types }) }, (e) => {
      if (e.ts >= last && !printed.has(`${e.type}@${e.ts}`)) print(e);
    }, ac.signal);
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

/**
 * `aios upgrade <agent> <spec>`: the fields to change, from a YAML/JSON file (a relative `module`
 * resolved against the file, `name`, `kind` and `tenant` left out: an upgrade cannot change them)
 * or inline JSON. The daemon swaps the spec or code version and keeps the state.
 */
export async function upgrade(ctx: CliContext, idOrName: string, specArg: string): Promise<number> {
  const { readSpecPatch } = await import("./spec-patch.js");
  const spec = readSpecPatch(specArg);
  const api = ctx.connect();
  const id = (await api.status(idOrName)).id;
  const after = await api.callJson<AgentInfo>("POST", `/v1/agents/${encodeURIComponent(id)}/upgrade`, { spec });
  ctx.out.result(after, () => ctx.out.line(`upgraded ${after.name} ${after.id} to version ${after.version} (${after.status}, incarnation ${after.incarnation})`));
  return 0;
}
