/**
 * `aios mcp` through the real CLI process: add (stdio with grants, and a URL), ls, rm on the data
 * dir's config.yaml (the entry then boots as a live server), and `aios mcp serve --stdio` driven by
 * the SDK's own stdio client, the way a desktop client starts it.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { afterAll, describe, expect, it } from "vitest";
import { boot } from "../../src/sdk/index.js";
import { silentLogger } from "../../src/index.js";
import { cli, CLI } from "./helpers.js";

const dir = mkdtempSync(join(tmpdir(), "aios-mcp-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const EVERYTHING = resolve("node_modules/@modelcontextprotocol/server-everything/dist/index.js");

// Each CLI run loads TypeScript through tsx: seconds each, minutes on a loaded shared machine.
describe("aios mcp", { timeout: 400_000 }, () => {
  it("adds, lists and removes servers in config.yaml; a booted kernel connects to them", async () => {
    const data = join(dir, "a");
    expect((await cli(["--data-dir", data, "mcp", "add", "everything", "--env", "X=1", "--", "node", EVERYTHING, "stdio"])).code).toBe(0);
    expect((await cli(["--data-dir", data, "mcp", "add", "remote", "--url", "http://127.0.0.1:9/mcp"])).code).toBe(0);
    const dup = await cli(["--data-dir", data, "mcp", "add", "remote", "--url", "http://127.0.0.1:9/mcp"]);
    expect(dup.stderr).toContain("E_CONFLICT");
    const bad = await cli(["--data-dir", data, "mcp", "add", "Bad!", "--", "node"]);
    expect(bad.stderr).toContain("E_INVALID_ARG");
    const ls = await cli(["--data-dir", data, "--json", "mcp", "ls"]);
    expect(JSON.parse(ls.stdout)).toEqual([
      { name: "everything", transport: "stdio", target: `node ${EVERYTHING} stdio`, mounts: "", network: false },
      { name: "remote", transport: "http", target: "http://127.0.0.1:9/mcp", mounts: "", network: false },
    ]);
    expect((await cli(["--data-dir", data, "mcp", "rm", "remote"])).code).toBe(0);
    expect(readFileSync(join(data, "config.yaml"), "utf8")).not.toContain("remote");
    const os = await boot({ dataDir: data, logger: silentLogger, subsystems: { embedder: false, memory: false } });
    try {
      expect(os.mcp.list().map((s) => [s.name, s.state.status])).toEqual([["everything", "ready"]]);
      expect(os.tools.list().map((t) => t.name)).toContain("mcp.everything.echo");
    } finally {
      await os.shutdown();
    }
  });

  it("serves the data dir's tools over stdio to the SDK's client", async () => {
    const client = new Client({ name: "desktop", version: "1" });
    const slow = { timeout: 300_000 };
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [...CLI, "--data-dir", join(dir, "b"), "mcp", "serve", "--stdio"], stderr: "ignore" }), slow);
    try {
      const names = (await client.listTools(undefined, slow)).tools.map((t) => t.name);
      expect(names).toContain("file.read");
      const r = await client.callTool({ name: "file.list", arguments: { path: "/" } }, undefined, slow);
      // The operator's stdio session may call tools, but file:/ is not among its capabilities.
      expect(r).toMatchObject({ isError: true, content: [{ text: expect.stringMatching(/^E_CAP_DENIED/) }] });
    } finally {
      await client.close();
    }
  });
});
