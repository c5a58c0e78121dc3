/**
 * An MCP server's lifecycle as the hub sees it, on a simulated clock: tools/list_changed replaces the
 * server's registry entries, a server that dies is a retryable E_UNAVAILABLE until it is restarted
 * after a doubling backoff, and what a stdio server sees of the host (uid, environment). The server is
 * a small SDK server (tests/fixtures/mcp/changing-server.mjs) in the same bubblewrap sandbox.
 */
import { resolve } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { isAiosError, SimulatedClock } from "../../src/core/index.js";
import { makeToolContext, ToolRegistry } from "../../src/tools/index.js";
import { McpHub } from "../../src/tools/mcp/index.js";
import { SpecCapabilityChecker } from "../../src/kernel/index.js";
import { caller } from "./helpers.js";

const FIXTURE = resolve("tests/fixtures/mcp/changing-server.mjs");
const entry = { command: ["node", FIXTURE], mounts: [{ path: resolve("node_modules") }], env: { GREETING: "hi" } };

let hub: McpHub | undefined;
afterEach(async () => hub?.close());

function setup(): { hub: McpHub; registry: ToolRegistry; clock: SimulatedClock; call: (tool: string, args?: unknown) => Promise<unknown> } {
  const registry = new ToolRegistry();
  const clock = new SimulatedClock();
  hub = new McpHub({ registry, clock, backoff: { baseMs: 500, maxMs: 4_000, stableMs: 60_000 } });
  const checker = new SpecCapabilityChecker();
  const ctx = makeToolContext({ caller: caller(["tool:mcp.changing.*#call"]), checker: () => checker, clock });
  return { hub, registry, clock, call: (tool, args = {}) => registry.execute(tool, args, ctx) };
}

/** Waiting on a real process (a sandboxed node starting), not on time: the limit is generous. */
const WAIT = { timeout: 20_000, interval: 20 };
const names = (r: ToolRegistry): string[] => r.list().map((t) => t.name);

describe("McpHub lifecycle", { timeout: 60_000 }, () => {
  it("follows notifications/tools/list_changed: added tools appear, removed ones go", async () => {
    const { hub, registry, call } = setup();
    await hub.add("changing", entry);
    expect(names(registry)).toEqual(["mcp.changing.add-tool", "mcp.changing.exit", "mcp.changing.remove-tool", "mcp.changing.whoami"]);
    await call("mcp.changing.add-tool", { name: "Fresh.Tool" });
    await vi.waitFor(() => expect(names(registry)).toContain("mcp.changing.fresh_tool"), WAIT);
    await expect(call("mcp.changing.fresh_tool")).resolves.toMatchObject({ content: [{ type: "text", text: "Fresh.Tool" }] });
    await call("mcp.changing.remove-tool", { name: "Fresh.Tool" });
    await vi.waitFor(() => expect(names(registry)).not.toContain("mcp.changing.fresh_tool"), WAIT);
  });

  it("runs the server as a non-root uid with only PATH, HOME, LANG and the entry's env", async () => {
    const { hub, call } = setup();
    await hub.add("changing", entry);
    const r = (await call("mcp.changing.whoami")) as { content: { text: string }[] };
    const seen = JSON.parse(r.content[0]?.text ?? "{}") as { uid: number; env: string[] };
    expect(seen.uid).toBe(1000);
    expect(seen.env).toEqual(["GREETING", "HOME", "LANG", "PATH"]);
  });

  it("restarts a server that died after a doubling backoff; calls meanwhile fail retryably", async () => {
    const { hub, registry, clock, call } = setup();
    await hub.add("changing", entry);
    await call("mcp.changing.exit");
    await vi.waitFor(() => expect(hub.info("changing").state.status).toBe("dead"), WAIT);
    const dead = await call("mcp.changing.whoami").catch((e: unknown) => e);
    expect(isAiosError(dead, "E_UNAVAILABLE") && dead.retryable).toBe(true);
    expect(String((dead as Error).message)).toMatch(/changing.*dead.*exiting on request/s);
    // The tools stay registered while it is down: the call is "unavailable", not "no such tool".
    expect(names(registry)).toContain("mcp.changing.whoami");

    clock.advance(499);
    expect(hub.info("changing").state.status).toBe("dead");
    clock.advance(1);
    await vi.waitFor(() => expect(hub.info("changing").state.status).toBe("ready"), WAIT);
    await expect(call("mcp.changing.whoami")).resolves.toMatchObject({ taint: ["mcp:changing"] });

    // It dies again before it was up `stableMs`: the next delay doubles.
    await call("mcp.changing.exit");
    await vi.waitFor(() => expect(hub.info("changing").state.status).toBe("dead"), WAIT);
    const s = hub.info("changing").state;
    expect(s.status === "dead" ? s.retryAt - clock.now() : -1).toBe(1000);
    clock.advance(1000);
    await vi.waitFor(() => expect(hub.info("changing").state.status).toBe("ready"), WAIT);
  });

  it("names the bad field of an entry and refuses a second server of one name", async () => {
    const { hub } = setup();
    await expect(hub.add("Bad Name", entry)).rejects.toMatchObject({ code: "E_INVALID_ARG" });
    await expect(hub.add("x", { command: ["node"], url: "http://127.0.0.1:1/mcp" })).rejects.toMatchObject({ code: "E_INVALID_ARG", message: expect.stringContaining("exactly one of command") });
    await expect(hub.add("x", { command: ["node", FIXTURE], mounts: [{ path: "/no/such/dir" }] })).rejects.toMatchObject({ code: "E_INVALID_ARG", message: expect.stringContaining("mcp.servers.x.mounts.0.path") });
    await hub.add("changing", entry);
    await expect(hub.add("changing", entry)).rejects.toMatchObject({ code: "E_CONFLICT" });
  });
});
