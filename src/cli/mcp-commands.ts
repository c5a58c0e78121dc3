/**
 * `aios mcp`: MCP servers this data directory's kernel connects to, and AIOS as an MCP server.
 *   add <name> -- <command...>     a stdio server (run in bubblewrap; --mount/--network/--env grant it more)
 *   add <name> --url <http...>     a Streamable HTTP server
 *   ls / rm <name>                 the entries in <dataDir>/config.yaml (mcp.servers)
 *   serve --stdio                  AIOS's tools, memory and specs to a desktop client over stdio
 * Entries are validated with the client's own schema before they are written; a running daemon
 * loads them at its next start (the SDK adds servers at run time with `os.mcp.add`). Rewriting
 * config.yaml keeps its content but not its comments.
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { parse as parseYaml, stringify } from "yaml";
import { AiosError } from "../core/index.js";
import { DEFAULT_OPERATOR_CAPABILITIES, McpSession, systemSurface } from "../gateway/index.js";
import { parseServerConfig } from "../tools/index.js";
import type { CliContext } from "./context.js";
import { bootHost, drainKernel } from "./kernel-host.js";
import { VERSION } from "./version.js";

export interface AddOptions {
  readonly url?: string;
  readonly mount?: string[];
  readonly network?: boolean;
  readonly env?: string[];
}

function configPath(dataDir: string): string {
  return ["config.yaml", "config.yml", "config.json"].map((f) => join(dataDir, f)).find((p) => existsSync(p)) ?? join(dataDir, "config.yaml");
}

function readDoc(path: string): Record<string, unknown> {
  if (!existsSync(path)) return {};
  const doc = parseYaml(readFileSync(path, "utf8")) as unknown;
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new AiosError("E_CONFIG", `${path}: expected a mapping at the top level`, { details: { path } });
  return doc as Record<string, unknown>;
}

function servers(doc: Record<string, unknown>): Record<string, unknown> {
  const mcp = (doc["mcp"] ?? {}) as { servers?: Record<string, unknown> };
  return mcp.servers ?? {};
}

function write(path: string, doc: Record<string, unknown>): void {
  writeFileSync(path, path.endsWith(".json") ? JSON.stringify(doc, null, 2) + "\n" : stringify(doc));
}

export function mcpAdd(ctx: CliContext, name: string, command: string[], o: AddOptions): Promise<number> {
  const entry = {
    ...(o.url === undefined ? { command } : { url: o.url }),
    ...(o.mount === undefined || o.mount.length === 0 ? {} : { mounts: o.mount.map((m) => (m.endsWith(":rw") ? { path: m.slice(0, -3), write: true } : { path: m })) }),
    ...(o.network === true ? { network: true } : {}),
    ...(o.env === undefined || o.env.length === 0 ? {} : { env: Object.fromEntries(o.env.map(envPair)) }),
  };
  if (o.url !== undefined && command.length > 0) throw new AiosError("E_INVALID_ARG", "give either --url or a command after --, not both", { details: { path: "command" } });
  parseServerConfig(name, entry, `mcp add ${name}`);
  mkdirSync(ctx.dataDir, { recursive: true });
  const path = configPath(ctx.dataDir);
  const doc = readDoc(path);
  const all = servers(doc);
  if (all[name] !== undefined) throw new AiosError("E_CONFLICT", `an MCP server named "${name}" is already in ${path}; remove it first (aios mcp rm ${name})`, { retryable: false });
  doc["mcp"] = { ...((doc["mcp"] ?? {})), servers: { ...all, [name]: entry } };
  write(path, doc);
  ctx.out.result({ name, ...entry, config: path }, () => ctx.out.line(`added MCP server ${name} to ${path}${ctx.daemon() === undefined ? "" : " (the running daemon loads it at its next start)"}`));
  return Promise.resolve(0);
}

export function mcpRemove(ctx: CliContext, name: string): Promise<number> {
  const path = configPath(ctx.dataDir);
  const doc = readDoc(path);
  const all = servers(doc);
  if (all[name] === undefined) throw new AiosError("E_NOT_FOUND", `no MCP server named "${name}" in ${path}`);
  const { [name]: _gone, ...rest } = all;
  doc["mcp"] = { ...((doc["mcp"] ?? {})), servers: rest };
  write(path, doc);
  ctx.out.result({ removed: name }, () => ctx.out.line(`removed MCP server ${name} from ${path}`));
  return Promise.resolve(0);
}

export function mcpList(ctx: CliContext): Promise<number> {
  const all = servers(readDoc(configPath(ctx.dataDir)));
  const rows = Object.entries(all).map(([name, e]) => {
    const c = parseServerConfig(name, e);
    return { name, transport: c.url === undefined ? "stdio" : "http", target: c.url ?? (c.command ?? []).join(" "), mounts: c.mounts.map((m) => `${m.path}${m.write ? ":rw" : ""}`).join(","), network: c.network };
  });
  ctx.out.result(rows, () => ctx.out.line(rows.length === 0 ? "no MCP servers configured" : rows.map((r) => `${r.name}\t${r.transport}\t${r.target}${r.mounts === "" ? "" : `\tmounts=${r.mounts}`}${r.network ? "\tnetwork" : ""}`).join("\n")));
  return Promise.resolve(0);
}

/** Serves this data dir's kernel over stdio until the client closes stdin. */
export async function mcpServeStdio(ctx: CliContext): Promise<number> {
  const os = await bootHost({ dataDir: ctx.dataDir });
  const session = new McpSession(systemSurface(os, { version: VERSION }), { id: "operator", capabilities: [...DEFAULT_OPERATOR_CAPABILITIES] });
  const closed = new Promise<void>((res) => {
    session.server.onclose = () => res();
  });
  await session.connect(new StdioServerTransport());
  ctx.out.note(`aios MCP server on stdio for ${ctx.dataDir}`);
  await closed;
  await drainKernel(os, "the MCP client closed stdio");
  return 0;
}

function envPair(s: string): [string, string] {
  const i = s.indexOf("=");
  if (i <= 0) throw new AiosError("E_INVALID_ARG", `--env: expected NAME=value, got "${s}"`, { details: { path: "--env" } });
  return [s.slice(0, i), s.slice(i + 1)];
}
