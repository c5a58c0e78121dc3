/**
 * Where `aios mem`, `aios tools` and `aios secrets` act: the running daemon's HTTP API when there is
 * one, else a kernel booted in this process on the data dir (said on stderr), drained when the
 * command ends. Both go through the same door as the operator (or `--as` an agent), so a command
 * means the same thing either way. Bodies are sent as the user gave them: the daemon — or, in
 * process, gateway's own request schemas — validates them and names the bad field.
 */
import type { MemoryHit, MemoryRecord, MemoryVersion } from "../memory/index.js";
import type { ToolDescription, ToolSummary } from "../gateway/index.js";
import type { HttpControl } from "./client.js";
import type { CliContext } from "./context.js";

export interface OsOps {
  memPut(body: Record<string, unknown>): Promise<{ id: string; version: string }>;
  memQuery(body: Record<string, unknown>): Promise<{ hits: MemoryHit[] }>;
  memGet(id: string, as?: string): Promise<MemoryRecord>;
  memHistory(id: string, as?: string): Promise<{ versions: MemoryVersion[]; heads: readonly string[] }>;
  memLink(body: Record<string, unknown>): Promise<{ created: boolean }>;
  toolsList(): Promise<{ tools: ToolSummary[] }>;
  toolDescribe(name: string): Promise<ToolDescription>;
  toolCall(name: string, body: Record<string, unknown>): Promise<{ result: unknown }>;
  secretSet(name: string, value: string): Promise<{ name: string }>;
  secretsList(): Promise<{ names: string[] }>;
  secretDelete(name: string): Promise<{ name: string; deleted: boolean }>;
}

const enc = encodeURIComponent;
const asQuery = (as?: string): string => (as === undefined ? "" : `?as=${enc(as)}`);

function httpOps(api: HttpControl): OsOps {
  return {
    memPut: (b) => api.callJson("POST", "/v1/memory/records", b),
    memQuery: (b) => api.callJson("POST", "/v1/memory/query", b),
    memGet: (id, as) => api.callJson("GET", `/v1/memory/records/${enc(id)}${asQuery(as)}`),
    memHistory: (id, as) => api.callJson("GET", `/v1/memory/records/${enc(id)}/history${asQuery(as)}`),
    memLink: (b) => api.callJson("POST", "/v1/memory/links", b),
    toolsList: () => api.callJson("GET", "/v1/tools"),
    toolDescribe: (name) => api.callJson("GET", `/v1/tools/${enc(name)}`),
    toolCall: (name, b) => api.callJson("POST", `/v1/tools/${enc(name)}/call`, b),
    secretSet: (name, value) => api.callJson("PUT", `/v1/secrets/${enc(name)}`, { value }),
    secretsList: () => api.callJson("GET", "/v1/secrets"),
    secretDelete: (name) => api.callJson("DELETE", `/v1/secrets/${enc(name)}`),
  };
}

/** Runs `fn` against the daemon, or against a kernel booted here for the length of the command. */
export async function withOs(ctx: CliContext, fn: (ops: OsOps) => Promise<number>): Promise<number> {
  if (ctx.daemon() !== undefined) return fn(httpOps(ctx.connect()));
  ctx.out.note(`no daemon for ${ctx.dataDir}: running in-process on its data dir`);
  const [{ bootHost, drainKernel }, gw] = await Promise.all([import("./kernel-host.js"), import("../gateway/index.js")]);
  const os = await ctx.out.progress("booting the kernel", bootHost({ dataDir: ctx.dataDir }));
  const plane = new gw.ControlPlane(os);
  const p = gw.parseInput;
  try {
    return await fn({
      memPut: (b) => plane.memory.put(p(gw.MemPutBody, b, "body")),
      memQuery: (b) => plane.memory.query(p(gw.MemQueryBody, b, "body")),
      memGet: (id, as) => plane.memory.get(id, as),
      memHistory: (id, as) => plane.memory.history(id, as),
      memLink: (b) => plane.memory.link(p(gw.MemLinkBody, b, "body")),
      toolsList: () => plane.tools.list(),
      toolDescribe: (name) => plane.tools.describe(name),
      toolCall: (name, b) => plane.tools.call(name, p(gw.ToolCallBody, b, "body")),
      secretSet: (name, value) => plane.secrets.set(name, p(gw.SecretPutBody, { value }, "body").value),
      secretsList: () => plane.secrets.list(),
      secretDelete: (name) => plane.secrets.delete(name),
    });
  } finally {
    plane.close();
    await drainKernel(os, "command finished");
  }
}
