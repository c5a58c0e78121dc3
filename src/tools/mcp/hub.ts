/**
 * McpHub: the registered MCP servers and the registry entries of their tools. It alone adds and
 * removes `mcp.<server>.*` tools: on every (re)connection and list change a server's tools are
 * replaced as a set (new ones registered, vanished ones unregistered). A dead server keeps its tools
 * registered, so a call reaches its connection and fails with a retryable E_UNAVAILABLE instead of an
 * E_NO_TOOL that would read as "this tool never existed".
 * Stdio servers: the program's own files (absolute-path arguments that are files) are bound
 * read-only into the sandbox, at the outermost node_modules on their path when there is one (so the
 * server's dependencies resolve); directories and anything else need an explicit mount in the entry.
 */
import { existsSync, realpathSync, statSync } from "node:fs";
import { normalize, sep } from "node:path";
import type { Tool as McpToolDef } from "@modelcontextprotocol/sdk/types.js";
import { AiosError, type Clock, type EventBus } from "../../core/index.js";
import { DEFAULT_BWRAP } from "../shell-sandbox.js";
import type { ToolRegistry } from "../registry.js";
import { parseServerConfig, type McpServerConfig } from "./config.js";
import { httpTransport, McpConnection, type Backoff, type ConnectionState } from "./connection.js";
import { answerWithDefaults } from "./elicitation.js";
import { mcpTool, toolSegment } from "./mcp-tool.js";
import { mcpHttpAuth } from "./oauth.js";
import { SandboxedStdioTransport, SERVER_LIMITS, type ServerMount } from "./sandboxed-stdio.js";

declare module "../../core/index.js" {
  interface EventDataMap {
    /** An MCP server connected, died or was removed. */
    "mcp.server": { server: string; status: ConnectionState["status"]; reason?: string };
    /** A server's tool list was (re)read into the registry. */
    "mcp.tools": { server: string; tools: string[]; skipped: string[] };
  }
}

export interface McpHubOptions {
  readonly registry: ToolRegistry;
  readonly clock: Clock;
  readonly events?: EventBus;
  readonly backoff?: Backoff;
  readonly bwrapPath?: string;
  /** uid inside stdio sandboxes (default 1000) and host uid bwrap runs as when we are root (65534). */
  readonly sandboxUid?: number;
  readonly hostUid?: number;
}

export interface McpServerInfo {
  readonly name: string;
  readonly transport: "stdio" | "http";
  readonly target: string;
  readonly state: ConnectionState;
  readonly tools: readonly string[];
}

interface Entry {
  readonly config: McpServerConfig;
  readonly conn: McpConnection;
  tools: Set<string>;
}

export class McpHub {
  private readonly servers = new Map<string, Entry>();

  constructor(private readonly o: McpHubOptions) {}

  /** Registers a server and waits for its first connection attempt (a failure keeps retrying). */
  async add(name: string, raw: unknown): Promise<McpServerInfo> {
    const config = parseServerConfig(name, raw);
    if (this.servers.has(name)) throw new AiosError("E_CONFLICT", `MCP server "${name}" is already registered`, { retryable: false, details: { server: name } });
    const url = config.url ?? "";
    const auth = config.oauth === undefined ? undefined : await mcpHttpAuth(url, { ...config.oauth, clientName: `aios (${name})` });
    const transport = config.command === undefined ? () => httpTransport(url, config.headers, auth) : this.stdio(name, config);
    const entry: Entry = {
      config,
      tools: new Set(),
      conn: new McpConnection({
        name,
        transport,
        clock: this.o.clock,
        timeoutMs: config.timeoutMs,
        ...(this.o.backoff === undefined ? {} : { backoff: this.o.backoff }),
        onTools: (tools) => this.setTools(name, tools),
        ...(config.elicitation === "defaults" ? { elicit: answerWithDefaults } : {}),
        onState: (s) => this.o.events?.emit("mcp.server", { server: name, status: s.status, ...(s.status === "dead" ? { reason: s.reason } : {}) }, undefined, s.status === "dead" ? "warn" : "info"),
      }),
    };
    this.servers.set(name, entry);
    await entry.conn.start();
    return this.info(name);
  }

  async remove(name: string): Promise<boolean> {
    const e = this.servers.get(name);
    if (e === undefined) return false;
    this.servers.delete(name);
    for (const t of e.tools) this.o.registry.unregister(t);
    await e.conn.close();
    return true;
  }

  list(): McpServerInfo[] {
    return [...this.servers.keys()].sort().map((n) => this.info(n));
  }

  info(name: string): McpServerInfo {
    const e = this.entry(name);
    return {
      name,
      transport: e.config.command === undefined ? "http" : "stdio",
      target: e.config.url ?? (e.config.command ?? []).join(" "),
      state: e.conn.state,
      tools: [...e.tools].sort(),
    };
  }

  connection(name: string): McpConnection {
    return this.entry(name).conn;
  }

  async close(): Promise<void> {
    await Promise.all([...this.servers.keys()].map((n) => this.remove(n)));
  }

  private entry(name: string): Entry {
    const e = this.servers.get(name);
    if (e === undefined) throw new AiosError("E_NOT_FOUND", `no MCP server named "${name}"`, { details: { server: name } });
    return e;
  }

  private setTools(server: string, defs: readonly McpToolDef[]): void {
    const e = this.servers.get(server);
    if (e === undefined) return;
    const next = new Set<string>();
    const skipped: string[] = [];
    for (const def of defs) {
      const name = `mcp.${server}.${toolSegment(def.name)}`;
      if (next.has(name)) {
        skipped.push(def.name);
        continue;
      }
      try {
        this.o.registry.register(mcpTool(server, def, e.conn), { replace: e.tools.has(name) });
        next.add(name);
      } catch {
        skipped.push(def.name); // a schema that does not compile, or a name some other tool holds
      }
    }
    for (const old of e.tools) if (!next.has(old)) this.o.registry.unregister(old);
    e.tools = next;
    this.o.events?.emit("mcp.tools", { server, tools: [...next].sort(), skipped });
  }

  private stdio(name: string, config: McpServerConfig): () => SandboxedStdioTransport {
    const [command, ...args] = config.command ?? [];
    if (command === undefined) throw new AiosError("E_INVALID_ARG", `mcp.servers.${name}.command: empty`, { details: { path: `mcp.servers.${name}.command` } });
    const mounts = new Map<string, ServerMount>();
    for (const a of [command, ...args]) {
      const m = impliedMount(a);
      if (m !== undefined) mounts.set(m.path, m);
    }
    config.mounts.forEach((m, i) => {
      const where = `mcp.servers.${name}.mounts.${i}.path`;
      if (!existsSync(m.path)) throw new AiosError("E_INVALID_ARG", `${where}: ${m.path} does not exist`, { details: { path: where } });
      // Bound at the path the entry names (a symlinked node_modules resolves where node looks for it).
      const path = normalize(m.path);
      mounts.set(path, { source: realpathSync(m.path), path, write: m.write });
    });
    const plan = {
      command,
      args,
      mounts: [...mounts.values()],
      network: config.network,
      env: config.env,
      limits: SERVER_LIMITS,
      uid: this.o.sandboxUid ?? 1000,
      hostUid: this.o.hostUid ?? 65534,
      bwrapPath: this.o.bwrapPath ?? DEFAULT_BWRAP,
    };
    return () => new SandboxedStdioTransport(plan);
  }
}

/**
 * The read-only bind a program file needs: the outermost node_modules on the path as given (bound
 * there, from wherever it really is), else the file itself.
 */
function impliedMount(arg: string): ServerMount | undefined {
  if (!arg.startsWith("/") || !existsSync(arg)) return undefined;
  if (!statSync(realpathSync(arg)).isFile() || arg.startsWith("/usr/")) return undefined;
  const lexical = normalize(arg);
  const i = lexical.indexOf(`${sep}node_modules${sep}`);
  const path = i < 0 ? lexical : lexical.slice(0, i + "/node_modules".length);
  return { source: realpathSync(path), path, write: false };
}
