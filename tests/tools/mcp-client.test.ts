/**
 * The MCP client tier through a real booted OS: the reference servers from npm
 * (@modelcontextprotocol/server-everything, -filesystem, -memory) run over stdio inside bubblewrap,
 * server-everything also over Streamable HTTP, and an agent reaches them only through the ToolCall
 * and McpResource and McpPrompt syscalls: capability (globbed and exact), the server's JSON Schema,
 * taint of the caller's context, redaction of secrets, and what the sandbox lets a server see.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boot, silentLogger, type AgentLogic } from "../../src/index.js";
import type { Aios } from "../../src/sdk/index.js";
import { freePort } from "../helpers/free-port.js";

const NM = resolve("node_modules/@modelcontextprotocol");
const idle: AgentLogic<null> = { init: () => null, receive: (s) => s };

let dir: string;
let os: Aios;
let http: ChildProcess;
let httpUrl: string;

beforeAll(async () => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "aios-mcp-client-")));
  mkdirSync(join(dir, "shared"));
  mkdirSync(join(dir, "memory"));
  // The sandbox runs as an unprivileged host uid: it must be able to reach the mounts, and write the writable one.
  chmodSync(dir, 0o755);
  chmodSync(join(dir, "memory"), 0o777);
  writeFileSync(join(dir, "shared", "note.txt"), "hello from the host");
  writeFileSync(join(dir, "outside.txt"), "not granted");
  const port = await freePort();
  http = spawn(process.execPath, [join(NM, "server-everything/dist/index.js"), "streamableHttp"], { env: { ...process.env, PORT: String(port) }, stdio: ["ignore", "ignore", "pipe"] });
  await new Promise<void>((res, rej) => {
    http.stderr?.on("data", (b: Buffer) => { if (b.toString().includes("listening")) res(); });
    http.once("exit", (c) => rej(new Error(`server-everything exited ${c}`)));
  });
  httpUrl = `http://127.0.0.1:${port}/mcp`;
  os = await boot({
    dataDir: join(dir, "data"),
    logger: silentLogger,
    subsystems: {
      embedder: false,
      memory: false,
      mcp: {
        servers: {
          everything: { command: ["node", join(NM, "server-everything/dist/index.js"), "stdio"] },
          fs: { command: ["node", join(NM, "server-filesystem/dist/index.js"), join(dir, "shared")], mounts: [{ path: join(dir, "shared") }] },
          memory: { command: ["node", join(NM, "server-memory/dist/index.js")], env: { MEMORY_FILE_PATH: join(dir, "memory", "graph.jsonl") }, mounts: [{ path: join(dir, "memory"), write: true }] },
          web: { url: httpUrl },
        },
      },
    },
  });
}, 60_000);

afterAll(async () => {
  await os.shutdown();
  http.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

const agent = (capabilities: string[]): Promise<string> => os.spawn({ name: "worker", kind: "code", logic: idle, capabilities });

describe("MCP servers from npm as the third tool tier", { timeout: 30_000 }, () => {
  it("lists every server's tools as mcp.<server>.<tool> with the server's JSON Schema", () => {
    const names = os.tools.list().map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(["mcp.everything.echo", "mcp.everything.get-sum", "mcp.fs.read_text_file", "mcp.memory.create_entities", "mcp.web.echo"]));
    const sum = os.tools.list().find((t) => t.name === "mcp.everything.get-sum");
    expect(sum?.inputSchema).toMatchObject({ type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] });
    expect(os.mcp.list().map((s) => [s.name, s.transport, s.state.status])).toEqual([
      ["everything", "stdio", "ready"], ["fs", "stdio", "ready"], ["memory", "stdio", "ready"], ["web", "http", "ready"],
    ]);
  });

  it("calls a tool through the door, labels the caller's context and redacts secrets in the result", async () => {
    const id = await agent(["tool:mcp.everything.*#call"]);
    os.caps.secrets.set("api-key", "sk-live-0123456789abcdef");
    const r = (await os.syscall(id, "ToolCall", { tool: "mcp.everything.echo", args: { message: "key sk-live-0123456789abcdef" } })) as { content: { type: string; text: string }[]; taint: string[] };
    expect(r.content[0]?.text).toMatch(/^Echo: key /);
    expect(r.content[0]?.text).not.toContain("sk-live-0123456789abcdef");
    expect(r.taint).toEqual(["mcp:everything"]);
    expect([...os.caps.taint.peek(id)]).toContain("mcp:everything");
    await expect(os.syscall(id, "ToolCall", { tool: "mcp.everything.get-sum", args: { a: 2, b: 40 } })).resolves.toMatchObject({ content: [{ type: "text", text: expect.stringContaining("42") }] });
  });

  it("refuses what the capability does not name, and arguments the server's schema rejects, before the server sees them", async () => {
    const id = await agent(["tool:mcp.everything.echo#call"]);
    await expect(os.syscall(id, "ToolCall", { tool: "mcp.everything.get-sum", args: { a: 1, b: 2 } })).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    await expect(os.syscall(id, "ToolCall", { tool: "mcp.fs.read_text_file", args: { path: join(dir, "shared", "note.txt") } })).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    await expect(os.syscall(id, "ToolCall", { tool: "mcp.everything.echo", args: { message: 42 } })).rejects.toMatchObject({ code: "E_INVALID_ARG", message: expect.stringContaining("args.message") });
    await expect(os.syscall(id, "ToolCall", { tool: "mcp.everything.echo", args: {} })).rejects.toMatchObject({ code: "E_INVALID_ARG", message: expect.stringContaining("args.message: required") });
  });

  it("reads resources and prompts through syscalls under mcp:<server>#read", async () => {
    const reader = await agent(["mcp:everything#read"]);
    const list = await os.syscall(reader, "McpResourceList", { server: "everything" });
    expect(list.resources.length).toBeGreaterThan(0);
    const read = await os.syscall(reader, "McpResourceRead", { server: "everything", uri: "demo://resource/dynamic/text/1" });
    expect(read).toMatchObject({ contents: [{ uri: "demo://resource/dynamic/text/1", text: expect.any(String) }], taint: ["mcp:everything"] });
    const prompts = await os.syscall(reader, "McpPromptList", { server: "everything" });
    expect((prompts.prompts as { name: string }[]).map((p) => p.name)).toContain("args-prompt");
    const got = await os.syscall(reader, "McpPromptGet", { server: "everything", name: "args-prompt", args: { city: "Lisbon" } });
    expect(JSON.stringify(got.messages)).toContain("Lisbon");
    await expect(os.syscall(reader, "McpResourceList", { server: "fs" })).rejects.toMatchObject({ code: "E_CAP_DENIED" });
    const none = await agent([]);
    await expect(os.syscall(none, "McpPromptList", { server: "everything" })).rejects.toMatchObject({ code: "E_CAP_DENIED" });
  });

  it("runs stdio servers in the sandbox: only the mounted paths exist, read-only unless granted", async () => {
    const id = await agent(["tool:mcp.fs.*#call", "tool:mcp.memory.*#call"]);
    const note = await os.syscall(id, "ToolCall", { tool: "mcp.fs.read_text_file", args: { path: join(dir, "shared", "note.txt") } });
    expect(JSON.stringify(note)).toContain("hello from the host");
    // Outside the server's allowed directory: refused by the server (and not mounted in any case).
    await expect(os.syscall(id, "ToolCall", { tool: "mcp.fs.read_text_file", args: { path: join(dir, "outside.txt") } })).rejects.toMatchObject({ code: "E_TOOL" });
    // The mount is read-only: the server's write fails inside the sandbox, the host file is untouched.
    await expect(os.syscall(id, "ToolCall", { tool: "mcp.fs.write_file", args: { path: join(dir, "shared", "note.txt"), content: "overwritten" } })).rejects.toMatchObject({ code: "E_TOOL" });
    expect(readFileSync(join(dir, "shared", "note.txt"), "utf8")).toBe("hello from the host");
    // server-memory writes its graph to the one writable mount.
    await os.syscall(id, "ToolCall", { tool: "mcp.memory.create_entities", args: { entities: [{ name: "aios", entityType: "project", observations: ["runs MCP servers"] }] } });
    const graph = await os.syscall(id, "ToolCall", { tool: "mcp.memory.read_graph", args: {} });
    expect(JSON.stringify(graph)).toContain("runs MCP servers");
    expect(readFileSync(join(dir, "memory", "graph.jsonl"), "utf8")).toContain("aios");
  });

  it("calls server-everything over Streamable HTTP", async () => {
    const id = await agent(["tool:mcp.web.*#call"]);
    await expect(os.syscall(id, "ToolCall", { tool: "mcp.web.echo", args: { message: "over http" } })).resolves.toMatchObject({ content: [{ type: "text", text: "Echo: over http" }], taint: ["mcp:web"] });
  });
});
